"""The claims list query: the API's filters, keyset paging by claim number."""

from __future__ import annotations

from typing import Any

from projections.paging import decode_cursor, encode_cursor
from projections.store import ReadStore

COLUMNS = (
    "claim_id",
    "claim_number",
    "status",
    "contract",
    "guarantee",
    "handler",
    "late",
    "declared_on",
    "event_date",
    "departure_date",
    "decided_on",
    "accepted_cents",
    "paid_cents",
    "open_complaints",
    "mediation_open",
    "version",
)


def list_claims(
    store: ReadStore,
    *,
    status: str | None = None,
    contract: str | None = None,
    handler: str | None = None,
    late: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("status", status), ("contract", contract), ("handler", handler)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if late is not None:
        where.append("late = ?")
        params.append(int(late))
    if cursor is not None:
        (after,) = decode_cursor(cursor, 1)
        where.append("claim_number > ?")
        params.append(str(after))
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM claims"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY claim_number LIMIT ?"
    )
    rows = store.query(sql, [*params, limit + 1])
    items = [dict(zip(COLUMNS, row, strict=True)) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1]["claim_number"]) if len(rows) > limit else None
    return items, next_cursor
