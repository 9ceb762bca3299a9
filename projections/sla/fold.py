"""One row per SLA clock; states are computed at query time for any date."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import FrenchCalendar
from domain.claim import Claim
from domain.sla import SlaFold
from projections.base import Projection, Row, State, Table

SLA_CLOCKS = Table(
    "sla_clocks",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("clock_key", "TEXT NOT NULL"),
        ("clock", "TEXT NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("started_on", "TEXT NOT NULL"),
        ("due_on", "TEXT NOT NULL"),
        ("completed_on", "TEXT"),
        # The day the insurer could know the clock: not before the claim was declared.
        ("known_from", "TEXT NOT NULL"),
    ),
    ("claim_id", "clock_key"),
    (("clock", "due_on"), ("due_on",), ("completed_on",), ("known_from",)),
)


def fold_sla(state: State | None, event: Any, calendar: FrenchCalendar) -> State | None:
    """Pure: the claim's SLA fold state after one event."""
    if isinstance(event, Claim.Declared):
        fold = SlaFold(calendar)
        number, declared = event.claim_number, event.declared_on.isoformat()
    elif state is not None and isinstance(event, Claim.Event):
        fold = SlaFold.from_state(state["fold"], calendar)
        number, declared = state["claim_number"], state["declared_on"]
    else:
        return None
    fold.apply(event)
    return {"claim_number": number, "declared_on": declared, "fold": fold.to_state()}


class SlaProjection(Projection):
    name: ClassVar[str] = "sla"
    tables: ClassVar[tuple[Table, ...]] = (SLA_CLOCKS,)

    def __init__(self, calendar: FrenchCalendar) -> None:
        self.calendar = calendar

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        return fold_sla(state, event, self.calendar)

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        return {
            "sla_clocks": [
                (
                    str(claim_id),
                    key,
                    kind,
                    state["claim_number"],
                    started,
                    due,
                    completed,
                    max(started, state["declared_on"]),
                )
                for kind, key, started, due, completed in state["fold"]["clocks"]
            ]
        }
