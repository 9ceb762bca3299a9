"""Dashboard figures as of a day, from the claims list's and the SLA clocks' totals by day
(a few hundred rows per measure, whatever the size of the book)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from projections.sla.queries import count_states
from projections.store import ReadStore

AGE_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("over-90", 91, None))
BY_DECLARATION = (
    "status",
    "contract",
    "open_complaints",
    "open_mediations",
    "accepted_cents",
    "paid_cents",
)


def _money(cents: Any) -> str:
    return f"{Decimal(int(cents or 0)) / 100:.2f}"


def dashboard(store: ReadStore, as_of: date) -> dict[str, Any]:
    day = as_of.isoformat()
    month_start = as_of.replace(day=1).isoformat()
    # Claims declared up to the day: their current status, contract, complaints and amounts.
    declared: dict[str, dict[str, int]] = defaultdict(dict)
    for measure, value, amount in store.query(
        "SELECT measure, value, SUM(amount) FROM claims_list_totals WHERE day <= ? "
        f"AND measure IN ({', '.join('?' for _ in BY_DECLARATION)}) GROUP BY measure, value",
        [day, *BY_DECLARATION],
    ):
        if amount:
            declared[measure][value] = int(amount)
    ageing = dict.fromkeys((name for name, _, _ in AGE_BUCKETS), 0)
    open_claims = 0
    for declared_on, amount in store.query(
        "SELECT day, SUM(amount) FROM claims_list_totals WHERE measure = 'open' AND day <= ? "
        "GROUP BY day",
        [day],
    ):
        age = (as_of - date.fromisoformat(declared_on)).days
        open_claims += int(amount)
        for name, low, high in AGE_BUCKETS:
            if age >= low and (high is None or age <= high):
                ageing[name] += int(amount)
    this_month = dict(
        store.query(
            "SELECT measure, SUM(amount) FROM claims_list_totals WHERE measure IN "
            "('accepted_cents_by_decision', 'paid_cents_by_last_payment') AND day >= ? "
            "AND day <= ? GROUP BY measure",
            [month_start, day],
        )
    )
    sla = {}
    for kind, states in count_states(store, as_of).items():
        done = states["met"] + states["missed"]
        sla[kind] = {**states, "met_rate": round(states["met"] / done, 4) if done else None}
    by_status = declared["status"]
    return {
        "as_of": day,
        "claims": sum(by_status.values()),
        "open_claims": open_claims,
        "by_status": by_status,
        "by_contract": declared["contract"],
        "ageing": ageing,
        "sla": sla,
        "open_complaints": declared["open_complaints"].get("", 0),
        "open_mediations": declared["open_mediations"].get("", 0),
        "indemnities": {
            "accepted": _money(declared["accepted_cents"].get("")),
            "paid": _money(declared["paid_cents"].get("")),
            "accepted_this_month": _money(this_month.get("accepted_cents_by_decision")),
            "paid_this_month": _money(this_month.get("paid_cents_by_last_payment")),
        },
    }
