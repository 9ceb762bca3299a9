"""Money on a claim: its reserve, its payments and its recoveries (docs/rules.md "Money on a
claim"; docs/adr/0027-money-ledger.md).

Pure: frozen value objects, and functions that either compute a figure or refuse a command
with a named error. The `Claim` aggregate records the events and delegates every money rule
here; the read models compute the same figures with the same functions.

Figures (api.md v2 §1, rule 1): paid = Σ issued; recovered = Σ received;
incurred = paid + reserve - recovered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.errors import (
    ApprovalOverAuthority,
    ApproverIsRequester,
    ClaimNotAccepted,
    FinalAmountMismatch,
    PaymentAlreadyIssued,
    PaymentExceedsIndemnity,
    PaymentNotApproved,
    PaymentNotCancellable,
    PaymentNotIssued,
    PaymentNotPendingApproval,
    RecoveryExceedsPaid,
    RecoveryNotExpected,
    RecoveryWithoutPayment,
    ReserveOverAuthority,
    SettlementModeNotAllowed,
    SettlementOfRefusedClaim,
    SupplementWithoutReopening,
)

ZERO = Decimal("0.00")


class PaymentKind(StrEnum):
    PARTIAL = "partial"
    FINAL = "final"  # exactly the rest of the indemnity
    SUPPLEMENT = "supplement"  # beyond the indemnity, after a reopening; always approved


class PaymentMode(StrEnum):
    TRANSFER = "transfer"
    CHEQUE = "cheque"
    VOUCHER = "voucher"


class PaymentState(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    ISSUED = "issued"
    FAILED = "failed"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class PaymentDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class RecoverySource(StrEnum):
    CARD_INSURER = "card_insurer"
    CARRIER = "carrier"
    THIRD_PARTY = "third_party"
    OTHER_INSURER = "other_insurer"


class RecoveryState(StrEnum):
    EXPECTED = "expected"
    RECEIVED = "received"
    WRITTEN_OFF = "written_off"


# Pending approval or approved, not yet issued: a closure waits for them (rule 8).
IN_FLIGHT = frozenset({PaymentState.PENDING_APPROVAL, PaymentState.APPROVED})
# What counts against the indemnity (rule 2).
COMMITTED = frozenset({*IN_FLIGHT, PaymentState.ISSUED})
# Issued once and came back: the approval stands, the payment may be issued again.
UNPAID = frozenset({PaymentState.FAILED, PaymentState.RETURNED})
ISSUABLE = frozenset({PaymentState.APPROVED, *UNPAID})


@dataclass(frozen=True)
class BankDetails:
    """Where transfers go: the holder and the IBAN, masked for display and encrypted by the
    application (the domain never sees the IBAN in clear once it is validated)."""

    holder: str
    iban_masked: str
    iban_ciphertext: str


@dataclass(frozen=True)
class Payment:
    payment_id: str
    payee: str
    amount: Decimal
    kind: str
    mode: str
    state: str
    requested_on: date
    requested_by: str
    approval_required: bool
    reopenings: int  # the claim's reopenings when it was requested, then when last issued
    iban_masked: str | None = None
    reason: str | None = None
    decided_on: date | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    issued_on: date | None = None
    issued_by: str | None = None
    bank_reference: str | None = None
    failed_on: date | None = None
    failure_reason: str | None = None
    cancelled_on: date | None = None
    cancelled_by: str | None = None

    @property
    def last_on(self) -> date:
        """The latest business date of this payment's facts (its next fact is not before)."""
        days = (self.decided_on, self.issued_on, self.failed_on, self.cancelled_on)
        return max([self.requested_on, *(d for d in days if d is not None)])

    @property
    def on_indemnity(self) -> bool:
        return self.kind != PaymentKind.SUPPLEMENT


@dataclass(frozen=True)
class Recovery:
    recovery_id: str
    source: str
    amount: Decimal  # expected
    expected_on: date
    subrogation: bool
    state: str
    expected_by: str
    received_on: date | None = None
    received_amount: Decimal | None = None
    written_off_on: date | None = None
    write_off_reason: str | None = None
    closed_by: str | None = None  # who recorded the receipt or the write-off

    @property
    def claimed(self) -> Decimal:
        """What this recovery claims back: the amount expected, or received."""
        if self.state == RecoveryState.RECEIVED and self.received_amount is not None:
            return self.received_amount
        return self.amount if self.state == RecoveryState.EXPECTED else ZERO

    @property
    def last_on(self) -> date:
        days = (self.received_on, self.written_off_on)
        return max([self.expected_on, *(d for d in days if d is not None)])


