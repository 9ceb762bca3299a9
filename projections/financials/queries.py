"""Financial figures per claim and in total, as of a business day and as known at a recorded
time (api.md v2 §2 `GET /financials`), and the dashboard's money tiles."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from projections.paging import decode_cursor, encode_cursor
from projections.store import ReadStore

MOVED = "SUM(reserve_cents), SUM(paid_cents), SUM(recovered_cents)"


def _money(cents: int | None) -> str:
    return f"{Decimal(cents or 0) / 100:.2f}"


def figures(reserve: int, paid: int, recovered: int) -> dict[str, str]:
    """incurred = paid + reserve - recovered (api.md v2 §1 rule 1), as money strings."""
    return {
        "reserve": _money(reserve),
        "paid": _money(paid),
        "recovered": _money(recovered),
        "incurred": _money(paid + reserve - recovered),
    }


def known_at_text(known_at: datetime) -> str:
    """A recorded time as the rows hold it (fixed-width UTC text)."""
    return known_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _filters(
    as_of: date, contract: str | None, known_at: datetime | None
) -> tuple[list[str], list[Any]]:
    where, params = ["day <= ?"], [as_of.isoformat()]
    if known_at is not None:
        where.append("recorded_at < ?")
        params.append(known_at_text(known_at))
    if contract is not None:
        where.append("contract = ?")
        params.append(contract)
    return where, params


def financials(
    store: ReadStore,
    *,
    as_of: date,
    contract: str | None = None,
    known_at: datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Claims declared by `as_of` (and recorded before `known_at`), by claim number, with
    their status and figures from the facts dated up to `as_of`; totals over all of them."""
    where, params = _filters(as_of, contract, known_at)
    page_where = list(where)
    page_params = list(params)
    if cursor is not None:
        (after,) = decode_cursor(cursor, 1)
        page_where.append("claim_number > ?")
        page_params.append(str(after))
    rows = store.query(
        f"SELECT claim_id, claim_number, {MOVED}, MAX(version) FROM financials "
        f"WHERE {' AND '.join(page_where)} GROUP BY claim_id, claim_number "
        "ORDER BY claim_number LIMIT ?",
        [*page_params, limit + 1],
    )
    page = rows[:limit]
    statuses: dict[str, str] = {}
    if page:
        last_versions = {str(claim_id): int(version) for claim_id, *_, version in page}
        marks = ", ".join("?" for _ in last_versions)
        for claim_id, version, status in store.query(
            f"SELECT claim_id, version, status FROM financials WHERE claim_id IN ({marks})",
            list(last_versions),
        ):
            if int(version) == last_versions[str(claim_id)]:
                statuses[str(claim_id)] = str(status)
    items = [
        {
            "claim_id": str(claim_id),
            "claim_number": claim_number,
            "status": statuses[str(claim_id)],
            **figures(int(reserve), int(paid), int(recovered)),
        }
        for claim_id, claim_number, reserve, paid, recovered, _ in page
    ]
    return {
        "as_of": as_of.isoformat(),
        "items": items,
        "totals": totals(store, as_of=as_of, contract=contract, known_at=known_at),
        "next_cursor": encode_cursor(page[-1][1]) if len(rows) > limit else None,
    }


def totals(
    store: ReadStore, *, as_of: date, contract: str | None = None, known_at: datetime | None = None
) -> dict[str, str]:
    """Sums over the claims: from the totals by day (a few rows per day and contract), or,
    as known at a recorded time, from the rows themselves."""
    if known_at is not None:
        where, params = _filters(as_of, contract, known_at)
        ((reserve, paid, recovered),) = store.query(
            f"SELECT {MOVED} FROM financials WHERE {' AND '.join(where)}", params
        )
        return figures(int(reserve or 0), int(paid or 0), int(recovered or 0))
    sums = _by_measure(store, as_of, contract)
    return figures(sums.get("reserve", 0), sums.get("paid", 0), sums.get("recovered", 0))


def _by_measure(store: ReadStore, as_of: date, contract: str | None) -> dict[str, int]:
    sql = "SELECT measure, SUM(amount) FROM financials_totals WHERE day <= ?"
    params: list[Any] = [as_of.isoformat()]
    if contract is not None:
        sql += " AND value = ?"
        params.append(contract)
    return {
        str(measure): int(amount or 0)
        for measure, amount in store.query(sql + " GROUP BY measure", params)
    }
