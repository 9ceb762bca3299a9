"""The retention list (`GET /retention`): each claim's erase-after day and state as of a day.

erase_after = max(closure, prescription end) + the period after the prescription
(CLAIMS_RETENTION_AFTER_PRESCRIPTION, in months); the state as of a day: `erased` (every
subject erased), `pending` (open, or before erase_after), `held` (due, but a complaint or a
mediation is open), `due`. Keyset paging by claim number.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from projections.paging import decode_cursor, encode_cursor
from projections.store import ReadStore

STATES = ("pending", "due", "held", "erased")
_COLUMNS = ("claim_id", "claim_number", "subject_ids", "erased", "basis_on", "holds", "held")


def erase_after(basis_on: date, months: int) -> date:
    return basis_on + relativedelta(months=months)


def latest_basis(as_of: date, months: int) -> date:
    """The latest basis day whose erase_after is on or before `as_of`."""
    day = as_of - relativedelta(months=months)
    while erase_after(day, months) > as_of:
        day -= timedelta(days=1)
    while erase_after(day + timedelta(days=1), months) <= as_of:
        day += timedelta(days=1)
    return day


def _state(row: dict[str, Any], cutoff: str) -> str:
    if row["erased"]:
        return "erased"
    if row["basis_on"] is None or row["basis_on"] > cutoff:
        return "pending"
    return "held" if row["held"] else "due"


def retention_items(
    store: ReadStore,
    *,
    as_of: date,
    months: int,
    state: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    cutoff = latest_basis(as_of, months).isoformat()
    where: list[str] = []
    params: list[Any] = []
    if state == "erased":
        where.append("erased = 1")
    elif state == "pending":
        where.append("erased = 0 AND (basis_on IS NULL OR basis_on > ?)")
        params.append(cutoff)
    elif state in ("due", "held"):
        where.append("erased = 0 AND basis_on <= ? AND held = ?")
        params += [cutoff, int(state == "held")]
    if cursor is not None:
        (after,) = decode_cursor(cursor, 1)
        where.append("claim_number > ?")
        params.append(str(after))
    sql = (
        f"SELECT {', '.join(_COLUMNS)} FROM retention"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY claim_number LIMIT ?"
    )
    rows = [dict(zip(_COLUMNS, row, strict=True)) for row in store.query(sql, [*params, limit + 1])]
    items = [
        {
            "claim_id": row["claim_id"],
            "claim_number": row["claim_number"],
            "subject_ids": json.loads(row["subject_ids"]),
            "erase_after": None
            if row["basis_on"] is None
            else erase_after(date.fromisoformat(row["basis_on"]), months).isoformat(),
            "state": _state(row, cutoff),
            "holds": json.loads(row["holds"]),
        }
        for row in rows[:limit]
    ]
    next_cursor = encode_cursor(items[-1]["claim_number"]) if len(rows) > limit else None
    return items, next_cursor


def claim_of_subject(store: ReadStore, subject_id: str) -> str | None:
    """The claim naming this subject (a claim stored before the keys has no key owner)."""
    rows = store.query(
        "SELECT claim_id FROM retention WHERE subject_ids LIKE ?", (f'%"{subject_id}"%',)
    )
    return None if not rows else str(rows[0][0])
