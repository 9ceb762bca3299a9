"""Dashboard aggregates, computed at query time from the claims list and the SLA clocks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.calendar import FrenchCalendar
from projections.sla.queries import count_states
from projections.store import ReadStore

AGE_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("over-90", 91, None))
FINISHED = ("closed", "withdrawn")


def _money(cents: Any) -> str:
    return f"{Decimal(int(cents or 0)) / 100:.2f}"


def dashboard(store: ReadStore, calendar: FrenchCalendar, as_of: date) -> dict[str, Any]:
    day = as_of.isoformat()
    month_start = as_of.replace(day=1).isoformat()
    declared = "declared_on <= ?"
    by_status = dict(
        store.query(f"SELECT status, COUNT(*) FROM claims WHERE {declared} GROUP BY status", [day])
    )
    by_contract = dict(
        store.query(
            f"SELECT contract, COUNT(*) FROM claims WHERE {declared} GROUP BY contract", [day]
        )
    )
    open_declared = store.query(
        f"SELECT declared_on FROM claims WHERE {declared} AND status NOT IN (?, ?)",
        [day, *FINISHED],
    )
    ages = [(as_of - date.fromisoformat(row[0])).days for row in open_declared]
    ageing = {
        name: sum(1 for a in ages if a >= low and (high is None or a <= high))
        for name, low, high in AGE_BUCKETS
    }
    ((open_complaints, open_mediations, accepted, paid),) = store.query(
        "SELECT COALESCE(SUM(open_complaints), 0), COALESCE(SUM(mediation_open), 0), "
        f"COALESCE(SUM(accepted_cents), 0), COALESCE(SUM(paid_cents), 0) FROM claims "
        f"WHERE {declared}",
        [day],
    )
    ((accepted_month,),) = store.query(
        "SELECT COALESCE(SUM(accepted_cents), 0) FROM claims WHERE decided_on >= ? "
        "AND decided_on <= ?",
        [month_start, day],
    )
    ((paid_month,),) = store.query(
        "SELECT COALESCE(SUM(paid_cents), 0) FROM claims WHERE last_paid_on >= ? "
        "AND last_paid_on <= ?",
        [month_start, day],
    )
    sla = {}
    for kind, states in count_states(store, calendar, as_of).items():
        done = states["met"] + states["missed"]
        sla[kind] = {**states, "met_rate": round(states["met"] / done, 4) if done else None}
    return {
        "as_of": day,
        "claims": sum(by_status.values()),
        "open_claims": len(ages),
        "by_status": {k: int(v) for k, v in by_status.items()},
        "by_contract": {k: int(v) for k, v in by_contract.items()},
        "ageing": ageing,
        "sla": sla,
        "open_complaints": int(open_complaints),
        "open_mediations": int(open_mediations),
        "indemnities": {
            "accepted": _money(accepted),
            "paid": _money(paid),
            "accepted_this_month": _money(accepted_month),
            "paid_this_month": _money(paid_month),
        },
    }