# ---------------------------------------------------------------------- figures


def paid(payments: Iterable[Payment]) -> Decimal:
    """Σ issued (a failed or returned payment is not paid)."""
    return sum((p.amount for p in payments if p.state == PaymentState.ISSUED), ZERO)


def paid_on_indemnity(payments: Iterable[Payment]) -> Decimal:
    return paid(p for p in payments if p.on_indemnity)


def committed(payments: Iterable[Payment], *, besides: str | None = None) -> Decimal:
    """Σ of the indemnity's payments pending approval, approved or issued (rule 2)."""
    return sum(
        (
            p.amount
            for p in payments
            if p.on_indemnity and p.state in COMMITTED and p.payment_id != besides
        ),
        ZERO,
    )


def recovered(recoveries: Iterable[Recovery]) -> Decimal:
    """Σ received."""
    return sum(
        (r.received_amount or ZERO for r in recoveries if r.state == RecoveryState.RECEIVED),
        ZERO,
    )


def incurred(*, paid: Decimal, reserve: Decimal, recovered: Decimal) -> Decimal:
    """The claim's cost as known: paid + reserve - recovered (rule 1)."""
    return paid + reserve - recovered


def in_flight(payments: Iterable[Payment]) -> list[Payment]:
    return [p for p in payments if p.state in IN_FLIGHT]


def settled(
    *, decision: str | None, total: Decimal | None, payments: Sequence[Payment], reopenings: int
) -> bool:
    """The current acceptance is paid (rule 6): the issued payments of the indemnity reach its
    total, one of them made since the last reopening (a reopening keeps earlier payments, and
    a new acceptance is settled by a payment of its own, if only of what is left: 0.00)."""
    if decision != "accepted" or total is None:
        return False
    issued = [p for p in payments if p.on_indemnity and p.state == PaymentState.ISSUED]
    return sum((p.amount for p in issued), ZERO) >= total and any(
        p.reopenings == reopenings for p in issued
    )


# ---------------------------------------------------------------------- reserve (rule 3)


def reserve_at_acceptance(total: Decimal, payments: Iterable[Payment]) -> Decimal:
    return max(ZERO, total - paid_on_indemnity(payments))


def reserve_after_issuance(reserve: Decimal, amount: Decimal) -> Decimal:
    return max(ZERO, reserve - amount)


def reserve_after_failure(reserve: Decimal, amount: Decimal) -> Decimal:
    return reserve + amount


def check_reserve(amount: Decimal, authority: Decimal | None, claim_id: UUID) -> None:
    """A reserve within the caller's authority (None: a caller inside the system)."""
    if authority is not None and amount > authority:
        raise ReserveOverAuthority(
            f"a reserve of {amount} is above your authority of {authority}", claim_id=claim_id
        )


# ---------------------------------------------------------------------- payments


def allowed_modes(settlement_mode: str) -> frozenset[str]:
    """The modes of the settlement chosen at declaration: a voucher pays by voucher, cash by
    transfer or cheque."""
    if settlement_mode == "voucher":
        return frozenset({PaymentMode.VOUCHER})
    return frozenset({PaymentMode.TRANSFER, PaymentMode.CHEQUE})


def needs_approval(kind: str, amount: Decimal, authority: Decimal | None) -> bool:
    """Over the requester's limit, and every supplement (rule 4)."""
    return kind == PaymentKind.SUPPLEMENT or (authority is not None and amount > authority)


def rest(total: Decimal, payments: Iterable[Payment]) -> Decimal:
    """What a final payment pays: the indemnity less what is committed to it."""
    return total - committed(payments)


def check_payment_request(
    *,
    decision: str | None,
    total: Decimal | None,
    payments: Sequence[Payment],
    reopenings: int,
    settlement_mode: str,
    kind: str,
    mode: str,
    amount: Decimal,
    claim_id: UUID,
) -> None:
    if decision == "refused":
        raise SettlementOfRefusedClaim("the claim was refused", claim_id=claim_id)
    if decision != "accepted" or total is None:
        raise ClaimNotAccepted("the claim has no accepted indemnity", claim_id=claim_id)
    if mode not in allowed_modes(settlement_mode):
        raise SettlementModeNotAllowed(
            f"this claim is settled by {settlement_mode}, as chosen at declaration: "
            f"{', '.join(sorted(allowed_modes(settlement_mode)))}",
            claim_id=claim_id,
        )
    if kind == PaymentKind.SUPPLEMENT:
        if reopenings == 0:
            raise SupplementWithoutReopening(
                "a supplement pays beyond an indemnity: reopen the claim first", claim_id=claim_id
            )
        return
    left = rest(total, payments)
    if kind == PaymentKind.FINAL and amount != left:
        raise FinalAmountMismatch(
            f"a final payment pays exactly the rest of the indemnity: {left}", claim_id=claim_id
        )
    if amount > left:
        raise PaymentExceedsIndemnity(
            f"{amount} is more than the {left} left of the indemnity of {total}",
            claim_id=claim_id,
        )


