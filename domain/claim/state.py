"""What every part of the `Claim` aggregate shares: its state (declared once, for the type
checker), the state derived from it, the guards and the bookkeeping of business dates and money.

No event is defined here; the events are in the parts (see `domain/claim/__init__.py`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate

from domain import ledger
from domain.declarant import Declarant
from domain.errors import (
    ClaimAlreadyAssessed,
    ClaimClosed,
    ClaimWithdrawn,
    PaymentInProgress,
    UnknownComplaint,
    UnknownPayment,
    UnknownRecovery,
)
from domain.ledger import (
    BankDetails,
    Payment,
    PaymentMode,
    PaymentState,
    Recovery,
    in_flight,
    paid,
    recovered,
    reserve_after_issuance,
)
from domain.proofs import proofs_complete
from domain.validation import not_before
from domain.values import (
    CardInsurerPosition,
    Cause,
    ClaimStatus,
    Complaint,
    FeeBracket,
    Indemnity,
    Insured,
    Mediation,
    Settlement,
    Trip,
)


def claim_status(
    *,
    withdrawn: bool,
    closed: bool,
    decision: str | None,
    settled: bool,
    proofs_requested: bool,
    proofs_complete: bool,
    awaiting_card_insurer: bool,
) -> ClaimStatus:
    """The claim's status, derived from its state (shared with the read models)."""
    if withdrawn:
        return ClaimStatus.WITHDRAWN
    if closed:
        return ClaimStatus.CLOSED
    if decision == "refused":
        return ClaimStatus.REFUSED
    if decision == "accepted":
        return ClaimStatus.SETTLED if settled else ClaimStatus.ACCEPTED
    if proofs_complete:
        return (
            ClaimStatus.AWAITING_CARD_INSURER
            if awaiting_card_insurer
            else (ClaimStatus.PROOFS_COMPLETE)
        )
    if proofs_requested:
        return ClaimStatus.PROOFS_REQUESTED
    return ClaimStatus.DECLARED


