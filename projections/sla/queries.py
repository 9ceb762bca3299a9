"""SLA clocks as of any day: states computed at query time from the stored dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.calendar import FrenchCalendar
from domain.sla import Clock, ClockKind, ClockState
from projections.paging import BadCursor, decode_cursor, encode_cursor
from projections.store import ReadStore

COLUMNS = ("claim_id", "clock_key", "clock", "claim_number", "started_on", "due_on", "completed_on")


OPEN_STATES = frozenset({ClockState.BREACHED, ClockState.AT_RISK, ClockState.RUNNING})


def _due_condition(
    state: ClockState, as_of: date, calendar: FrenchCalendar, due: str = "due_on"
) -> tuple[str, list[Any]]:
    """SQL on the due date for a clock still open on `as_of` to be in `state`."""
    day = as_of.isoformat()
    # At risk: at most 2 jours ouvrés left, i.e. due before the 3rd working day after as_of.
    risk_end = calendar.add_working_days(as_of, 3).isoformat()
    if state == ClockState.BREACHED:
        return f"{due} < ?", [day]
    if state == ClockState.AT_RISK:
        return f"{due} >= ? AND {due} < ?", [day, risk_end]
    return f"{due} >= ?", [risk_end]


def state_condition(
    state: ClockState, as_of: date, calendar: FrenchCalendar, completed: str = "completed_on"
) -> tuple[str, list[Any]]:
    """SQL for the clocks in `state` on `as_of` (the rules of `Clock.state`)."""
    day = as_of.isoformat()
    if state == ClockState.MET:
        return f"{completed} <= ? AND {completed} <= due_on", [day]
    if state == ClockState.MISSED:
        return f"{completed} <= ? AND {completed} > due_on", [day]
    due, values = _due_condition(state, as_of, calendar)
    return f"(completed_on IS NULL OR completed_on > ?) AND {due}", [day, *values]


def _clock(row: dict[str, Any]) -> Clock:
    return Clock(
        ClockKind(row["clock"]),
        row["clock_key"],
        date.fromisoformat(row["started_on"]),
        date.fromisoformat(row["due_on"]),
        date.fromisoformat(row["completed_on"]) if row["completed_on"] else None,
    )


def list_clocks(
    store: ReadStore,
    calendar: FrenchCalendar,
    *,
    as_of: date,
    state: ClockState | None = None,
    clock: ClockKind | None = None,
    claim_id: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    rows = _select_clocks(
        store, calendar, as_of, state, clock, claim_id, limit=limit, cursor=cursor
    )
    items = [_with_state(row, as_of, calendar) for row in rows[:limit]]
    next_cursor = _cursor(items[-1]) if items and len(rows) > limit else None
    return items, next_cursor


@dataclass(frozen=True)
class ClockPage:
    items: list[dict[str, Any]]
    next_cursor: str | None  # None on the last page
    previous_cursor: str | None  # None on the first page


def page_clocks(
    store: ReadStore,
    calendar: FrenchCalendar,
    *,
    as_of: date,
    state: ClockState,
    limit: int = 50,
    after: str | None = None,
    before: str | None = None,
) -> ClockPage:
    """A page of the clocks in `state` on `as_of`, in due order, following `after` or preceding
    `before` (a page's next or previous cursor), with the cursors of the pages around it.
    How many there are in all is `count_states`' (the dashboard's lists)."""
    if after is not None and before is not None:
        raise BadCursor("a page follows one cursor or precedes another, not both")

    def select(cursor: str | None, count: int, *, backwards: bool) -> list[dict[str, Any]]:
        return _select_clocks(
            store, calendar, as_of, state, None, None, count, cursor, backwards=backwards
        )

    if before is None:
        rows = select(after, limit, backwards=False)
        items = rows[:limit]
        more_after = len(rows) > limit
        more_before = bool(after and items and select(_cursor(items[0]), 0, backwards=True))
    else:
        rows = select(before, limit, backwards=True)
        items = rows[:limit][::-1]
        more_before = len(rows) > limit
        more_after = bool(items and select(_cursor(items[-1]), 0, backwards=False))
    return ClockPage(
        items=[_with_state(row, as_of, calendar) for row in items],
        next_cursor=_cursor(items[-1]) if more_after else None,
        previous_cursor=_cursor(items[0]) if more_before else None,
    )


def _cursor(row: dict[str, Any]) -> str:
    return encode_cursor(row["due_on"], row["claim_number"], row["clock_key"])


def _with_state(row: dict[str, Any], as_of: date, calendar: FrenchCalendar) -> dict[str, Any]:
    return {**row, "state": _clock(row).state(as_of, calendar).value}


def _select_clocks(
    store: ReadStore,
    calendar: FrenchCalendar,
    as_of: date,
    state: ClockState | None,
    clock: ClockKind | None,
    claim_id: str | None,
    limit: int,
    cursor: str | None,
    *,
    backwards: bool = False,
) -> list[dict[str, Any]]:
    """Up to `limit + 1` clocks in due order after `cursor` (before it, in reverse order, when
    `backwards`)."""
    # Backwards: the same query with every comparison and ordering reversed (both databases
    # walk an index in either direction).
    beyond, desc = ("<", " DESC") if backwards else (">", "")
    open_state = state in OPEN_STATES

    def unindexed(column: str, when: bool) -> str:
        # With a state, the page must come from an index giving the clocks in due order: the
        # not-completed clocks' one for the open states, the clock kind's or the due date's for
        # met or missed. `|| ''` keeps the planner off the others (known from, completion date,
        # and the kind for open states), on which it would walk and sort the whole book.
        return f"({column} || '')" if when else column

    where: list[str] = [f"{unindexed('known_from', state is not None)} <= ?"]
    params: list[Any] = [as_of.isoformat()]
    if state is not None and not open_state:
        completed = unindexed("completed_on", True)
        condition, values = state_condition(state, as_of, calendar, completed)
        where.append(condition)
        params += values
    if clock is not None:
        where.append(f"{unindexed('clock', open_state)} = ?")
        params.append(clock.value)
    if claim_id is not None:
        where.append("claim_id = ?")
        params.append(claim_id)
    if cursor is not None:
        due, number, key = decode_cursor(cursor, 3)
        if not all(isinstance(value, str) for value in (due, number, key)):
            raise BadCursor("malformed cursor")  # compared with text columns
        where.append(
            f"(due_on {beyond} ? OR (due_on = ? AND (claim_number {beyond} ? OR "
            f"(claim_number = ? AND clock_key {beyond} ?))))"
        )
        params += [due, due, number, number, key]
    order = f"ORDER BY due_on{desc}, claim_number{desc}, clock_key{desc} LIMIT ?"
    select = f"SELECT {', '.join(COLUMNS)} FROM sla_clocks"
    if state is not None and open_state:
        # Open on as_of: not completed at all (the index on completed_on, due_on, ... gives
        # these in order, however large the book), or completed after as_of (none for today).
        # `due_on || ''` keeps the planner off the due-date index in that second branch (it
        # would walk the whole index to spare a sort of the few clocks completed later).
        now_due, now_values = _due_condition(state, as_of, calendar)
        later_due, later_values = _due_condition(state, as_of, calendar, "(due_on || '')")
        rest = " AND ".join(where)
        sql = (
            f"SELECT * FROM ({select} WHERE completed_on IS NULL AND {now_due} AND {rest} "
            f"{order}) AS open_now UNION ALL SELECT * FROM ({select} WHERE completed_on > ? "
            f"AND {later_due} AND {rest} ORDER BY (due_on || ''){desc}, claim_number{desc}, "
            f"clock_key{desc} "
            f"LIMIT ?) AS open_then {order}"
        )
        params = [
            *now_values,
            *params,
            limit + 1,
            as_of.isoformat(),
            *later_values,
            *params,
            limit + 1,
        ]
    else:
        sql = f"{select} WHERE {' AND '.join(where)} {order}"
    return [dict(zip(COLUMNS, r, strict=True)) for r in store.query(sql, [*params, limit + 1])]


def count_states(store: ReadStore, as_of: date) -> dict[str, dict[str, int]]:
    """For each clock kind, how many clocks are in each state on `as_of`: the SLA totals
    (clocks entering and leaving states, by day) summed up to that day."""
    return count_states_on(store, [as_of])[as_of]


def count_states_on(store: ReadStore, days: list[date]) -> dict[date, dict[str, dict[str, int]]]:
    """`count_states` for several days (the page's monthly history) from one read."""
    ordered = sorted(days)
    counts = {
        day: {k.value: dict.fromkeys((s.value for s in ClockState), 0) for k in ClockKind}
        for day in ordered
    }
    if not ordered:
        return counts
    rows = store.query(
        "SELECT day, measure, value, SUM(amount) FROM sla_totals WHERE day <= ? "
        "GROUP BY day, measure, value ORDER BY day",
        [ordered[-1].isoformat()],
    )
    running: dict[tuple[str, str], int] = {}
    index = 0
    for target in ordered:
        limit = target.isoformat()
        while index < len(rows) and rows[index][0] <= limit:
            _day, kind, state, amount = rows[index]
            running[(kind, state)] = running.get((kind, state), 0) + int(amount)
            index += 1
        for (kind, state), amount in running.items():
            counts[target][kind][state] = amount
    return counts
