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


PAYMENT_COLUMNS = (
    "claim_id",
    "payment_id",
    "claim_number",
    "handler",
    "queue",
    "state",
    "amount_cents",
    "requested_by",
    "since",
)


def payment_worklist(
    store: ReadStore,
    *,
    queue: str,
    handler: str | None = None,
    not_requested_by: str | None = None,
    max_amount_cents: int | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Payments of a queue (`awaiting_approval`, `to_issue`), the longest waiting first;
    for an approver, only those they may approve (not their own, within their limit)."""
    where: list[str] = ["queue = ?"]
    params: list[Any] = [queue]
    for condition, value in (
        ("handler = ?", handler),
        ("requested_by <> ?", not_requested_by),
        ("amount_cents <= ?", max_amount_cents),
    ):
        if value is not None:
            where.append(condition)
            params.append(value)
    if cursor is not None:
        since, number, payment = decode_cursor(cursor, 3)
        where.append(
            "(since > ? OR (since = ? AND (claim_number > ? OR "
            "(claim_number = ? AND payment_id > ?))))"
        )
        params += [since, since, number, number, payment]
    rows = store.query(
        f"SELECT {', '.join(PAYMENT_COLUMNS)} FROM worklist_payments WHERE {' AND '.join(where)} "
        "ORDER BY since, claim_number, payment_id LIMIT ?",
        [*params, limit + 1],
    )
    items = [dict(zip(PAYMENT_COLUMNS, row, strict=True)) for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last["since"], last["claim_number"], last["payment_id"])
        if last is not None and len(rows) > limit
        else None
    )
    return items, next_cursor