class ClaimState(Aggregate):
    """The claim's state, the state derived from it, and what every part checks or books.

    The attributes are set by the events (the declaration sets them all: `Claim.__init__`);
    they are declared here for the type checker only (no class attribute, so that the
    library does not make the aggregate a dataclass).
    """

    if TYPE_CHECKING:
        # The declaration (docs/rules.md "Declaration").
        claim_number: str
        contract: str
        subscription_number: str
        guarantee: str
        cause: Cause
        event_date: date
        known_on: date
        declared_on: date
        booking_date: date
        subscription_date: date
        trip: Trip
        insured: list[Insured]
        settlement_mode: str
        fee_scale: list[FeeBracket] | None
        medical_contraindication_on: date | None
        cancelled_on: date | None
        interrupted_on: date | None
        medical_cause: bool
        late_declaration: bool
        declaration_working_days_late: int
        flags: list[str]
        card_insurer_position_required: bool
        channel: str
        declarant: Declarant | None
        declared_by: str
        # Handling.
        handler: str | None
        assigned_on: date | None
        proofs_requested: list[str]
        proofs_received: list[str]
        proofs_outstanding: list[str]
        last_request_on: date | None  # the latest proof request
        card_insurer_position: CardInsurerPosition | None
        decision: str | None  # "accepted" | "refused" for the current assessment
        decided_on: date | None
        refusal_reason: str | None
        indemnity: Indemnity | None
        closed_on: date | None
        withdrawn_on: date | None
        reopenings: int
        # Complaints and mediation.
        complaints: list[Complaint]
        mediation: Mediation | None
        # Causal business dates (docs/rules.md "Business dates follow cause and effect").
        latest_on: date
        latest_fact: str
        main_track_on: date
        main_track_fact: str
        decisive_on: date
        decisive_fact: str
        # Money (docs/rules.md "Money on a claim"; the rules are in domain/ledger.py).
        reserve: Decimal
        payments: list[Payment]
        recoveries: list[Recovery]
        bank_details: BankDetails | None
        bank_details_on: date | None
        money_on: date  # the latest fact that changed the reserve
        money_fact: str

    # ------------------------------------------------------------------ derived state

    @property
    def proofs_complete(self) -> bool:
        """Every requested document received (and at least one was requested)."""
        return proofs_complete(
            any_requested=bool(self.proofs_requested), outstanding=self.proofs_outstanding
        )

    @property
    def awaiting_card_insurer(self) -> bool:
        return self.card_insurer_position_required and self.card_insurer_position is None

    @property
    def amount_paid(self) -> Decimal:
        """Σ issued payments (api.md v2 §1 rule 1: paid = v1 amount_paid)."""
        return paid(self.payments)

    @property
    def amount_recovered(self) -> Decimal:
        return recovered(self.recoveries)

    @property
    def settled(self) -> bool:
        """The current acceptance is paid (api.md v2 §1 rule 6)."""
        return ledger.settled(
            decision=self.decision,
            total=self.indemnity.total if self.indemnity is not None else None,
            payments=self.payments,
            reopenings=self.reopenings,
        )

    @property
    def settlements(self) -> list[Settlement]:
        """v1's view of the payments: the issued ones, in order (cash = transfer or cheque)."""
        return [
            Settlement(
                paid_on=p.issued_on,
                mode="voucher" if p.mode == PaymentMode.VOUCHER else "cash",
                reference=p.bank_reference or "",
                amount=p.amount,
            )
            for p in self.payments
            if p.state == PaymentState.ISSUED and p.issued_on is not None
        ]

    def payment(self, payment_id: str) -> Payment:
        for payment in self.payments:
            if payment.payment_id == payment_id:
                return payment
        raise UnknownPayment(f"no payment {payment_id!r} on this claim", claim_id=self.id)

    def recovery(self, recovery_id: str) -> Recovery:
        for recovery in self.recoveries:
            if recovery.recovery_id == recovery_id:
                return recovery
        raise UnknownRecovery(f"no recovery {recovery_id!r} on this claim", claim_id=self.id)

    @property
    def status(self) -> ClaimStatus:
        return claim_status(
            withdrawn=self.withdrawn_on is not None,
            closed=self.closed_on is not None,
            decision=self.decision,
            settled=self.settled,
            proofs_requested=bool(self.proofs_requested),
            proofs_complete=self.proofs_complete,
            awaiting_card_insurer=self.awaiting_card_insurer,
        )

    def complaint(self, complaint_id: str) -> Complaint:
        for complaint in self.complaints:
            if complaint.complaint_id == complaint_id:
                return complaint
        raise UnknownComplaint(f"no complaint {complaint_id!r} on this claim", claim_id=self.id)

    # ------------------------------------------------------------------ guards

    def _ensure_open(self) -> None:
        """Commands of the main track need a claim that is neither closed nor withdrawn."""
        if self.closed_on is not None:
            raise ClaimClosed(f"claim {self.claim_number} is closed", claim_id=self.id)
        if self.withdrawn_on is not None:
            raise ClaimWithdrawn(f"claim {self.claim_number} was withdrawn", claim_id=self.id)

    def _ensure_not_assessed(self) -> None:
        if self.decision is not None:
            raise ClaimAlreadyAssessed(
                f"claim {self.claim_number} is already {self.decision}; reopen it first",
                claim_id=self.id,
            )

    def _after_declaration(self, field: str, value: date) -> None:
        not_before(field, value, "declared_on", self.declared_on)

    # Causal business dates (docs/rules.md "Business dates follow cause and effect";
    # docs/adr/0014-causal-business-dates.md lists every dependency). These checks run before
    # the state guards: a command dated before a fact it depends on is refused (422).

    def _after_decisive_step(self, field: str, value: date) -> None:
        """Nothing of the main track is dated before its last assessment, payment, closure,
        withdrawal or reopening (the state a later fact builds on)."""
        not_before(field, value, self.decisive_fact, self.decisive_on)

    def _after_main_track(self, field: str, value: date) -> None:
        """An assessment, payment or reopening comes after every fact of the main track it
        rests on (the proof that completed the file, the card insurer's position...)."""
        not_before(field, value, self.main_track_fact, self.main_track_on)

    def _after_every_fact(self, field: str, value: date) -> None:
        """A terminal fact (refusal, withdrawal, closure) is never dated before a fact
        already recorded on the claim."""
        not_before(field, value, self.latest_fact, self.latest_on)

    def _after_last_request(self, field: str, value: date) -> None:
        """A proof (or the card insurer's position) received answers the requests before it:
        it is not dated before the latest request, which may have reopened the file (the
        handling clock starts on the day the file is complete)."""
        not_before(field, value, "the latest proof request", self.last_request_on)

    def _fact(self, on: date, what: str, *, main: bool = False, decisive: bool = False) -> None:
        """Bookkeeping of the latest business dates (state only: it re-runs on replay)."""
        if on >= self.latest_on:
            self.latest_on, self.latest_fact = on, what
        if (main or decisive) and on >= self.main_track_on:
            self.main_track_on, self.main_track_fact = on, what
        if decisive and on >= self.decisive_on:
            self.decisive_on, self.decisive_fact = on, what

    # ------------------------------------------------------------------ money (api.md v2 §1)

    # Causal business dates: the reserve is changed by the acceptance, the refusal, the
    # closure, the withdrawal, each issuance and each failure, and by hand; each of these is
    # dated on or after the one before it (docs/adr/0014), so the reserve read as of a day is
    # the reserve folded from the facts dated up to that day.

    def _after_money(self, field: str, value: date) -> None:
        not_before(field, value, self.money_fact, self.money_on)

    def _reserve_to(self, amount: Decimal, on: date, what: str) -> None:
        """State only: the reserve after a fact of `on`."""
        self.reserve = amount
        if on >= self.money_on:
            self.money_on = on
            self.money_fact = what

    def _ensure_no_payment_in_flight(self) -> None:
        flying = in_flight(self.payments)
        if flying:
            raise PaymentInProgress(
                f"payment {flying[0].payment_id} is {flying[0].state}: issue or cancel it first",
                claim_id=self.id,
            )

    def _next_payment_id(self) -> str:
        return f"{self.claim_number}-P{len(self.payments) + 1}"

    def _update_payment(self, updated: Payment) -> None:
        self.payments = [
            updated if p.payment_id == updated.payment_id else p for p in self.payments
        ]

    def _update_recovery(self, updated: Recovery) -> None:
        self.recoveries = [
            updated if r.recovery_id == updated.recovery_id else r for r in self.recoveries
        ]

    def _issued(self, payment: Payment, issued_on: date) -> None:
        self._fact(issued_on, "the payment", decisive=True)
        self._reserve_to(
            reserve_after_issuance(self.reserve, payment.amount), issued_on, "the payment"
        )
