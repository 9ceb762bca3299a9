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
