"""The `Claim` aggregate: one sinistre's whole lifecycle as past-tense events.

Each public command validates against the current state and the contract, then records an
event whose `apply` only assigns state (it re-runs on every replay). Every event carries the
actor (`by`) and its business date(s); the event's `timestamp` is the recording time (UTC),
stamped by the event-sourcing library, never read by a rule.

The aggregate is written in parts, one module per concern (docs/adr/0028):
`state.py` (the state, derived state, guards and bookkeeping every part shares),
`handling.py` (the main track), `payments.py`, `money.py` (reserve, recoveries, round 1's
settlements) and `complaints.py` (complaints and mediation). `Claim` below inherits them all:
the event-sourcing library redefines every event of a direct base as `Claim.<Event>` in this
module, so that every stored topic stays `domain.claim:Claim.<Event>`. Hence, in a part, a
command records its event with `self.trigger_event(self.<Event>, ...)` (which resolves to
`Claim.<Event>`) and the event's `apply` assigns the state; never with `@event(<Event>)`, which
would bind the part's own class (topic `domain.claim.<part>:<Part>.<Event>`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.calendar import FrenchCalendar
from domain.catalogue import ContractTerms
from domain.claim.access import AccessPart
from domain.claim.complaints import ComplaintsPart
from domain.claim.documents import DocumentsPart
from domain.claim.erasure import ErasurePart
from domain.claim.handling import MAX_NOTE_LENGTH, HandlingPart
from domain.claim.money import MoneyPart, _legacy_payment
from domain.claim.payments import PaymentsPart
from domain.claim.state import ClaimState, claim_status
from domain.declarant import Declarant
from domain.declaration import ClaimDeclaration, declared_facts
from domain.ledger import ZERO, reserve_at_acceptance
from domain.values import (
    AssessmentInputs,
    Cause,
    DeclarationChannel,
    FeeBracket,
    Indemnity,
    Insured,
    Trip,
)

# The names the events' annotations use, resolved in this module's namespace by whoever reads
# the events' type hints (infra/events.py builds the published schemas from them).
__all__ = [
    "MAX_NOTE_LENGTH",
    "AssessmentInputs",
    "Cause",
    "Claim",
    "ClaimState",
    "Decimal",
    "Declarant",
    "FeeBracket",
    "Indemnity",
    "Insured",
    "Trip",
    "claim_status",
    "date",
]


# What the aggregate held before only for the claim body (docs/adr/0028-claim-in-parts.md).
DISPLAY_ONLY = (
    "subscription_number",
    "known_on",
    "booking_date",
    "subscription_date",
    "late_declaration",
    "declaration_working_days_late",
    "flags",
    "channel",
    "proofs_received",
    "refusal_reason",
)


class Claim(
    HandlingPart, PaymentsPart, MoneyPart, ComplaintsPart, AccessPart, DocumentsPart, ErasurePart
):
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
        declarant: Declarant | None
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.declared_on

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Round-1 declarations had no channel: they were all entered online. (A channel
            already there is kept: a claims.event/1 message of a later shape, read from
            version 1 because it lacks a newer field, infra/events.py.)"""
            state.setdefault("channel", DeclarationChannel.ONLINE.value)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Declarations before the insured's side named no declarant (ADR 33)."""
            state.setdefault("declarant", None)

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
        declarant: Declarant | None,
        by: str,
    ) -> None:
        self.claim_number = claim_number
        self.contract = contract
        self.guarantee = guarantee
        self.cause = cause
        self.event_date = event_date
        self.declared_on = declared_on
        self.trip = trip
        self.insured = list(insured)
        self.settlement_mode = settlement_mode
        self.fee_scale = list(fee_scale) if fee_scale is not None else None
        self.medical_contraindication_on = medical_contraindication_on
        self.cancelled_on = cancelled_on
        self.interrupted_on = interrupted_on
        self.medical_cause = medical_cause
        self.card_insurer_position_required = card_insurer_position_required
        self.declarant = declarant
        self.access_code_hash = None  # the insured's access (ADR 33)
        self.access_code_issued_on = None
        self.documents = []  # the proofs' documents (ADR 32)
        self.declared_by = by
        self.handler = None
        self.proofs_requested = []
        self.proofs_outstanding = []
        self.card_insurer_position = None
        self.decision = None  # "accepted" | "refused" for the current assessment
        self.decided_on = None
        self.indemnity = None
        self.closed_on = None
        self.withdrawn_on = None
        self.reopenings = 0
        self.complaints = []
        self.mediation = None
        # Causal business dates (docs/rules.md "Business dates follow cause and effect").
        self.latest_on = declared_on  # the latest business date of any fact
        self.latest_fact = "the declaration"
        self.main_track_on = declared_on  # ... of a fact of the main track (proofs to closure)
        self.main_track_fact = "the declaration"
        self.decisive_on = declared_on  # ... of an assessment, payment, closure, withdrawal,
        self.decisive_fact = "the declaration"  # or reopening: the main track's last step
        self.last_request_on = None  # the latest proof request
        self.assigned_on = None
        self._init_money(declared_on)

    def _init_money(self, declared_on: date) -> None:
        # Money (docs/rules.md "Money on a claim"; the rules are in domain/ledger.py).
        self.reserve = ZERO
        self.payments = []
        self.recoveries = []
        self.bank_details = None
        self.bank_details_on = None
        self.money_on = declared_on  # the latest fact that changed the reserve
        self.money_fact = "the declaration"

    # Snapshots of round 1 lack the causal-date bookkeeping: rebuild it from what they hold.
    # Snapshots before the money ledger hold `settlements`: they become issued final payments.
    # Snapshots before the insured's side lack the declarant, access code and documents.
    # Snapshots before the display fold hold the facts only the claim body shows.
    class_version = 5

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
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

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        state["declarant"] = None
        state["access_code_hash"] = None
        state["access_code_issued_on"] = None
        state["documents"] = []

    @staticmethod
    def upcast_v4_v5(state: dict[str, Any]) -> None:
        # The claim body's display facts are folded from the events (domain/claim_view.py,
        # docs/adr/0028-claim-in-parts.md): no decision reads them.
        for name in DISPLAY_ONLY:
            state.pop(name, None)

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
