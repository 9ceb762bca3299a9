"""The next action per open claim, from its status and its earliest open deadline."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import FrenchCalendar
from domain.sla import ClockKind
from projections.base import Projection, Row, State, Table
from projections.claims_list.fold import fold_claim, status_of
from projections.sla.fold import fold_sla, freeze_sla, thaw_sla

WORKLIST = Table(
    "worklist",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("handler", "TEXT"),
        ("status", "TEXT NOT NULL"),
        ("next_action", "TEXT NOT NULL"),
        ("due_on", "TEXT"),
        # The order of the list: the due date, undated actions last (an index serves it).
        ("sort_due", "TEXT NOT NULL"),
    ),
    ("claim_id",),
    (("handler", "sort_due", "claim_number"), ("sort_due", "claim_number")),
)
NO_DUE = "9999-12-31"  # sorts undated actions last, on both stores

# Deadlines the insurer must meet, and what meets them. Declaration, mediation referral and
# prescription run against the insured, not the handler.
ACTIONS = {
    ClockKind.COMPLAINT_ACKNOWLEDGEMENT.value: "acknowledge the complaint",
    ClockKind.COMPLAINT_ANSWER.value: "answer the complaint",
    ClockKind.HANDLING.value: "assess the claim",
    ClockKind.PAYMENT.value: "pay the indemnity",
}
BY_STATUS = {
    "declared": "request the proofs",
    "proofs_requested": "chase the missing proofs",
    "awaiting_card_insurer": "obtain the card insurer's position",
    "proofs_complete": "assess the claim",
    "accepted": "pay the indemnity",
    "settled": "close the claim",
    "refused": "close the claim",
}


def next_action(status: str, clocks: list[list[Any]]) -> tuple[str, str | None] | None:
    """Pure: the earliest open insurer deadline, else what the status calls for."""
    open_clocks: list[tuple[str, str]] = sorted(
        (due, ACTIONS[kind])
        for kind, _key, _start, due, completed in clocks
        if completed is None and kind in ACTIONS
    )
    if open_clocks:
        earliest, action = open_clocks[0]
        return action, earliest
    by_status = BY_STATUS.get(status)
    return (by_status, None) if by_status else None


class WorklistProjection(Projection):
    name: ClassVar[str] = "worklist"
    tables: ClassVar[tuple[Table, ...]] = (WORKLIST,)

    def __init__(self, calendar: FrenchCalendar) -> None:
        self.calendar = calendar

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        claim = fold_claim(state["claim"] if state else None, event)
        sla = fold_sla(state["sla"] if state else None, event, self.calendar)
        if claim is None or sla is None:
            return None
        return {"claim": claim, "sla": sla}

    def thaw(self, stored: State) -> State:
        return {"claim": stored["claim"], "sla": thaw_sla(stored["sla"], self.calendar)}

    def freeze(self, state: State) -> State:
        return {"claim": state["claim"], "sla": freeze_sla(state["sla"])}

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        claim = state["claim"]
        status = status_of(claim)
        todo = next_action(status, state["sla"].fold.clock_entries())
        if todo is None:
            return {}
        action, due = todo
        return {
            "worklist": [
                (
                    str(claim_id),
                    claim["claim_number"],
                    claim["handler"],
                    status,
                    action,
                    due,
                    due or NO_DUE,
                )
            ]
        }
