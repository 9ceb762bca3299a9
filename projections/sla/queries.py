"""SLA clocks as of any day: states computed at query time from the stored dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.calendar import FrenchCalendar
from domain.sla import Clock, ClockKind, ClockState
from projections.paging import decode_cursor, encode_cursor
from projections.store import ReadStore

COLUMNS = ("claim_id", "clock_key", "clock", "claim_number", "started_on", "due_on", "completed_on")


def state_condition(
    state: ClockState, as_of: date, calendar: FrenchCalendar
) -> tuple[str, list[Any]]:
    """SQL for the clocks in `state` on `as_of` (the rules of `Clock.state`)."""
    day = as_of.isoformat()
    # At risk: at most 2 jours ouvrés left, i.e. due before the 3rd working day after as_of.
    risk_end = calendar.add_working_days(as_of, 3).isoformat()
    still_open = "(completed_on IS NULL OR completed_on > ?)"
    if state == ClockState.MET:
        return "completed_on <= ? AND completed_on <= due_on", [day]
    if state == ClockState.MISSED:
        return "completed_on <= ? AND completed_on > due_on", [day]
    if state == ClockState.BREACHED:
        return f"{still_open} AND due_on < ?", [day, day]
    if state == ClockState.AT_RISK:
        return f"{still_open} AND due_on >= ? AND due_on < ?", [day, day, risk_end]
    return f"{still_open} AND due_on >= ?", [day, risk_end]


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
    where, params = ["known_from <= ?"], [as_of.isoformat()]
    if state is not None:
        condition, values = state_condition(state, as_of, calendar)
        where.append(condition)
        params += values
    if clock is not None:
        where.append("clock = ?")
        params.append(clock.value)
    if claim_id is not None:
        where.append("claim_id = ?")
        params.append(claim_id)
    if cursor is not None:
        due, number, key = decode_cursor(cursor, 3)
        where.append(
            "(due_on > ? OR (due_on = ? AND (claim_number > ? OR "
            "(claim_number = ? AND clock_key > ?))))"
        )
        params += [due, due, number, number, key]
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM sla_clocks WHERE {' AND '.join(where)} "
        "ORDER BY due_on, claim_number, clock_key LIMIT ?"
    )
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in store.query(sql, [*params, limit + 1])]
    items = [{**row, "state": _clock(row).state(as_of, calendar).value} for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last["due_on"], last["claim_number"], last["clock_key"])
        if last is not None and len(rows) > limit
        else None
    )
    return items, next_cursor


def count_states(store: ReadStore, as_of: date) -> dict[str, dict[str, int]]:
    """For each clock kind, how many clocks are in each state on `as_of`: the SLA totals
    (clocks entering and leaving states, by day) summed up to that day."""
    counts: dict[str, dict[str, int]] = {
        k.value: dict.fromkeys((s.value for s in ClockState), 0) for k in ClockKind
    }
    for kind, state, amount in store.query(
        "SELECT measure, value, SUM(amount) FROM sla_totals WHERE day <= ? GROUP BY measure, value",
        [as_of.isoformat()],
    ):
        counts[kind][state] = int(amount)
    return counts
