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
from domain.calendar import FrenchCalendar
from domain.catalogue import ContractTerms
from domain.deadlines import mediation_referral_deadline, mediation_referral_possible
from domain.declaration import ClaimDeclaration, declared_facts
from domain.errors import (
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
    ProofsIncomplete,
    SettlementModeNotAllowed,
    SettlementOfRefusedClaim,
    UnknownComplaint,
    WithdrawalAfterSettlement,
)
from domain.indemnity import ClaimFacts, compute_indemnity
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
        self.settlements: list[Settlement] = []
        self.settled = False  # the current acceptance has been paid
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

    # Snapshots of round 1 lack the causal-date bookkeeping: rebuild it from what they hold.
    class_version = 2

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
        return sum((s.amount for s in self.settlements), Decimal("0.00"))

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
        self.settled = False

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

    # ------------------------------------------------------------------ settlement

    class Settled(Aggregate.Event):
        paid_on: date
        mode: str
        reference: str
        amount: Decimal
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.paid_on

    def settle(self, *, paid_on: date, mode: str, reference: str, by: str) -> None:
        """Record payment of what the current acceptance owes beyond what was already paid."""
        self._after_main_track("paid_on", paid_on)
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
        amount = max(Decimal("0.00"), self.indemnity.total - self.amount_paid)
        self._settled(
            paid_on=paid_on,
            mode=code,
            reference=require_text("reference", reference),
            amount=amount,
            by=by,
        )

    @event(Settled)
    def _settled(
        self, *, paid_on: date, mode: str, reference: str, amount: Decimal, by: str
    ) -> None:
        self._fact(paid_on, "the payment", decisive=True)
        self.settlements.append(
            Settlement(paid_on=paid_on, mode=mode, reference=reference, amount=amount)
        )
        self.settled = True

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

    class Withdrawn(Aggregate.Event):
        withdrawn_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.withdrawn_on

    def withdraw(self, *, withdrawn_on: date, by: str) -> None:
        self._after_every_fact("withdrawn_on", withdrawn_on)  # a withdrawal is terminal
        self._ensure_open()
        if self.settlements:
            raise WithdrawalAfterSettlement(
                f"claim {self.claim_number} has been paid", claim_id=self.id
            )
        self._after_declaration("withdrawn_on", withdrawn_on)
        self._withdrawn(withdrawn_on=withdrawn_on, by=by)

    @event(Withdrawn)
    def _withdrawn(self, *, withdrawn_on: date, by: str) -> None:
        self._fact(withdrawn_on, "the withdrawal", decisive=True)
        self.withdrawn_on = withdrawn_on

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
        self.settled = False
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
