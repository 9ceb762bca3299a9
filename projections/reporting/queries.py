"""The bordereau's rows and the triangles' amounts from the reporting read model
(docs/adr/0029). One pass of SQL each: the database sums, the domain shapes
(`domain/reporting.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.calendar import FrenchCalendar
from domain.reporting import ENDED, Basis, Origin, Period, cut_off, utc_text
from projections.store import ReadStore


@dataclass(frozen=True)
class Known:
    """A claim as known at a month's cut-off: its declaration's facts, the state after its
    last known row, and its sums. `decision_version` is the version of its current decision
    event (a refusal's reason is read from the store with it); `acknowledged_on` the date of
    the first declaration receipt known sent."""

    claim_id: str
    claim: dict[str, Any]
    status: str
    decided_on: date | None
    decision_version: int | None
    closed_on: date | None
    acknowledged_on: date | None
    paid_cents: int
    paid_before_cents: int
    reserve_cents: int
    recovered_cents: int


_CLAIM_COLUMNS = (
    "claim_number",
    "subscription_number",
    "contract",
    "guarantee",
    "cause_category",
    "loss_date",
    "declared_on",
    "opened_on",
)
_DATES = {"loss_date", "declared_on", "opened_on"}


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def bordereau_claims(
    store: ReadStore,
    period: Period,
    calendar: FrenchCalendar,
    *,
    contract: str | None = None,
    batch: int = 2000,
) -> Iterator[Known]:
    """The claims of a month's bordereau, by claim number, streamed: declared by the month's
    end, not closed or withdrawn before its start unless a row of theirs is first known in
    it, everything as known at the cut-off (the rows dated up to the month's end and
    recorded before the cut-off), the declaration receipts' sendings included."""
    previous = period.previous()
    end, cut = period.end.isoformat(), utc_text(cut_off(period, calendar))
    end_before, cut_before = previous.end.isoformat(), utc_text(cut_off(previous, calendar))
    earlier = "(day <= ? AND recorded_at < ?)"
    claim_columns = ", ".join(f"c.{name}" for name in _CLAIM_COLUMNS)
    ended = ", ".join(f"'{status}'" for status in sorted(ENDED))
    where = f"(s.status IS NULL OR s.status NOT IN ({ended}) OR a.news > 0)"
    params: list[Any] = [
        period.start.isoformat(),
        end_before,
        cut_before,
        end_before,
        cut_before,
        end,
        cut,
        end,
        cut,
    ]
    if contract is not None:
        where += " AND c.contract = ?"
        params.append(contract)
    sql = (
        "WITH a AS (SELECT claim_id, MAX(version) AS v, "
        "MAX(CASE WHEN day < ? THEN version END) AS v0, "
        "SUM(paid_cents) AS paid, "
        f"SUM(CASE WHEN {earlier} THEN paid_cents ELSE 0 END) AS paid_before, "
        "SUM(reserve_cents) AS reserve, SUM(recovered_cents) AS recovered, "
        f"SUM(CASE WHEN {earlier} THEN 0 ELSE 1 END) AS news "
        "FROM reporting_moves WHERE day <= ? AND recorded_at < ? GROUP BY claim_id) "
        f"SELECT c.claim_id, {claim_columns}, m.status, m.decided_on, m.decision_version, "
        "m.closed_on, r.acknowledged_on, a.paid, a.paid_before, a.reserve, a.recovered "
        "FROM a JOIN reporting_claims c ON c.claim_id = a.claim_id "
        "JOIN reporting_moves m ON m.claim_id = a.claim_id AND m.version = a.v "
        "LEFT JOIN reporting_moves s ON s.claim_id = a.claim_id AND s.version = a.v0 "
        "LEFT JOIN (SELECT claim_id, MIN(day) AS acknowledged_on FROM reporting_receipts "
        "WHERE day <= ? AND recorded_at < ? GROUP BY claim_id) r ON r.claim_id = a.claim_id "
        f"WHERE {where} ORDER BY c.claim_number"
    )
    width = len(_CLAIM_COLUMNS)
    for row in store.stream(sql, params, batch=batch):
        claim = {
            name: (date.fromisoformat(value) if name in _DATES else value)
            for name, value in zip(_CLAIM_COLUMNS, row[1 : 1 + width], strict=True)
        }
        status, decided_on, decision_version, closed_on, acknowledged_on, *sums = row[1 + width :]
        paid, paid_before, reserve, recovered = (int(s or 0) for s in sums)
        yield Known(
            claim_id=str(row[0]),
            claim=claim,
            status=str(status),
            decided_on=_day(decided_on),
            decision_version=None if decision_version is None else int(decision_version),
            closed_on=_day(closed_on),
            acknowledged_on=_day(acknowledged_on),
            paid_cents=paid,
            paid_before_cents=paid_before,
            reserve_cents=reserve,
            recovered_cents=recovered,
        )


def triangle_amounts(
    store: ReadStore, *, basis: Basis, origin: Origin, as_of: date
) -> list[tuple[str, str, int]]:
    """(origin month, month of the fact, amount) for facts dated up to `as_of`: cents moved
    for paid and incurred, claims declared for count (from the totals: a few rows per day)."""
    rows = store.query(
        "SELECT value, substr(day, 1, 7), SUM(amount) FROM reporting_totals "
        "WHERE measure = ? AND day <= ? GROUP BY value, substr(day, 1, 7)",
        [f"{basis.value}@{origin.value}", as_of.isoformat()],
    )
    return [(str(o), str(m), int(a)) for o, m, a in rows]


def first_origin(store: ReadStore, *, origin: Origin, as_of: date) -> str | None:
    """The first origin month of a claim declared by `as_of`."""
    ((month,),) = store.query(
        "SELECT MIN(value) FROM reporting_totals WHERE measure = ? AND day <= ?",
        [f"count@{origin.value}", as_of.isoformat()],
    )
    return None if month is None else str(month)
