"""What to do next, earliest deadline first."""

from __future__ import annotations

from typing import Any

from projections.paging import decode_cursor, encode_cursor
from projections.store import ReadStore
from projections.worklist.fold import NO_DUE

COLUMNS = ("claim_id", "claim_number", "handler", "status", "next_action", "due_on")


def worklist(
    store: ReadStore, *, handler: str | None = None, limit: int = 100, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    where: list[str] = []
    params: list[Any] = []
    if handler is not None:
        where.append("handler = ?")
        params.append(handler)
    if cursor is not None:
        due, number = decode_cursor(cursor, 2)
        where.append("(sort_due > ? OR (sort_due = ? AND claim_number > ?))")
        params += [due, due, number]
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM worklist"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY sort_due, claim_number LIMIT ?"
    )
    rows = store.query(sql, [*params, limit + 1])
    items = [dict(zip(COLUMNS, row, strict=True)) for row in rows[:limit]]
    next_cursor = (
        encode_cursor(items[-1]["due_on"] or NO_DUE, items[-1]["claim_number"])
        if len(rows) > limit
        else None
    )
    return items, next_cursor
