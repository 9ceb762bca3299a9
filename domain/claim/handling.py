"""The main track of a claim: assignment, proofs, the card insurer's position, assessment,
closure, withdrawal and reopening; prescription acts and notes.

Part of the `Claim` aggregate (see `domain/claim/__init__.py` for how parts make one aggregate).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eventsourcing.domain import Aggregate

from domain.catalogue import ContractTerms
from domain.claim.state import ClaimState
from domain.errors import (
    CardInsurerPositionRequired,
    ClaimNotReopenable,
    IndemnityUnpaid,
    InvalidClaimData,
    ProofsIncomplete,
    WithdrawalAfterSettlement,
)
from domain.indemnity import ClaimFacts, compute_indemnity
from domain.ledger import ZERO, reserve_at_acceptance
from domain.validation import not_before, require_code, require_money, require_text
from domain.values import (
    AssessmentInputs,
    CardInsurerDecision,
    CardInsurerPosition,
    Document,
    Indemnity,
    PrescriptionAct,
)

MAX_NOTE_LENGTH = 4000


class HandlingPart(ClaimState):
    """The main track, from assignment to closure (and reopening)."""

    # ------------------------------------------------------------------ handler

    class HandlerAssigned(Aggregate.Event):
        handler: str
        assigned_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.assigned_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._handler_assigned(
                handler=self.handler, assigned_on=self.assigned_on, by=self.by
            )

    def assign_handler(self, *, handler: str, assigned_on: date, by: str) -> None:
        self._after_declaration("assigned_on", assigned_on)
        not_before("assigned_on", assigned_on, "the current assignment", self.assigned_on)
        self.trigger_event(
            self.HandlerAssigned,
            handler=require_text("handler", handler),
            assigned_on=assigned_on,
            by=by,
        )

    def _handler_assigned(self, *, handler: str, assigned_on: date, by: str) -> None:
        self.handler = handler
        self.assigned_on = assigned_on
        self._fact(assigned_on, "the assignment")

    # ------------------------------------------------------------------ proofs

    class ProofsRequested(Aggregate.Event):
        documents: list[str]
        requested_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.requested_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._proofs_requested(
                documents=self.documents, requested_on=self.requested_on, by=self.by
            )

    def request_proofs(self, *, documents: list[str], requested_on: date, by: str) -> None:
        if not documents:
            raise InvalidClaimData("documents", "name at least one document")
        codes = [require_code(f"documents[{i}]", doc, Document) for i, doc in enumerate(documents)]
        self._after_declaration("requested_on", requested_on)
        self._after_main_track("requested_on", requested_on)
        self._ensure_open()
        self._ensure_not_assessed()
        self.trigger_event(
            self.ProofsRequested,
            documents=list(dict.fromkeys(codes)),
            requested_on=requested_on,
            by=by,
        )

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

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._proof_received(
                document=self.document, received_on=self.received_on, by=self.by
            )

    def receive_proof(self, *, document: str, received_on: date, by: str) -> None:
        code = require_code("document", document, Document)
        self._after_declaration("received_on", received_on)
        self._after_decisive_step("received_on", received_on)
        self._after_last_request("received_on", received_on)
        self._ensure_open()
        self._ensure_not_assessed()
        self.trigger_event(self.ProofReceived, document=code, received_on=received_on, by=by)

    def _proof_received(self, *, document: str, received_on: date, by: str) -> None:
        self._fact(received_on, f"the receipt of {document}", main=True)
        self._mark_received(document)

    def _mark_received(self, document: str) -> None:
        if document in self.proofs_outstanding:
            self.proofs_outstanding.remove(document)

    # ------------------------------------------------------------------ card insurer (001 §1.2.4)

    class CardInsurerPositionReceived(Aggregate.Event):
        decision: str
        amount_paid: Decimal
        received_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._card_insurer_position_received(
                decision=self.decision,
                amount_paid=self.amount_paid,
                received_on=self.received_on,
                by=self.by,
            )

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
        self.trigger_event(
            self.CardInsurerPositionReceived,
            decision=code,
            amount_paid=amount,
            received_on=received_on,
            by=by,
        )

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

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._accepted(
                decided_on=self.decided_on, inputs=self.inputs, indemnity=self.indemnity, by=self.by
            )

    def accept(
        self, *, decided_on: date, inputs: AssessmentInputs, terms: ContractTerms, by: str
    ) -> None:
        """Accept, with the indemnity the engine computes from the contract and the inputs."""
        self._ensure_assessable(decided_on)
        self._after_money("decided_on", decided_on)
        if terms.code != self.contract:
            raise InvalidClaimData("contract", f"terms of {terms.code} given for {self.contract}")
        indemnity = compute_indemnity(terms, self.facts(), inputs)
        self.trigger_event(
            self.Accepted, decided_on=decided_on, inputs=inputs, indemnity=indemnity, by=by
        )

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

    def _accepted(
        self, *, decided_on: date, inputs: AssessmentInputs, indemnity: Indemnity, by: str
    ) -> None:
        self._fact(decided_on, "the acceptance", decisive=True)
        self.decision = "accepted"
        self.decided_on = decided_on
        self.indemnity = indemnity
        self._reserve_to(
            reserve_at_acceptance(indemnity.total, self.payments), decided_on, "the acceptance"
        )

    class Refused(Aggregate.Event):
        decided_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._refused(decided_on=self.decided_on, reason=self.reason, by=self.by)

    def refuse(self, *, decided_on: date, reason: str, by: str) -> None:
        self._after_every_fact("decided_on", decided_on)  # a refusal is terminal
        self._ensure_assessable(decided_on)
        self.trigger_event(
            self.Refused, decided_on=decided_on, reason=require_text("reason", reason), by=by
        )

    def _refused(self, *, decided_on: date, reason: str, by: str) -> None:
        self._fact(decided_on, "the refusal", decisive=True)
        self.decision = "refused"
        self.decided_on = decided_on
        self.indemnity = None
        self._reserve_to(ZERO, decided_on, "the refusal")

    # ------------------------------------------------------------------ end of the main track

    class Closed(Aggregate.Event):
        closed_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.closed_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._closed(closed_on=self.closed_on, by=self.by)

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
        self.trigger_event(self.Closed, closed_on=closed_on, by=by)

    def _closed(self, *, closed_on: date, by: str) -> None:
        self._fact(closed_on, "the closure", decisive=True)
        self.closed_on = closed_on
        self._reserve_to(ZERO, closed_on, "the closure")

    class Withdrawn(Aggregate.Event):
        withdrawn_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.withdrawn_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._withdrawn(withdrawn_on=self.withdrawn_on, by=self.by)

    def withdraw(self, *, withdrawn_on: date, by: str) -> None:
        self._after_every_fact("withdrawn_on", withdrawn_on)  # a withdrawal is terminal
        self._ensure_open()
        if any(p.issued_on is not None for p in self.payments):
            raise WithdrawalAfterSettlement(
                f"claim {self.claim_number} has been paid", claim_id=self.id
            )
        self._ensure_no_payment_in_flight()
        self._after_declaration("withdrawn_on", withdrawn_on)
        self.trigger_event(self.Withdrawn, withdrawn_on=withdrawn_on, by=by)

    def _withdrawn(self, *, withdrawn_on: date, by: str) -> None:
        self._fact(withdrawn_on, "the withdrawal", decisive=True)
        self.withdrawn_on = withdrawn_on
        self._reserve_to(ZERO, withdrawn_on, "the withdrawal")

    class Reopened(Aggregate.Event):
        reopened_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.reopened_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._reopened(reopened_on=self.reopened_on, reason=self.reason, by=self.by)

    def reopen(self, *, reopened_on: date, reason: str, by: str) -> None:
        """Back to assessment, e.g. after an upheld complaint or a mediator's opinion."""
        self._after_declaration("reopened_on", reopened_on)
        # It follows the answer, opinion or act that caused it, as it follows the closure.
        self._after_every_fact("reopened_on", reopened_on)
        if self.decision is None and self.closed_on is None and self.withdrawn_on is None:
            raise ClaimNotReopenable(
                f"claim {self.claim_number} is still being handled", claim_id=self.id
            )
        self.trigger_event(
            self.Reopened, reopened_on=reopened_on, reason=require_text("reason", reason), by=by
        )

    def _reopened(self, *, reopened_on: date, reason: str, by: str) -> None:
        self._fact(reopened_on, "the reopening", decisive=True)
        self.decision = None
        self.decided_on = None
        self.indemnity = None
        self.closed_on = None
        self.withdrawn_on = None
        self.reopenings += 1

    # ------------------------------------------------------------------ prescription (§12)

    class PrescriptionInterrupted(Aggregate.Event):
        act: str
        interrupted_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.interrupted_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._prescription_interrupted(
                act=self.act, interrupted_on=self.interrupted_on, by=self.by
            )

    def interrupt_prescription(self, *, act: str, interrupted_on: date, by: str) -> None:
        """Record an act that restarts the 2-year prescription (allowed on any claim)."""
        code = require_code("act", act, PrescriptionAct)
        not_before("interrupted_on", interrupted_on, "event_date", self.event_date)
        self.trigger_event(
            self.PrescriptionInterrupted, act=code, interrupted_on=interrupted_on, by=by
        )

    def _prescription_interrupted(self, *, act: str, interrupted_on: date, by: str) -> None:
        """The SLA clocks read it from the history; no decision needs it."""
        self._fact(interrupted_on, "the prescription act")

    # ------------------------------------------------------------------ notes

    class NoteAdded(Aggregate.Event):
        text: str
        noted_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.noted_on

        def apply(self, aggregate: HandlingPart) -> None:
            aggregate._note_added(text=self.text, noted_on=self.noted_on, by=self.by)

    def add_note(self, *, text: str, noted_on: date, by: str) -> None:
        body = require_text("text", text)
        if len(body) > MAX_NOTE_LENGTH:
            raise InvalidClaimData("text", f"at most {MAX_NOTE_LENGTH} characters")
        self._after_declaration("noted_on", noted_on)
        self.trigger_event(self.NoteAdded, text=body, noted_on=noted_on, by=by)

    def _note_added(self, *, text: str, noted_on: date, by: str) -> None:
        """Notes are history only (their date is bookkept: a closure is never before them)."""
        self._fact(noted_on, "the note")
