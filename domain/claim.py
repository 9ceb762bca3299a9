"""The `Claim` aggregate: one sinistre's whole lifecycle as past-tense events.

Each public command validates against the current state and the contract, then calls a private
`@event` method whose body only assigns state (it re-runs on every replay). Every event carries
the actor (`by`) and its business date(s); the event's `timestamp` is the recording time (UTC),
stamped by the event-sourcing library, never read by a rule.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain import complaints as complaint_rules
from domain import ledger
from domain.calendar import FrenchCalendar
from domain.catalogue import ContractTerms
from domain.deadlines import mediation_referral_deadline, mediation_referral_possible
from domain.declaration import ClaimDeclaration, declared_facts
from domain.errors import (
    ApprovalRequired,
    CardInsurerPositionRequired,
    ClaimAlreadyAssessed,
    ClaimAlreadySettled,
    ClaimClosed,
    ClaimNotAccepted,
    ClaimNotReopenable,
    ClaimWithdrawn,
    ComplaintAlreadyAcknowledged,
    ComplaintAlreadyAnswered,
    ComplaintAlreadyEscalated,
    ComplaintNotAnswered,
    IndemnityUnpaid,
    InvalidClaimData,
    MediationAlreadyConcluded,
    MediationAlreadyReferred,
    MediationNotReferred,
    MediationPremature,
    MediationTooLate,
    MediationWithoutWrittenComplaint,
    PaymentInProgress,
    ProofsIncomplete,
    SettlementModeNotAllowed,
    SettlementOfRefusedClaim,
    UnknownComplaint,
    UnknownPayment,
    UnknownRecovery,
    WithdrawalAfterSettlement,
)
from domain.indemnity import ClaimFacts, compute_indemnity
from domain.ledger import (
    ZERO,
    BankDetails,
    Payment,
    PaymentDecision,
    PaymentKind,
    PaymentMode,
    PaymentState,
    Recovery,
    RecoverySource,
    RecoveryState,
    check_approval,
    check_cancellation,
    check_expected,
    check_failure,
    check_issuance,
    check_payment_request,
    check_receipt,
    check_recovery,
    check_reserve,
    in_flight,
    needs_approval,
    paid,
    recovered,
    reserve_after_failure,
    reserve_after_issuance,
    reserve_at_acceptance,
    rest,
)
from domain.proofs import proofs_complete
from domain.validation import not_before, require_code, require_money, require_text
from domain.values import (
    AssessmentInputs,
    CardInsurerDecision,
    CardInsurerPosition,
    Cause,
    ClaimStatus,
    Complaint,
    ComplaintChannel,
    ComplaintMotive,
    ComplaintOutcome,
    CorrectiveAction,
    DeclarationChannel,
    Document,
    FeeBracket,
    Indemnity,
    Insured,
    Mediation,
    MediationOutcome,
    PrescriptionAct,
    RootCause,
    Settlement,
    SettlementMode,
    Trip,
)

MAX_NOTE_LENGTH = 4000


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


class Claim(Aggregate):
    """One claim (sinistre) under one contract, for 1 to 9 insured persons of one booking."""

    # ------------------------------------------------------------------ declaration

    class Declared(Aggregate.Created):
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
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.declared_on

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Round-1 declarations had no channel: they were all entered online."""
            state["channel"] = DeclarationChannel.ONLINE.value

    @event(Declared)
    def __init__(
        self,
        *,
        claim_number: str,
        contract: str,
        subscription_number: str,
        guarantee: str,
        cause: Cause,
        event_date: date,
        known_on: date,
        declared_on: date,
        booking_date: date,
        subscription_date: date,
        trip: Trip,
        insured: list[Insured],
        settlement_mode: str,
        fee_scale: list[FeeBracket] | None,
        medical_contraindication_on: date | None,
        cancelled_on: date | None,
        interrupted_on: date | None,
        medical_cause: bool,
        late_declaration: bool,
        declaration_working_days_late: int,
        flags: list[str],
        card_insurer_position_required: bool,
        channel: str,
        by: str,
    ) -> None:
        self.claim_number = claim_number
        self.contract = contract
        self.subscription_number = subscription_number
        self.guarantee = guarantee
        self.cause = cause
        self.event_date = event_date
        self.known_on = known_on
        self.declared_on = declared_on
        self.booking_date = booking_date
        self.subscription_date = subscription_date
        self.trip = trip
        self.insured = list(insured)
        self.settlement_mode = settlement_mode
        self.fee_scale = list(fee_scale) if fee_scale is not None else None
        self.medical_contraindication_on = medical_contraindication_on
        self.cancelled_on = cancelled_on
        self.interrupted_on = interrupted_on
        self.medical_cause = medical_cause
        self.late_declaration = late_declaration
        self.declaration_working_days_late = declaration_working_days_late
        self.flags = list(flags)
        self.card_insurer_position_required = card_insurer_position_required
        self.channel = channel
        self.declared_by = by
        self.handler: str | None = None
        self.proofs_requested: list[str] = []
        self.proofs_received: list[str] = []
        self.proofs_outstanding: list[str] = []
        self.card_insurer_position: CardInsurerPosition | None = None
        self.decision: str | None = None  # "accepted" | "refused" for the current assessment
        self.decided_on: date | None = None
        self.refusal_reason: str | None = None
        self.indemnity: Indemnity | None = None
        self.closed_on: date | None = None
        self.withdrawn_on: date | None = None
        self.reopenings = 0
        self.complaints: list[Complaint] = []
        self.mediation: Mediation | None = None
        # Causal business dates (docs/rules.md "Business dates follow cause and effect").
        self.latest_on = declared_on  # the latest business date of any fact
        self.latest_fact = "the declaration"
        self.main_track_on = declared_on  # ... of a fact of the main track (proofs to closure)
        self.main_track_fact = "the declaration"
        self.decisive_on = declared_on  # ... of an assessment, payment, closure, withdrawal,
        self.decisive_fact = "the declaration"  # or reopening: the main track's last step
        self.last_request_on: date | None = None  # the latest proof request
        self.assigned_on: date | None = None
        self._init_money(declared_on)

    def _init_money(self, declared_on: date) -> None:
        # Money (docs/rules.md "Money on a claim"; the rules are in domain/ledger.py).
        self.reserve = ZERO
        self.payments: list[Payment] = []
        self.recoveries: list[Recovery] = []
        self.bank_details: BankDetails | None = None
        self.bank_details_on: date | None = None
        self.money_on = declared_on  # the latest fact that changed the reserve
        self.money_fact = "the declaration"

    # Snapshots of round 1 lack the causal-date bookkeeping: rebuild it from what they hold.
    # Snapshots before the money ledger hold `settlements`: they become issued final payments.
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("channel", DeclarationChannel.ONLINE.value)
        main = [state["declared_on"]]
        main += [d for d in (state.get("decided_on"), state.get("closed_on")) if d]
        main += [d for d in [state.get("withdrawn_on")] if d]
        main += [s.paid_on for s in state.get("settlements", [])]
        position = state.get("card_insurer_position")
        decisive = max(main)
        if position is not None:
            main.append(position.received_on)
        side: list[date] = []
        for c in state.get("complaints", []):
            side += [
                d
                for d in (
                    c.received_on,
                    c.acknowledged_on,
                    c.answered_on,
                    c.escalated_on,
                    c.recours_answered_on,
                )
                if d
            ]
        mediation = state.get("mediation")
        if mediation is not None:
            side += [d for d in (mediation.referred_on, mediation.decided_on) if d]
        state["main_track_on"] = max(main)
        state["decisive_on"] = decisive
        state["latest_on"] = max(main + side)
        for name in ("latest_fact", "main_track_fact", "decisive_fact"):
            state[name] = "an earlier fact"
        state["last_request_on"] = None
        state["assigned_on"] = None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        number, reopenings = state["claim_number"], state.get("reopenings", 0)
        payments = [
            _legacy_payment(f"{number}-P{n}", s, reopenings, state["insured"], state["declared_by"])
            for n, s in enumerate(state.pop("settlements", []), start=1)
        ]
        state.pop("settled", None)
        # The reserve as the events would have left it (rule 3): what the acceptance still owes.
        indemnity, decision = state.get("indemnity"), state.get("decision")
        reserve = ZERO
        if decision == "accepted" and indemnity is not None:
            reserve = reserve_at_acceptance(indemnity.total, payments)
        if state.get("closed_on") or state.get("withdrawn_on"):
            reserve = ZERO
        state["reserve"] = reserve
        state["payments"] = payments
        state["recoveries"] = []
        state["bank_details"] = None
        state["bank_details_on"] = None
        state["money_on"] = state["decisive_on"]
        state["money_fact"] = "an earlier fact"

    @classmethod
    def declare(
        cls,
        declaration: ClaimDeclaration,
        *,
        claim_number: str,
        terms: ContractTerms,
        calendar: FrenchCalendar,
        by: str,
    ) -> Claim:
        """Open a claim. Irregular dates are flagged for the handler, never refused
        (rules.md "Declaration"; the checks are in `domain/declaration.py`)."""
        return cls(claim_number=claim_number, **declared_facts(declaration, terms, calendar), by=by)

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

    # ------------------------------------------------------------------ handler

    class HandlerAssigned(Aggregate.Event):
        handler: str
        assigned_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.assigned_on

    def assign_handler(self, *, handler: str, assigned_on: date, by: str) -> None:
        self._after_declaration("assigned_on", assigned_on)
        not_before("assigned_on", assigned_on, "the current assignment", self.assigned_on)
        self._handler_assigned(
            handler=require_text("handler", handler), assigned_on=assigned_on, by=by
        )

    @event(HandlerAssigned)
    def _handler_assigned(self, *, handler: str, assigned_on: date, by: str) -> None:
        self.handler = handler
        self.assigned_on = assigned_on
        self._fact(assigned_on, "the assignment")

    # ------------------------------------------------------------------ proofs

    class ProofsRequested(Aggregate.Event):
        documents: list[str]
        requested_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.requested_on

    def request_proofs(self, *, documents: list[str], requested_on: date, by: str) -> None:
        if not documents:
            raise InvalidClaimData("documents", "name at least one document")
        codes = [require_code(f"documents[{i}]", doc, Document) for i, doc in enumerate(documents)]
        self._after_declaration("requested_on", requested_on)
        self._after_main_track("requested_on", requested_on)
        self._ensure_open()
        self._ensure_not_assessed()
        self._proofs_requested(
            documents=list(dict.fromkeys(codes)), requested_on=requested_on, by=by
        )

    @event(ProofsRequested)
    def _proofs_requested(self, *, documents: list[str], requested_on: date, by: str) -> None:
        self._fact(requested_on, "the proof request", main=True)
        self.last_request_on = requested_on
        for document in documents:
            if document not in self.proofs_requested:
                self.proofs_requested.append(document)
            # A request for a document already received asks for it again (e.g. illegible).
            if document not in self.proofs_outstanding:
                self.proofs_outstanding.append(document)

    class ProofReceived(Aggregate.Event):
        document: str
        received_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

    def receive_proof(self, *, document: str, received_on: date, by: str) -> None:
        code = require_code("document", document, Document)
        self._after_declaration("received_on", received_on)
        self._after_decisive_step("received_on", received_on)
        self._after_last_request("received_on", received_on)
        self._ensure_open()
        self._ensure_not_assessed()
        self._proof_received(document=code, received_on=received_on, by=by)

    @event(ProofReceived)
    def _proof_received(self, *, document: str, received_on: date, by: str) -> None:
        self._fact(received_on, f"the receipt of {document}", main=True)
        self._mark_received(document)

    def _mark_received(self, document: str) -> None:
        if document not in self.proofs_received:
            self.proofs_received.append(document)
        if document in self.proofs_outstanding:
            self.proofs_outstanding.remove(document)

    # ------------------------------------------------------------------ card insurer (001 §1.2.4)

    class CardInsurerPositionReceived(Aggregate.Event):
        decision: str
        amount_paid: Decimal
        received_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

    def receive_card_insurer_position(
        self, *, decision: str, amount_paid: Decimal, received_on: date, by: str
    ) -> None:
        code = require_code("decision", decision, CardInsurerDecision)
        amount = require_money("amount_paid", amount_paid)
        if code == CardInsurerDecision.REFUSED and amount != 0:
            raise InvalidClaimData("amount_paid", "must be 0.00 when the card insurer refused")
        if code == CardInsurerDecision.PAID and amount == 0:
            raise InvalidClaimData("amount_paid", "must be positive when the card insurer paid")
        self._after_declaration("received_on", received_on)
        self._after_decisive_step("received_on", received_on)
        self._after_last_request("received_on", received_on)
        earlier = self.card_insurer_position
        if earlier is not None:  # a new position replaces the one before it
            not_before("received_on", received_on, "the earlier position", earlier.received_on)
        self._ensure_open()
        self._ensure_not_assessed()
        self._card_insurer_position_received(
            decision=code, amount_paid=amount, received_on=received_on, by=by
        )

    @event(CardInsurerPositionReceived)
    def _card_insurer_position_received(
        self, *, decision: str, amount_paid: Decimal, received_on: date, by: str
    ) -> None:
        self.card_insurer_position = CardInsurerPosition(
            decision=decision, amount_paid=amount_paid, received_on=received_on
        )
        self._fact(received_on, "the card insurer's position", main=True)
        self._mark_received(Document.CARD_INSURER_POSITION.value)

    # ------------------------------------------------------------------ assessment

    def _ensure_assessable(self, decided_on: date) -> None:
        self._after_declaration("decided_on", decided_on)
        self._after_main_track("decided_on", decided_on)
        self._ensure_open()
        self._ensure_not_assessed()
        if not self.proofs_complete:
            missing = ", ".join(self.proofs_outstanding) or "no proof was requested"
            raise ProofsIncomplete(f"proofs incomplete: {missing}", claim_id=self.id)
        if self.awaiting_card_insurer:
            raise CardInsurerPositionRequired(
                "a trip over the contract's per-person threshold needs the card insurer's "
                "position before assessment",
                claim_id=self.id,
            )

    class Accepted(Aggregate.Event):
        decided_on: date
        inputs: AssessmentInputs
        indemnity: Indemnity
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

    def accept(
        self, *, decided_on: date, inputs: AssessmentInputs, terms: ContractTerms, by: str
    ) -> None:
        """Accept, with the indemnity the engine computes from the contract and the inputs."""
        self._ensure_assessable(decided_on)
        self._after_money("decided_on", decided_on)
        if terms.code != self.contract:
            raise InvalidClaimData("contract", f"terms of {terms.code} given for {self.contract}")
        indemnity = compute_indemnity(terms, self.facts(), inputs)
        self._accepted(decided_on=decided_on, inputs=inputs, indemnity=indemnity, by=by)

    def facts(self) -> ClaimFacts:
        """What the indemnity engine reads from this claim."""
        position = self.card_insurer_position
        return ClaimFacts(
            guarantee=self.guarantee,
            category=self.cause.category,
            cause_code=self.cause.code,
            settlement_mode=self.settlement_mode,
            medical=self.medical_cause,
            insured=tuple(self.insured),
            trip=self.trip,
            event_date=self.event_date,
            medical_contraindication_on=self.medical_contraindication_on,
            interrupted_on=self.interrupted_on,
            fee_scale=tuple(self.fee_scale) if self.fee_scale else None,
            card_insurer_paid=position.amount_paid if position is not None else Decimal("0.00"),
        )

    @event(Accepted)
    def _accepted(
        self, *, decided_on: date, inputs: AssessmentInputs, indemnity: Indemnity, by: str
    ) -> None:
        self._fact(decided_on, "the acceptance", decisive=True)
        self.decision = "accepted"
        self.decided_on = decided_on
        self.indemnity = indemnity
        self.refusal_reason = None
        self._reserve_to(
            reserve_at_acceptance(indemnity.total, self.payments), decided_on, "the acceptance"
        )

    class Refused(Aggregate.Event):
        decided_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

    def refuse(self, *, decided_on: date, reason: str, by: str) -> None:
        self._after_every_fact("decided_on", decided_on)  # a refusal is terminal
        self._ensure_assessable(decided_on)
        self._refused(decided_on=decided_on, reason=require_text("reason", reason), by=by)

    @event(Refused)
    def _refused(self, *, decided_on: date, reason: str, by: str) -> None:
        self._fact(decided_on, "the refusal", decisive=True)
        self.decision = "refused"
        self.decided_on = decided_on
        self.refusal_reason = reason
        self.indemnity = None
        self._reserve_to(ZERO, decided_on, "the refusal")

    # ------------------------------------------------------------------ settlement (v1)

    class Settled(Aggregate.Event):
        """Round 1's payment (v1 `POST …/settlement` before the money ledger). No longer
        recorded; stored ones fold as an issued final payment (docs/adr/0027-money-ledger.md)."""

        paid_on: date
        mode: str
        reference: str
        amount: Decimal
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.paid_on

    def settle(
        self,
        *,
        paid_on: date,
        mode: str,
        reference: str,
        by: str,
        authority: Decimal | None = None,
    ) -> str:
        """v1's shortcut: request, approve and issue the final payment of what the current
        acceptance still owes, on `paid_on` (api.md v2 §1). `authority` is the caller's limit
        (None: a caller inside the system); above it the payment needs a manager's approval
        through the payment commands (`approval-required`). Returns the payment's id."""
        self._after_main_track("paid_on", paid_on)
        self._after_money("paid_on", paid_on)
        self._ensure_open()
        if self.decision == "refused":
            raise SettlementOfRefusedClaim(
                f"claim {self.claim_number} was refused", claim_id=self.id
            )
        if self.decision != "accepted" or self.indemnity is None or self.decided_on is None:
            raise ClaimNotAccepted(
                f"claim {self.claim_number} has no accepted indemnity", claim_id=self.id
            )
        if self.settled:
            raise ClaimAlreadySettled(
                f"claim {self.claim_number} is already settled", claim_id=self.id
            )
        code = require_code("mode", mode, SettlementMode)
        if code != self.settlement_mode:
            raise SettlementModeNotAllowed(
                f"this claim is settled by {self.settlement_mode}, as chosen at declaration",
                claim_id=self.id,
            )
        not_before("paid_on", paid_on, "decided_on", self.decided_on)
        self._ensure_no_payment_in_flight()
        amount = max(ZERO, rest(self.indemnity.total, self.payments))
        if needs_approval(PaymentKind.FINAL, amount, authority):
            raise ApprovalRequired(
                f"{amount} is above your authority of {authority}: request the payment and have "
                "a manager approve it",
                claim_id=self.id,
            )
        payment_id = self._next_payment_id()
        self._payment_requested(
            payment_id=payment_id,
            payee=", ".join(person.name for person in self.insured),
            amount=amount,
            kind=PaymentKind.FINAL.value,
            mode=(PaymentMode.VOUCHER if code == "voucher" else PaymentMode.TRANSFER).value,
            requested_on=paid_on,
            iban_masked=None,
            iban_ciphertext=None,
            reason=None,
            approval_required=False,
            by=by,
        )
        self._payment_issued(
            payment_id=payment_id,
            issued_on=paid_on,
            bank_reference=require_text("reference", reference),
            amount=amount,
            kind=PaymentKind.FINAL.value,
            by=by,
        )
        return payment_id

    @event(Settled)
    def _settled(
        self, *, paid_on: date, mode: str, reference: str, amount: Decimal, by: str
    ) -> None:
        payment = _legacy_payment(
            self._next_payment_id(),
            Settlement(paid_on=paid_on, mode=mode, reference=reference, amount=amount),
            self.reopenings,
            self.insured,
            by,
        )
        self.payments.append(payment)
        self._issued(payment, paid_on)

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

    class ReserveSet(Aggregate.Event):
        amount: Decimal
        previous: Decimal
        set_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.set_on

    class ReserveAdjusted(Aggregate.Event):
        amount: Decimal
        previous: Decimal
        set_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.set_on

    class ReserveReleased(Aggregate.Event):
        amount: Decimal
        previous: Decimal
        set_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.set_on

    def set_reserve(
        self, *, amount: Decimal, set_on: date, reason: str, by: str, authority: Decimal | None
    ) -> None:
        """The claim's reserve (provision pour sinistres à payer), set by hand: a first one is
        set, a change adjusts it, 0.00 releases it. `authority`: the caller's limit."""
        value = require_money("amount", amount)
        why = require_text("reason", reason)
        self._after_declaration("set_on", set_on)
        self._after_money("set_on", set_on)
        self._ensure_open()
        check_reserve(value, authority, self.id)
        if value == ZERO:
            record = self._reserve_released
        elif self.reserve == ZERO:
            record = self._reserve_set
        else:
            record = self._reserve_adjusted
        record(amount=value, previous=self.reserve, set_on=set_on, reason=why, by=by)

    def _reserve_changed(self, amount: Decimal, set_on: date) -> None:
        self._fact(set_on, "the reserve")
        self._reserve_to(amount, set_on, "the reserve")

    @event(ReserveSet)
    def _reserve_set(
        self, *, amount: Decimal, previous: Decimal, set_on: date, reason: str, by: str
    ) -> None:
        self._reserve_changed(amount, set_on)

    @event(ReserveAdjusted)
    def _reserve_adjusted(
        self, *, amount: Decimal, previous: Decimal, set_on: date, reason: str, by: str
    ) -> None:
        self._reserve_changed(amount, set_on)

    @event(ReserveReleased)
    def _reserve_released(
        self, *, amount: Decimal, previous: Decimal, set_on: date, reason: str, by: str
    ) -> None:
        self._reserve_changed(amount, set_on)

    class PaymentRequested(Aggregate.Event):
        payment_id: str
        payee: str
        amount: Decimal
        kind: str
        mode: str
        requested_on: date
        iban_masked: str | None
        # AES-GCM by the application (never the IBAN in clear): never published nor shown.
        iban_ciphertext: str | None
        reason: str | None
        approval_required: bool
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.requested_on

    def request_payment(
        self,
        *,
        payee: str,
        amount: Decimal,
        kind: str,
        mode: str,
        requested_on: date,
        iban_masked: str | None,
        iban_ciphertext: str | None,
        reason: str | None,
        by: str,
        authority: Decimal | None,
    ) -> str:
        """Request a payment; it is approved at once within the requester's `authority` (None:
        a caller inside the system), else pending a manager's approval, as is every
        supplement (api.md v2 §1 rules 2 and 4). The IBAN comes validated, masked and
        encrypted; without one a transfer goes to the claim's bank details. Returns its id."""
        kind_code = require_code("kind", kind, PaymentKind)
        mode_code = require_code("mode", mode, PaymentMode)
        value = require_money("amount", amount, positive=True)
        name = require_text("payee", payee)
        why = require_text("reason", reason) if reason is not None and reason.strip() else None
        if kind_code == PaymentKind.SUPPLEMENT and why is None:
            raise InvalidClaimData("reason", "a supplement needs a reason")
        if (iban_masked is None) != (iban_ciphertext is None):
            raise InvalidClaimData("iban", "give the masked IBAN with its ciphertext")
        if iban_masked is not None and mode_code != PaymentMode.TRANSFER:
            raise InvalidClaimData("iban", "only a transfer goes to an IBAN")
        if mode_code == PaymentMode.TRANSFER and iban_masked is None:
            if self.bank_details is None:
                raise InvalidClaimData("iban", "a transfer needs an IBAN: the claim has none")
            iban_masked = self.bank_details.iban_masked
            iban_ciphertext = self.bank_details.iban_ciphertext
        if iban_masked is not None:
            # A transfer goes to the bank details of its day; new ones replace the earlier.
            not_before("requested_on", requested_on, "the bank details given", self.bank_details_on)
        self._after_declaration("requested_on", requested_on)
        self._after_main_track("requested_on", requested_on)
        self._ensure_open()
        check_payment_request(
            decision=self.decision,
            total=self.indemnity.total if self.indemnity is not None else None,
            payments=self.payments,
            reopenings=self.reopenings,
            settlement_mode=self.settlement_mode,
            kind=kind_code,
            mode=mode_code,
            amount=value,
            claim_id=self.id,
        )
        payment_id = self._next_payment_id()
        self._payment_requested(
            payment_id=payment_id,
            payee=name,
            amount=value,
            kind=kind_code,
            mode=mode_code,
            requested_on=requested_on,
            iban_masked=iban_masked,
            iban_ciphertext=iban_ciphertext,
            reason=why,
            approval_required=needs_approval(kind_code, value, authority),
            by=by,
        )
        return payment_id

    @event(PaymentRequested)
    def _payment_requested(
        self,
        *,
        payment_id: str,
        payee: str,
        amount: Decimal,
        kind: str,
        mode: str,
        requested_on: date,
        iban_masked: str | None,
        iban_ciphertext: str | None,
        reason: str | None,
        approval_required: bool,
        by: str,
    ) -> None:
        self._fact(requested_on, "the payment request")
        self.payments.append(
            Payment(
                payment_id=payment_id,
                payee=payee,
                amount=amount,
                kind=kind,
                mode=mode,
                state=(
                    PaymentState.PENDING_APPROVAL if approval_required else PaymentState.APPROVED
                ).value,
                requested_on=requested_on,
                requested_by=by,
                approval_required=approval_required,
                reopenings=self.reopenings,
                iban_masked=iban_masked,
                reason=reason,
            )
        )
        if iban_masked is not None and iban_ciphertext is not None:
            # The bank details are those of the latest transfer (dated in order: see above).
            self.bank_details = BankDetails(payee, iban_masked, iban_ciphertext)
            self.bank_details_on = requested_on

    class PaymentApproved(Aggregate.Event):
        payment_id: str
        decided_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

    class PaymentRejected(Aggregate.Event):
        payment_id: str
        decided_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

    def decide_payment(
        self,
        *,
        payment_id: str,
        decision: str,
        decided_on: date,
        reason: str,
        by: str,
        authority: Decimal | None,
    ) -> None:
        """A manager other than the requester, whose `authority` covers the amount, approves
        (or rejects) a payment pending approval (api.md v2 §1 rule 4)."""
        payment = self.payment(payment_id)
        code = require_code("decision", decision, PaymentDecision)
        why = require_text("reason", reason)
        not_before("decided_on", decided_on, "the payment's request", payment.last_on)
        check_approval(payment, decision=code, approver=by, authority=authority, claim_id=self.id)
        record = (
            self._payment_approved if code == PaymentDecision.APPROVE else self._payment_rejected
        )
        record(payment_id=payment_id, decided_on=decided_on, reason=why, by=by)

    def _payment_decided(
        self, payment_id: str, state: PaymentState, decided_on: date, reason: str, by: str
    ) -> None:
        self._fact(decided_on, "the payment's approval")
        self._update_payment(
            replace(
                self.payment(payment_id),
                state=state.value,
                decided_on=decided_on,
                decided_by=by,
                decision_reason=reason,
            )
        )

    @event(PaymentApproved)
    def _payment_approved(self, *, payment_id: str, decided_on: date, reason: str, by: str) -> None:
        self._payment_decided(payment_id, PaymentState.APPROVED, decided_on, reason, by)

    @event(PaymentRejected)
    def _payment_rejected(self, *, payment_id: str, decided_on: date, reason: str, by: str) -> None:
        self._payment_decided(payment_id, PaymentState.REJECTED, decided_on, reason, by)

    class PaymentIssued(Aggregate.Event):
        payment_id: str
        issued_on: date
        bank_reference: str
        amount: Decimal
        kind: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.issued_on

    def issue_payment(
        self, *, payment_id: str, issued_on: date, bank_reference: str, by: str
    ) -> None:
        """Issue an approved payment, or issue again one that failed or came back."""
        payment = self.payment(payment_id)
        reference = require_text("bank_reference", bank_reference)
        not_before("issued_on", issued_on, "the payment's last step", payment.last_on)
        self._after_money("issued_on", issued_on)
        self._after_main_track("issued_on", issued_on)
        self._ensure_open()
        check_issuance(
            payment,
            decision=self.decision,
            total=self.indemnity.total if self.indemnity is not None else None,
            payments=self.payments,
            claim_id=self.id,
        )
        self._payment_issued(
            payment_id=payment_id,
            issued_on=issued_on,
            bank_reference=reference,
            amount=payment.amount,
            kind=payment.kind,
            by=by,
        )

    def _issued(self, payment: Payment, issued_on: date) -> None:
        self._fact(issued_on, "the payment", decisive=True)
        self._reserve_to(
            reserve_after_issuance(self.reserve, payment.amount), issued_on, "the payment"
        )

    @event(PaymentIssued)
    def _payment_issued(
        self,
        *,
        payment_id: str,
        issued_on: date,
        bank_reference: str,
        amount: Decimal,
        kind: str,
        by: str,
    ) -> None:
        payment = replace(
            self.payment(payment_id),
            state=PaymentState.ISSUED.value,
            reopenings=self.reopenings,  # it pays the acceptance of its issuance
            issued_on=issued_on,
            issued_by=by,
            bank_reference=bank_reference,
            failed_on=None,
            failure_reason=None,
        )
        self._update_payment(payment)
        self._issued(payment, issued_on)

    class PaymentFailed(Aggregate.Event):
        payment_id: str
        failed_on: date
        reason: str
        amount: Decimal
        kind: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.failed_on

    class PaymentReturned(Aggregate.Event):
        """The transfer was made and came back (retour de virement)."""

        payment_id: str
        failed_on: date
        reason: str
        amount: Decimal
        kind: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.failed_on

    def fail_payment(
        self, *, payment_id: str, failed_on: date, reason: str, returned: bool, by: str
    ) -> None:
        """An issued payment failed, or came back: it is not paid any more, the reserve is
        restored, and a new 15-day payment clock runs (api.md v2 §1 rules 3 and 6). Allowed
        on a closed claim too: the bank says when."""
        payment = self.payment(payment_id)
        why = require_text("reason", reason)
        not_before("failed_on", failed_on, "the payment's issuance", payment.last_on)
        self._after_money("failed_on", failed_on)
        # It undoes what the payment settled: not before a later reopening or closure.
        self._after_decisive_step("failed_on", failed_on)
        check_failure(payment, self.id)
        record = self._payment_returned if returned else self._payment_failed
        record(
            payment_id=payment_id,
            failed_on=failed_on,
            reason=why,
            amount=payment.amount,
            kind=payment.kind,
            by=by,
        )

    def _unpaid(self, payment_id: str, state: PaymentState, failed_on: date, reason: str) -> None:
        payment = self.payment(payment_id)
        self._fact(failed_on, "the payment's failure")
        self._update_payment(
            replace(payment, state=state.value, failed_on=failed_on, failure_reason=reason)
        )
        self._reserve_to(
            reserve_after_failure(self.reserve, payment.amount),
            failed_on,
            "the payment's failure",
        )

    @event(PaymentFailed)
    def _payment_failed(
        self, *, payment_id: str, failed_on: date, reason: str, amount: Decimal, kind: str, by: str
    ) -> None:
        self._unpaid(payment_id, PaymentState.FAILED, failed_on, reason)

    @event(PaymentReturned)
    def _payment_returned(
        self, *, payment_id: str, failed_on: date, reason: str, amount: Decimal, kind: str, by: str
    ) -> None:
        self._unpaid(payment_id, PaymentState.RETURNED, failed_on, reason)

    class PaymentCancelled(Aggregate.Event):
        payment_id: str
        cancelled_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.cancelled_on

    def cancel_payment(self, *, payment_id: str, cancelled_on: date, reason: str, by: str) -> None:
        payment = self.payment(payment_id)
        why = require_text("reason", reason)
        not_before("cancelled_on", cancelled_on, "the payment's last step", payment.last_on)
        check_cancellation(payment, self.id)
        self._payment_cancelled(payment_id=payment_id, cancelled_on=cancelled_on, reason=why, by=by)

    @event(PaymentCancelled)
    def _payment_cancelled(
        self, *, payment_id: str, cancelled_on: date, reason: str, by: str
    ) -> None:
        self._fact(cancelled_on, "the payment's cancellation")
        self._update_payment(
            replace(
                self.payment(payment_id),
                state=PaymentState.CANCELLED.value,
                cancelled_on=cancelled_on,
                cancelled_by=by,
            )
        )

    class RecoveryExpected(Aggregate.Event):
        recovery_id: str
        source: str
        amount: Decimal
        expected_on: date
        subrogation: bool
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.expected_on

    def expect_recovery(
        self, *, source: str, amount: Decimal, expected_on: date, subrogation: bool, by: str
    ) -> str:
        """Money expected back from a card insurer, a carrier, a third party or another
        insurer, after a payment (closed claims too). Returns its id."""
        code = require_code("source", source, RecoverySource)
        value = require_money("amount", amount, positive=True)
        self._after_declaration("expected_on", expected_on)
        issued = [p.issued_on for p in self.payments if p.issued_on is not None]
        not_before("expected_on", expected_on, "the first payment", min(issued, default=None))
        check_recovery(
            payments=self.payments, recoveries=self.recoveries, amount=value, claim_id=self.id
        )
        recovery_id = f"{self.claim_number}-RC{len(self.recoveries) + 1}"
        self._recovery_expected(
            recovery_id=recovery_id,
            source=code,
            amount=value,
            expected_on=expected_on,
            subrogation=subrogation,
            by=by,
        )
        return recovery_id

    @event(RecoveryExpected)
    def _recovery_expected(
        self,
        *,
        recovery_id: str,
        source: str,
        amount: Decimal,
        expected_on: date,
        subrogation: bool,
        by: str,
    ) -> None:
        self._fact(expected_on, "the recovery")
        self.recoveries.append(
            Recovery(
                recovery_id=recovery_id,
                source=source,
                amount=amount,
                expected_on=expected_on,
                subrogation=subrogation,
                state=RecoveryState.EXPECTED.value,
                expected_by=by,
            )
        )

    class RecoveryReceived(Aggregate.Event):
        recovery_id: str
        received_on: date
        amount: Decimal
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

    def receive_recovery(
        self, *, recovery_id: str, received_on: date, amount: Decimal, by: str
    ) -> None:
        recovery = self.recovery(recovery_id)
        value = require_money("amount", amount, positive=True)
        not_before("received_on", received_on, "the recovery's expected_on", recovery.expected_on)
        check_receipt(
            recovery,
            amount=value,
            payments=self.payments,
            recoveries=self.recoveries,
            claim_id=self.id,
        )
        self._recovery_received(
            recovery_id=recovery_id, received_on=received_on, amount=value, by=by
        )

    @event(RecoveryReceived)
    def _recovery_received(
        self, *, recovery_id: str, received_on: date, amount: Decimal, by: str
    ) -> None:
        self._fact(received_on, "the recovery's receipt")
        self._update_recovery(
            replace(
                self.recovery(recovery_id),
                state=RecoveryState.RECEIVED.value,
                received_on=received_on,
                received_amount=amount,
                closed_by=by,
            )
        )

    class RecoveryWrittenOff(Aggregate.Event):
        recovery_id: str
        written_off_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.written_off_on

    def write_off_recovery(
        self, *, recovery_id: str, written_off_on: date, reason: str, by: str
    ) -> None:
        recovery = self.recovery(recovery_id)
        why = require_text("reason", reason)
        not_before(
            "written_off_on", written_off_on, "the recovery's expected_on", recovery.expected_on
        )
        check_expected(recovery, self.id)
        self._recovery_written_off(
            recovery_id=recovery_id, written_off_on=written_off_on, reason=why, by=by
        )

    @event(RecoveryWrittenOff)
    def _recovery_written_off(
        self, *, recovery_id: str, written_off_on: date, reason: str, by: str
    ) -> None:
        self._fact(written_off_on, "the recovery's write-off")
        self._update_recovery(
            replace(
                self.recovery(recovery_id),
                state=RecoveryState.WRITTEN_OFF.value,
                written_off_on=written_off_on,
                write_off_reason=reason,
                closed_by=by,
            )
        )

    # ------------------------------------------------------------------ end of the main track

    class Closed(Aggregate.Event):
        closed_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.closed_on

    def close(self, *, closed_on: date, by: str) -> None:
        self._after_every_fact("closed_on", closed_on)  # a closure is terminal
        self._ensure_open()
        self._ensure_no_payment_in_flight()
        if self.decision == "accepted" and not self.settled:
            raise IndemnityUnpaid(
                f"claim {self.claim_number} has an accepted indemnity not yet paid",
                claim_id=self.id,
            )
        self._after_declaration("closed_on", closed_on)
        not_before("closed_on", closed_on, "decided_on", self.decided_on)
        self._closed(closed_on=closed_on, by=by)

    @event(Closed)
    def _closed(self, *, closed_on: date, by: str) -> None:
        self._fact(closed_on, "the closure", decisive=True)
        self.closed_on = closed_on
        self._reserve_to(ZERO, closed_on, "the closure")

    class Withdrawn(Aggregate.Event):
        withdrawn_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.withdrawn_on

    def withdraw(self, *, withdrawn_on: date, by: str) -> None:
        self._after_every_fact("withdrawn_on", withdrawn_on)  # a withdrawal is terminal
        self._ensure_open()
        if any(p.issued_on is not None for p in self.payments):
            raise WithdrawalAfterSettlement(
                f"claim {self.claim_number} has been paid", claim_id=self.id
            )
        self._ensure_no_payment_in_flight()
        self._after_declaration("withdrawn_on", withdrawn_on)
        self._withdrawn(withdrawn_on=withdrawn_on, by=by)

    @event(Withdrawn)
    def _withdrawn(self, *, withdrawn_on: date, by: str) -> None:
        self._fact(withdrawn_on, "the withdrawal", decisive=True)
        self.withdrawn_on = withdrawn_on
        self._reserve_to(ZERO, withdrawn_on, "the withdrawal")

    class Reopened(Aggregate.Event):
        reopened_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.reopened_on

    def reopen(self, *, reopened_on: date, reason: str, by: str) -> None:
        """Back to assessment, e.g. after an upheld complaint or a mediator's opinion."""
        self._after_declaration("reopened_on", reopened_on)
        # It follows the answer, opinion or act that caused it, as it follows the closure.
        self._after_every_fact("reopened_on", reopened_on)
        if self.decision is None and self.closed_on is None and self.withdrawn_on is None:
            raise ClaimNotReopenable(
                f"claim {self.claim_number} is still being handled", claim_id=self.id
            )
        self._reopened(reopened_on=reopened_on, reason=require_text("reason", reason), by=by)

    @event(Reopened)
    def _reopened(self, *, reopened_on: date, reason: str, by: str) -> None:
        self._fact(reopened_on, "the reopening", decisive=True)
        self.decision = None
        self.decided_on = None
        self.refusal_reason = None
        self.indemnity = None
        self.closed_on = None
        self.withdrawn_on = None
        self.reopenings += 1

    # ------------------------------------------------------------------ complaints (§11)

    class ComplaintOpened(Aggregate.Event):
        complaint_id: str
        sent_on: date
        received_on: date
        channel: str
        summary: str
        motive: str | None
        root_cause: str | None
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Round-1 complaints were opened unqualified."""
            state["motive"] = None
            state["root_cause"] = None

    def open_complaint(
        self,
        *,
        sent_on: date,
        received_on: date,
        channel: str,
        summary: str,
        by: str,
        motive: str | None = None,
        root_cause: str | None = None,
    ) -> str:
        """Record a complaint (allowed on closed and withdrawn claims), qualified or not yet;
        returns its id."""
        code = require_code("channel", channel, ComplaintChannel)
        motive_code = None if motive is None else require_code("motive", motive, ComplaintMotive)
        cause_code = (
            None if root_cause is None else require_code("root_cause", root_cause, RootCause)
        )
        not_before("received_on", received_on, "sent_on", sent_on)
        self._after_declaration("received_on", received_on)
        complaint_id = f"{self.claim_number}-R{len(self.complaints) + 1}"
        self._complaint_opened(
            complaint_id=complaint_id,
            sent_on=sent_on,
            received_on=received_on,
            channel=code,
            summary=require_text("summary", summary),
            motive=motive_code,
            root_cause=cause_code,
            by=by,
        )
        return complaint_id

    @event(ComplaintOpened)
    def _complaint_opened(
        self,
        *,
        complaint_id: str,
        sent_on: date,
        received_on: date,
        channel: str,
        summary: str,
        motive: str | None,
        root_cause: str | None,
        by: str,
    ) -> None:
        self._fact(received_on, "the complaint's receipt")
        self.complaints.append(
            Complaint(
                complaint_id=complaint_id,
                sent_on=sent_on,
                received_on=received_on,
                channel=channel,
                summary=summary,
                motive=motive,
                root_cause=root_cause,
                qualified_on=received_on if motive or root_cause else None,
            )
        )

    def _update_complaint(self, updated: Complaint) -> None:
        self.complaints = [
            updated if c.complaint_id == updated.complaint_id else c for c in self.complaints
        ]

    class ComplaintAcknowledged(Aggregate.Event):
        complaint_id: str
        sent_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.sent_on

    def acknowledge_complaint(self, *, complaint_id: str, sent_on: date, by: str) -> None:
        complaint = self.complaint(complaint_id)
        if complaint.acknowledged_on is not None:
            raise ComplaintAlreadyAcknowledged(
                f"complaint {complaint_id} was acknowledged on {complaint.acknowledged_on}",
                claim_id=self.id,
            )
        not_before("sent_on", sent_on, "the complaint's received_on", complaint.received_on)
        # Judged as of sent_on: an answer dated later was not there yet.
        if complaint.answered_on is not None and complaint.answered_on <= sent_on:
            raise ComplaintAlreadyAnswered(
                f"complaint {complaint_id} was already answered on {complaint.answered_on}",
                claim_id=self.id,
            )
        self._complaint_acknowledged(complaint_id=complaint_id, sent_on=sent_on, by=by)

    @event(ComplaintAcknowledged)
    def _complaint_acknowledged(self, *, complaint_id: str, sent_on: date, by: str) -> None:
        self._fact(sent_on, "the complaint's acknowledgement")
        self._update_complaint(replace(self.complaint(complaint_id), acknowledged_on=sent_on))

    class ComplaintAnswered(Aggregate.Event):
        complaint_id: str
        sent_on: date
        outcome: str
        recours: bool
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.sent_on

    def answer_complaint(self, *, complaint_id: str, sent_on: date, outcome: str, by: str) -> None:
        """Answer the complaint, or its recours when it was escalated after a first answer."""
        complaint = self.complaint(complaint_id)
        code = require_code("outcome", outcome, ComplaintOutcome)
        if complaint.answered_on is None:
            recours = False
            not_before("sent_on", sent_on, "the complaint's received_on", complaint.received_on)
            not_before("sent_on", sent_on, "the acknowledgement", complaint.acknowledged_on)
        elif complaint.escalated_on is not None and complaint.recours_answered_on is None:
            recours = True
            not_before("sent_on", sent_on, "the recours' received_on", complaint.escalated_on)
        else:
            raise ComplaintAlreadyAnswered(
                f"complaint {complaint_id} was already answered", claim_id=self.id
            )
        self._complaint_answered(
            complaint_id=complaint_id, sent_on=sent_on, outcome=code, recours=recours, by=by
        )

    @event(ComplaintAnswered)
    def _complaint_answered(
        self, *, complaint_id: str, sent_on: date, outcome: str, recours: bool, by: str
    ) -> None:
        self._fact(sent_on, "the complaint's answer")
        complaint = self.complaint(complaint_id)
        if recours:
            updated = replace(complaint, recours_answered_on=sent_on, recours_outcome=outcome)
        else:
            updated = replace(complaint, answered_on=sent_on, outcome=outcome)
        self._update_complaint(updated)

    class ComplaintEscalated(Aggregate.Event):
        complaint_id: str
        received_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

    def escalate_complaint(self, *, complaint_id: str, received_on: date, by: str) -> None:
        """The complainant takes the answered complaint to the second level (recours)."""
        complaint = self.complaint(complaint_id)
        if complaint.answered_on is None:
            raise ComplaintNotAnswered(
                f"complaint {complaint_id} has no first-level answer yet", claim_id=self.id
            )
        if complaint.escalated_on is not None:
            raise ComplaintAlreadyEscalated(
                f"complaint {complaint_id} was already escalated", claim_id=self.id
            )
        not_before("received_on", received_on, "the answer's sent_on", complaint.answered_on)
        if self.mediation is not None:
            # The referral judged the complaints without this recours: it cannot come before.
            not_before(
                "received_on", received_on, "the mediation referral", self.mediation.referred_on
            )
        self._complaint_escalated(complaint_id=complaint_id, received_on=received_on, by=by)

    @event(ComplaintEscalated)
    def _complaint_escalated(self, *, complaint_id: str, received_on: date, by: str) -> None:
        self._fact(received_on, "the recours")
        self._update_complaint(replace(self.complaint(complaint_id), escalated_on=received_on))

    # Qualification and corrective actions (ACPR recommendation 2024-R-02: the register of
    # complaints keeps their motive, the analysis of causes and the corrective actions).
    # The rules are in domain/complaints.py.

    class ComplaintQualified(Aggregate.Event):
        complaint_id: str
        qualified_on: date
        motive: str
        root_cause: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.qualified_on

    def qualify_complaint(
        self, *, complaint_id: str, qualified_on: date, motive: str, root_cause: str, by: str
    ) -> None:
        """Set (or revise) the complaint's motive and root cause."""
        decision = complaint_rules.qualify(
            self.complaint(complaint_id),
            qualified_on=qualified_on,
            motive=motive,
            root_cause=root_cause,
        )
        self._complaint_qualified(
            complaint_id=complaint_id,
            qualified_on=qualified_on,
            motive=decision.motive,
            root_cause=decision.root_cause,
            by=by,
        )

    @event(ComplaintQualified)
    def _complaint_qualified(
        self, *, complaint_id: str, qualified_on: date, motive: str, root_cause: str, by: str
    ) -> None:
        self._fact(qualified_on, "the complaint's qualification")
        self._update_complaint(
            replace(
                self.complaint(complaint_id),
                motive=motive,
                root_cause=root_cause,
                qualified_on=qualified_on,
            )
        )

    class CorrectiveActionRecorded(Aggregate.Event):
        complaint_id: str
        action_id: str
        recorded_on: date
        action: str
        owner: str
        due_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.recorded_on

    def record_corrective_action(
        self,
        *,
        complaint_id: str,
        recorded_on: date,
        action: str,
        owner: str,
        due_on: date,
        by: str,
    ) -> str:
        """Record an action decided after the complaint's analysis; returns its id."""
        complaint = self.complaint(complaint_id)
        complaint_rules.check_new_action(complaint, recorded_on=recorded_on, due_on=due_on)
        action_id = complaint_rules.next_action_id(complaint)
        self._corrective_action_recorded(
            complaint_id=complaint_id,
            action_id=action_id,
            recorded_on=recorded_on,
            action=require_text("action", action),
            owner=require_text("owner", owner),
            due_on=due_on,
            by=by,
        )
        return action_id

    @event(CorrectiveActionRecorded)
    def _corrective_action_recorded(
        self,
        *,
        complaint_id: str,
        action_id: str,
        recorded_on: date,
        action: str,
        owner: str,
        due_on: date,
        by: str,
    ) -> None:
        self._fact(recorded_on, "the corrective action")
        complaint = self.complaint(complaint_id)
        recorded = CorrectiveAction(
            action_id=action_id, action=action, owner=owner, recorded_on=recorded_on, due_on=due_on
        )
        self._update_complaint(
            replace(
                complaint,
                corrective_actions=complaint_rules.in_order(
                    (*complaint.corrective_actions, recorded)
                ),
            )
        )

    class CorrectiveActionCompleted(Aggregate.Event):
        complaint_id: str
        action_id: str
        done_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.done_on

    def complete_corrective_action(
        self, *, complaint_id: str, action_id: str, done_on: date, by: str
    ) -> None:
        """Record that the corrective action was carried out."""
        complaint_rules.check_completion(
            self.complaint(complaint_id), action_id=action_id, done_on=done_on, claim_id=self.id
        )
        self._corrective_action_completed(
            complaint_id=complaint_id, action_id=action_id, done_on=done_on, by=by
        )

    @event(CorrectiveActionCompleted)
    def _corrective_action_completed(
        self, *, complaint_id: str, action_id: str, done_on: date, by: str
    ) -> None:
        self._fact(done_on, "the corrective action's completion")
        complaint = self.complaint(complaint_id)
        self._update_complaint(
            replace(
                complaint,
                corrective_actions=tuple(
                    replace(a, done_on=done_on) if a.action_id == action_id else a
                    for a in complaint.corrective_actions
                ),
            )
        )

    # ------------------------------------------------------------------ mediation (§11)

    class MediationReferred(Aggregate.Event):
        referred_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.referred_on

    def refer_to_mediation(self, *, referred_on: date, calendar: FrenchCalendar, by: str) -> None:
        """The insured refers the dispute to the Médiateur de l'Assurance. Judged as of
        `referred_on`: complaints, answers and recours dated later are not seen (rules.md
        "Mediation"; the SLA clock uses the same deadline functions)."""
        if self.mediation is not None:
            raise MediationAlreadyReferred(
                f"claim {self.claim_number} was referred on {self.mediation.referred_on}",
                claim_id=self.id,
            )
        written = [c for c in self.complaints if c.is_written and c.sent_on <= referred_on]
        if not written:
            raise MediationWithoutWrittenComplaint(
                "mediation needs a prior written complaint", claim_id=self.id
            )
        in_time = [
            c for c in written if referred_on <= mediation_referral_deadline(c.sent_on, calendar)
        ]
        if not in_time:
            raise MediationTooLate(
                "mediation must be referred within one year of the written complaint",
                claim_id=self.id,
            )
        if not any(mediation_referral_possible(c, referred_on, calendar) for c in in_time):
            raise MediationPremature(
                "internal avenues are not exhausted and the 2-month answer window is still running",
                claim_id=self.id,
            )
        self._mediation_referred(referred_on=referred_on, by=by)

    @event(MediationReferred)
    def _mediation_referred(self, *, referred_on: date, by: str) -> None:
        self._fact(referred_on, "the mediation referral")
        self.mediation = Mediation(referred_on=referred_on)

    class MediationConcluded(Aggregate.Event):
        decided_on: date
        outcome: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

    def conclude_mediation(self, *, decided_on: date, outcome: str, by: str) -> None:
        if self.mediation is None:
            raise MediationNotReferred(
                f"claim {self.claim_number} is not in mediation", claim_id=self.id
            )
        if self.mediation.decided_on is not None:
            raise MediationAlreadyConcluded(
                f"the mediator decided on {self.mediation.decided_on}", claim_id=self.id
            )
        code = require_code("outcome", outcome, MediationOutcome)
        not_before("decided_on", decided_on, "referred_on", self.mediation.referred_on)
        self._mediation_concluded(decided_on=decided_on, outcome=code, by=by)

    @event(MediationConcluded)
    def _mediation_concluded(self, *, decided_on: date, outcome: str, by: str) -> None:
        assert self.mediation is not None  # guaranteed by the command; replays follow it
        self._fact(decided_on, "the mediator's conclusion")
        self.mediation = replace(self.mediation, decided_on=decided_on, outcome=outcome)

    # ------------------------------------------------------------------ prescription (§12)

    class PrescriptionInterrupted(Aggregate.Event):
        act: str
        interrupted_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.interrupted_on

    def interrupt_prescription(self, *, act: str, interrupted_on: date, by: str) -> None:
        """Record an act that restarts the 2-year prescription (allowed on any claim)."""
        code = require_code("act", act, PrescriptionAct)
        not_before("interrupted_on", interrupted_on, "event_date", self.event_date)
        self._prescription_interrupted(act=code, interrupted_on=interrupted_on, by=by)

    @event(PrescriptionInterrupted)
    def _prescription_interrupted(self, *, act: str, interrupted_on: date, by: str) -> None:
        """The SLA clocks read it from the history; no decision needs it."""
        self._fact(interrupted_on, "the prescription act")

    # ------------------------------------------------------------------ notes

    class NoteAdded(Aggregate.Event):
        text: str
        noted_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.noted_on

    def add_note(self, *, text: str, noted_on: date, by: str) -> None:
        body = require_text("text", text)
        if len(body) > MAX_NOTE_LENGTH:
            raise InvalidClaimData("text", f"at most {MAX_NOTE_LENGTH} characters")
        self._after_declaration("noted_on", noted_on)
        self._note_added(text=body, noted_on=noted_on, by=by)

    @event(NoteAdded)
    def _note_added(self, *, text: str, noted_on: date, by: str) -> None:
        """Notes are history only (their date is bookkept: a closure is never before them)."""
        self._fact(noted_on, "the note")


def _legacy_payment(
    payment_id: str, settlement: Settlement, reopenings: int, insured: list[Insured], by: str
) -> Payment:
    """A round-1 settlement read as the issued final payment it was (api.md v2 §1)."""
    return Payment(
        payment_id=payment_id,
        payee=", ".join(person.name for person in insured),
        amount=settlement.amount,
        kind=PaymentKind.FINAL.value,
        mode=(PaymentMode.VOUCHER if settlement.mode == "voucher" else PaymentMode.TRANSFER).value,
        state=PaymentState.ISSUED.value,
        requested_on=settlement.paid_on,
        requested_by=by,
        approval_required=False,
        reopenings=reopenings,
        issued_on=settlement.paid_on,
        issued_by=by,
        bank_reference=settlement.reference,
    )