def check_approval(
    payment: Payment, *, decision: str, approver: str, authority: Decimal | None, claim_id: UUID
) -> None:
    if payment.state != PaymentState.PENDING_APPROVAL:
        raise PaymentNotPendingApproval(
            f"payment {payment.payment_id} is {payment.state}", claim_id=claim_id
        )
    if approver == payment.requested_by:
        raise ApproverIsRequester(
            f"payment {payment.payment_id} was requested by {approver}: another manager decides",
            claim_id=claim_id,
        )
    if decision == PaymentDecision.APPROVE and authority is not None and payment.amount > authority:
        raise ApprovalOverAuthority(
            f"{payment.amount} is above your authority of {authority}", claim_id=claim_id
        )


def check_issuance(
    payment: Payment,
    *,
    decision: str | None,
    total: Decimal | None,
    payments: Sequence[Payment],
    claim_id: UUID,
) -> None:
    if payment.state not in ISSUABLE:
        raise PaymentNotApproved(
            f"payment {payment.payment_id} is {payment.state}", claim_id=claim_id
        )
    if decision != "accepted":
        # Reopened since it was approved: it waits for the new assessment, or is cancelled.
        raise ClaimNotAccepted("the claim has no accepted indemnity", claim_id=claim_id)
    if payment.state in UNPAID and payment.on_indemnity:
        # Issued again: it counts against the indemnity again (rule 2).
        if decision != "accepted" or total is None:
            raise ClaimNotAccepted("the claim has no accepted indemnity", claim_id=claim_id)
        left = total - committed(payments, besides=payment.payment_id)
        if payment.amount > left:
            raise PaymentExceedsIndemnity(
                f"{payment.amount} is more than the {left} left of the indemnity",
                claim_id=claim_id,
            )


def check_failure(payment: Payment, claim_id: UUID) -> None:
    if payment.state != PaymentState.ISSUED:
        raise PaymentNotIssued(
            f"payment {payment.payment_id} is {payment.state}", claim_id=claim_id
        )


def check_cancellation(payment: Payment, claim_id: UUID) -> None:
    if payment.state == PaymentState.ISSUED:
        raise PaymentAlreadyIssued(
            f"payment {payment.payment_id} was issued on {payment.issued_on}: record its failure "
            "or return",
            claim_id=claim_id,
        )
    if payment.state in (PaymentState.REJECTED, PaymentState.CANCELLED):
        raise PaymentNotCancellable(
            f"payment {payment.payment_id} is {payment.state}", claim_id=claim_id
        )


# ---------------------------------------------------------------------- recoveries


def claimed_back(recoveries: Iterable[Recovery], *, besides: str | None = None) -> Decimal:
    return sum((r.claimed for r in recoveries if r.recovery_id != besides), ZERO)


def check_recovery(
    *,
    payments: Sequence[Payment],
    recoveries: Sequence[Recovery],
    amount: Decimal,
    claim_id: UUID,
) -> None:
    """A recovery follows a payment, and all recoveries together never claim back more than
    was paid."""
    total_paid = paid(payments)
    if total_paid == ZERO:
        raise RecoveryWithoutPayment("nothing was paid on this claim", claim_id=claim_id)
    if claimed_back(recoveries) + amount > total_paid:
        raise RecoveryExceedsPaid(
            f"recoveries would claim back more than the {total_paid} paid", claim_id=claim_id
        )


def check_receipt(
    recovery: Recovery,
    *,
    amount: Decimal,
    payments: Sequence[Payment],
    recoveries: Sequence[Recovery],
    claim_id: UUID,
) -> None:
    check_expected(recovery, claim_id)
    total_paid = paid(payments)
    if claimed_back(recoveries, besides=recovery.recovery_id) + amount > total_paid:
        raise RecoveryExceedsPaid(
            f"recoveries would claim back more than the {total_paid} paid", claim_id=claim_id
        )


def check_expected(recovery: Recovery, claim_id: UUID) -> None:
    if recovery.state != RecoveryState.EXPECTED:
        raise RecoveryNotExpected(
            f"recovery {recovery.recovery_id} is {recovery.state}", claim_id=claim_id
        )
