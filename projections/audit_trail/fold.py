"""A readable timeline per claim, in codes. Free text (notes, reasons, summaries, the cause,
names, payment references) and the medical flag stay in the event store, which is encrypted when
a key is configured: the trail names what happened, by whom and when
(docs/adr/0021-data-at-rest.md)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.claim import Claim
from domain.sla import business_date
from projections.base import Projection, Row, State, Table, Totals, TotalsKey

AUDIT_TRAIL = Table(
    "audit_trail",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("version", "INTEGER NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("recorded_at", "TEXT NOT NULL"),
        ("actor", "TEXT NOT NULL"),
        ("event_type", "TEXT NOT NULL"),
        ("business_date", "TEXT NOT NULL"),
        # Codes only. Was `summary`, which also held the medical flag and payment references:
        # the new name changes the table's fingerprint, so an old trail rebuilds on start.
        ("codes", "TEXT NOT NULL"),
    ),
    ("claim_id", "version"),
    (("recorded_at",),),
)

# The fields the trail shows: codes, flags of the procedure, and amounts. Anything else (free
# text, names, the cause, the trip, `medical_cause`, a payment's `reference`, and any field a
# new event brings) stays out until it is listed here.
CODES = frozenset(
    {
        "claim_number",
        "contract",
        "guarantee",
        "settlement_mode",
        "late_declaration",
        "declaration_working_days_late",
        "card_insurer_position_required",
        "channel",
        "handler",
        "documents",
        "document",
        "decision",
        "amount_paid",
        "mode",
        "amount",
        "complaint_id",
        "outcome",
        "recours",
        "act",
        # Money (docs/adr/0027): never the payee, the IBAN (even masked), a bank reference or
        # a reason.
        "payment_id",
        "kind",
        "approval_required",
        "previous",
        "recovery_id",
        "source",
        "subrogation",
    }
)


def describe(event: Any) -> str:
    """Pure: 'ProofReceived: document=medical_certificate' and the like, codes only."""
    details = []
    for name, value in vars(event).items():
        if name not in CODES or value is None or isinstance(value, date):
            continue
        details.append(f"{name}={value}")
    if isinstance(event, Claim.Accepted):
        details.append(f"indemnity={event.indemnity.total}")
    return f"{type(event).__name__}: {', '.join(details)}" if details else type(event).__name__


def fold_trail(state: State | None, event: Any) -> State | None:
    """The claim's trail entries folded so far, this one appended (`state` is changed in
    place: its owner, the projection engine, passes it for that)."""
    if isinstance(event, Claim.Declared):
        state = {"claim_number": event.claim_number, "entries": []}
    elif state is None or not isinstance(event, Claim.Event):
        return None
    state["entries"].append(
        [
            event.originator_version,
            event.timestamp.isoformat(),
            event.by,
            type(event).__name__,
            business_date(event).isoformat(),
            describe(event),
        ]
    )
    return state


class AuditTrailProjection(Projection):
    """One row per event, never changed: append-only. Its stored state is the claim number;
    the entries live only while a batch folds them."""

    name: ClassVar[str] = "audit_trail"
    tables: ClassVar[tuple[Table, ...]] = (AUDIT_TRAIL,)
    append_only: ClassVar[bool] = True
    keeps_totals: ClassVar[bool] = True

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        return fold_trail(state, event)

    def totals(self, state: State) -> Totals:
        """Events by type and business day (the entries folded in this batch: the trail only
        grows, so what it adds to the totals is what is new)."""
        totals: Counter[TotalsKey] = Counter()
        for _version, _recorded, _actor, kind, day, _summary in state["entries"]:
            totals[("events", kind, day)] += 1
        return totals

    def thaw(self, stored: State) -> State:
        return {"claim_number": stored["claim_number"], "entries": []}

    def freeze(self, state: State) -> State:
        return {"claim_number": state["claim_number"]}

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        return {
            "audit_trail": [
                (str(claim_id), version, state["claim_number"], recorded, actor, kind, day, summary)
                for version, recorded, actor, kind, day, summary in state["entries"]
            ]
        }
