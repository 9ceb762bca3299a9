"""Named business-rule errors. Each is a `ClaimError` with a stable `rule` slug.

The slug becomes the `type` of the HTTP problem document (409), so it is part of the API.
"""

from __future__ import annotations

from uuid import UUID


class ClaimError(Exception):
    """A command broke a rule of the claims domain."""

    rule: str = "claim-rule"

    def __init__(self, message: str, *, claim_id: UUID | None = None) -> None:
        super().__init__(message)
        self.claim_id = claim_id
        self.message = message


class InvalidClaimData(ClaimError):
    """A value is malformed or outside what the contract allows; `field` names it."""

    rule = "invalid-claim-data"

    def __init__(self, field: str, message: str, *, claim_id: UUID | None = None) -> None:
        super().__init__(f"{field}: {message}", claim_id=claim_id)
        self.field = field


class DatesOutOfOrder(InvalidClaimData):
    rule = "dates-out-of-order"


class TooManyInsured(InvalidClaimData):
    rule = "too-many-insured"


class ClaimNotFound(ClaimError):
    rule = "claim-not-found"


class ConcurrentUpdate(ClaimError):
    """Another writer saved the claim first; nothing of this command was written."""

    rule = "concurrent-update"


class VersionMismatch(ClaimError):
    """The caller's expected version (If-Match) is not the claim's current version."""

    rule = "version-mismatch"

    def __init__(self, *, claim_id: UUID, expected: int, actual: int) -> None:
        super().__init__(
            f"expected version {expected}, the claim is at version {actual}", claim_id=claim_id
        )
        self.expected = expected
        self.actual = actual


class ClaimNumbersExhausted(ClaimError):
    rule = "claim-numbers-exhausted"


class ClaimClosed(ClaimError):
    rule = "claim-closed"


class ClaimWithdrawn(ClaimError):
    rule = "claim-withdrawn"


class ProofsIncomplete(ClaimError):
    rule = "proofs-incomplete"


class CardInsurerPositionRequired(ClaimError):
    rule = "card-insurer-position-required"


class ClaimAlreadyAssessed(ClaimError):
    rule = "claim-already-assessed"


class ClaimNotAccepted(ClaimError):
    rule = "claim-not-accepted"


class SettlementOfRefusedClaim(ClaimError):
    rule = "settlement-of-refused-claim"


class ClaimAlreadySettled(ClaimError):
    rule = "claim-already-settled"


class SettlementModeNotAllowed(ClaimError):
    rule = "settlement-mode-not-allowed"


class IndemnityUnpaid(ClaimError):
    rule = "indemnity-unpaid"


class WithdrawalAfterSettlement(ClaimError):
    rule = "withdrawal-after-settlement"


class ClaimNotReopenable(ClaimError):
    rule = "claim-not-reopenable"


class UnknownItem(ClaimError):
    """A command names an item of the claim (a complaint, a corrective action...) that the
    claim does not have: 404, like an unknown claim."""

    rule = "unknown-item"


class UnknownComplaint(UnknownItem):
    rule = "unknown-complaint"


class UnknownCorrectiveAction(UnknownItem):
    rule = "unknown-corrective-action"


class CorrectiveActionAlreadyCompleted(ClaimError):
    rule = "corrective-action-already-completed"


class ComplaintAlreadyAcknowledged(ClaimError):
    rule = "complaint-already-acknowledged"


class ComplaintAlreadyAnswered(ClaimError):
    rule = "complaint-already-answered"


class ComplaintNotAnswered(ClaimError):
    rule = "complaint-not-answered"


class ComplaintAlreadyEscalated(ClaimError):
    rule = "complaint-already-escalated"


class MediationWithoutWrittenComplaint(ClaimError):
    rule = "mediation-without-written-complaint"


class MediationPremature(ClaimError):
    rule = "mediation-premature"


class MediationTooLate(ClaimError):
    rule = "mediation-too-late"


class MediationAlreadyReferred(ClaimError):
    rule = "mediation-already-referred"


class MediationNotReferred(ClaimError):
    rule = "mediation-not-referred"


class MediationAlreadyConcluded(ClaimError):
    rule = "mediation-already-concluded"


# ---------------------------------------------------------------------- money (api.md v2 §1)


class ReserveOverAuthority(ClaimError):
    """The reserve is above the caller's authority limit."""

    rule = "reserve-over-authority"


class PaymentExceedsIndemnity(ClaimError):
    """The payments of the indemnity (pending, approved, issued) would exceed its total."""

    rule = "payment-exceeds-indemnity"


class FinalAmountMismatch(ClaimError):
    """A final payment pays exactly the rest of the indemnity."""

    rule = "final-amount-mismatch"


class SupplementWithoutReopening(ClaimError):
    """A supplement pays beyond an indemnity: only on a claim that was reopened."""

    rule = "supplement-without-reopening"


class UnknownPayment(ClaimError):
    rule = "unknown-payment"


class PaymentNotPendingApproval(ClaimError):
    rule = "payment-not-pending-approval"


class ApproverIsRequester(ClaimError):
    rule = "approver-is-requester"


class ApprovalOverAuthority(ClaimError):
    rule = "approval-over-authority"


class PaymentNotApproved(ClaimError):
    rule = "payment-not-approved"


class PaymentNotIssued(ClaimError):
    rule = "payment-not-issued"


class PaymentAlreadyIssued(ClaimError):
    rule = "payment-already-issued"


class PaymentNotCancellable(ClaimError):
    """A rejected or cancelled payment is over: there is nothing left to cancel."""

    rule = "payment-not-cancellable"


class PaymentInProgress(ClaimError):
    """A payment is pending approval or approved and not yet issued."""

    rule = "payment-in-progress"


class ApprovalRequired(ClaimError):
    """The v1 settlement shortcut cannot pay above the caller's authority limit."""

    rule = "approval-required"


class UnknownRecovery(ClaimError):
    rule = "unknown-recovery"


class RecoveryWithoutPayment(ClaimError):
    rule = "recovery-without-payment"


class RecoveryExceedsPaid(ClaimError):
    rule = "recovery-exceeds-paid"


class RecoveryNotExpected(ClaimError):
    rule = "recovery-not-expected"


# ---------------------------------------------------------------------- personal data (v2 §6)


class LegalHold(ClaimError):
    """An open complaint or mediation keeps the claim's personal data (the insurer's defence)."""

    rule = "legal-hold"


class ClaimNotClosed(ClaimError):
    rule = "claim-not-closed"


class SubjectAlreadyErased(ClaimError):
    rule = "subject-already-erased"


class UnknownSubject(UnknownItem):
    """No claim names this subject (404)."""

    rule = "unknown-subject"


class DocumentErased(ClaimError):
    """The document's content went with the claim's personal data (410)."""

    rule = "document-erased"
