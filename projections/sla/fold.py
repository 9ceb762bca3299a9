"""One row per SLA clock; states are computed at query time for any date."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import FrenchCalendar
from domain.claim import Claim
from domain.sla import SlaFold
from projections.base import Projection, Row, State, Table, Totals, TotalsKey

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
    (
        ("clock", "due_on"),
        ("due_on",),
        # Open clocks (completed_on IS NULL) in due order, for the breached / at-risk lists.
        ("completed_on", "due_on", "claim_number", "clock_key"),
        ("known_from",),
    ),
)


@dataclass
class SlaClaim:
    """The working state of one claim's clocks (the SLA and worklist projections)."""

    claim_number: str
    declared_on: str
    fold: SlaFold


def fold_sla(state: SlaClaim | None, event: Any, calendar: FrenchCalendar) -> SlaClaim | None:
    """The claim's clocks after one event; `state` is changed in place (its owner, the
    projection engine, passes it for that)."""
    if isinstance(event, Claim.Declared):
        state = SlaClaim(event.claim_number, event.declared_on.isoformat(), SlaFold(calendar))
    elif state is None or not isinstance(event, Claim.Event):
        return None
    state.fold.apply(event)
    return state


def thaw_sla(stored: State, calendar: FrenchCalendar) -> SlaClaim:
    return SlaClaim(
        stored["claim_number"], stored["declared_on"], SlaFold.from_state(stored["fold"], calendar)
    )


def freeze_sla(state: SlaClaim) -> State:
    return {
        "claim_number": state.claim_number,
        "declared_on": state.declared_on,
        "fold": state.fold.to_state(),
    }


class SlaProjection(Projection):
    name: ClassVar[str] = "sla"
    tables: ClassVar[tuple[Table, ...]] = (SLA_CLOCKS,)
    # 2: handling clock by declaration channel, declaration deadline from the contract,
    # prescription suspended by mediation, clocks order-insensitive (ADR 14); 3: the payment
    # clock stops at the issuance that pays in full and restarts on a failure (ADR 27); 4: no
    # payment clock for an acceptance of 0.00.
    rules_version: ClassVar[int] = 4
    keeps_totals: ClassVar[bool] = True

    def __init__(self, calendar: FrenchCalendar) -> None:
        self.calendar = calendar

    def fold(self, state: SlaClaim | None, event: Any, position: int) -> SlaClaim | None:
        return fold_sla(state, event, self.calendar)

    def totals(self, state: SlaClaim) -> Totals:
        """Per clock kind and state, +1 on the day a clock enters the state and -1 on the day
        it leaves it: summed up to a day, how many clocks are in each state that day."""
        totals: Counter[TotalsKey] = Counter()
        for clock in state.fold.clocks.values():
            visible = max(clock.started_on.isoformat(), state.declared_on)
            for clock_state, start, end in clock.spans(date.fromisoformat(visible), self.calendar):
                totals[(clock.kind.value, clock_state.value, start.isoformat())] += 1
                if end is not None:
                    totals[(clock.kind.value, clock_state.value, end.isoformat())] -= 1
        return totals

    def thaw(self, stored: State) -> SlaClaim:
        return thaw_sla(stored, self.calendar)

    def freeze(self, state: SlaClaim) -> State:
        return freeze_sla(state)

    def rows(self, claim_id: UUID, state: SlaClaim) -> dict[str, list[Row]]:
        return {
            "sla_clocks": [
                (
                    str(claim_id),
                    key,
                    kind,
                    state.claim_number,
                    started,
                    due,
                    completed,
                    max(started, state.declared_on),
                )
                for kind, key, started, due, completed in state.fold.clock_entries()
            ]
        }
