"""Dashboard figures as of a day, from the claims list's, the SLA clocks' and the audit trail's
totals by day (a few hundred rows per measure, whatever the size of the book).

Each figure is defined once, by a function below whose docstring is its definition: the API
returns these definitions beside the numbers (`definitions`) and the page shows them, so both
read the same number with the same meaning. Tests compare every figure with a scan of the
events (tests/projections/test_figures.py).
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from projections.audit_trail.queries import event_counts
from projections.claims_list.fold import STATUS_GROUPS
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
    "paid_before_reopening_cents",
)
BY_DAY = ("accepted_cents_by_decision", "paid_cents_by_payment")
# The complaint stages, each counted by the events that reach it (audit trail totals).
COMPLAINT_STAGES = {
    "received": "ComplaintOpened",
    "acknowledged": "ComplaintAcknowledged",
    "answered": "ComplaintAnswered",
    "escalated": "ComplaintEscalated",
    "mediation_referred": "MediationReferred",
    "mediation_concluded": "MediationConcluded",
}


@dataclass(frozen=True)
class BookTotals:
    """What the figures are read from, as of one day."""

    as_of: date
    # measure -> value -> sum over the claims declared on or before the day
    declared: dict[str, dict[str, int]]
    # claims not closed or withdrawn, by declaration day
    open_by_day: dict[date, int]
    # measure -> sum over the days from the 1st of the month to the day
    this_month: dict[str, int]
    # clock kind -> state -> clocks in that state on the day
    clocks: dict[str, dict[str, int]]
    # event type -> events with a business date on or before the day
    events: dict[str, int]
    # money (financials totals), moved on or before the day: contract -> measure -> cents,
    # and month (YYYY-MM) -> measure -> cents
    money_by_contract: dict[str, dict[str, int]] = field(default_factory=dict)
    money_by_month: dict[str, dict[str, int]] = field(default_factory=dict)


def read_totals(store: ReadStore, as_of: date) -> BookTotals:
    day = as_of.isoformat()
    declared: dict[str, dict[str, int]] = defaultdict(dict)
    for measure, value, amount in store.query(
        "SELECT measure, value, SUM(amount) FROM claims_list_totals WHERE day <= ? "
        f"AND measure IN ({', '.join('?' for _ in BY_DECLARATION)}) GROUP BY measure, value",
        [day, *BY_DECLARATION],
    ):
        if amount:
            declared[measure][value] = int(amount)
    open_by_day = {
        date.fromisoformat(declared_on): int(amount)
        for declared_on, amount in store.query(
            "SELECT day, SUM(amount) FROM claims_list_totals WHERE measure = 'open' "
            "AND day <= ? GROUP BY day",
            [day],
        )
    }
    this_month = {
        measure: int(amount)
        for measure, amount in store.query(
            "SELECT measure, SUM(amount) FROM claims_list_totals WHERE measure IN (?, ?) "
            "AND day >= ? AND day <= ? GROUP BY measure",
            [*BY_DAY, as_of.replace(day=1).isoformat(), day],
        )
    }
    by_contract: dict[str, dict[str, int]] = defaultdict(dict)
    by_month: dict[str, dict[str, int]] = defaultdict(dict)
    for measure, contract, month, amount in store.query(
        "SELECT measure, value, substr(day, 1, 7), SUM(amount) FROM financials_totals "
        "WHERE day <= ? GROUP BY measure, value, substr(day, 1, 7)",
        [day],
    ):
        cents = int(amount or 0)
        by_contract[contract][measure] = by_contract[contract].get(measure, 0) + cents
        by_month[month][measure] = by_month[month].get(measure, 0) + cents
    return BookTotals(
        as_of=as_of,
        declared=declared,
        open_by_day=open_by_day,
        this_month=this_month,
        clocks=count_states(store, as_of),
        events=event_counts(store, tuple(COMPLAINT_STAGES.values()), day),
        money_by_contract=dict(by_contract),
        money_by_month=dict(by_month),
    )


def _money(cents: int | None) -> str:
    return f"{Decimal(cents or 0) / 100:.2f}"


# ---------------------------------------------------------------------- claims


def claims(t: BookTotals) -> int:
    """Claims declared on or before the day. Every claim count is of these claims, each in its
    latest status (what was recorded after the day included)."""
    return sum(t.declared["status"].values())


def by_status(t: BookTotals) -> dict[str, int]:
    """Claims declared on or before the day, by latest status."""
    return dict(t.declared["status"])


def by_contract(t: BookTotals) -> dict[str, int]:
    """Claims declared on or before the day, by contract."""
    return dict(t.declared["contract"])


def _in_group(t: BookTotals, group: str) -> int:
    return sum(t.declared["status"].get(status, 0) for status in STATUS_GROUPS[group])


def in_progress(t: BookTotals) -> int:
    """Claims still being handled: declared, proofs requested, proofs complete, awaiting the
    card insurer's position, or accepted and not yet paid (a reopened claim is back here)."""
    return _in_group(t, "in_progress")


def awaiting_closure(t: BookTotals) -> int:
    """Claims decided and done with but not closed yet: settled (paid) or refused."""
    return _in_group(t, "awaiting_closure")


def closed(t: BookTotals) -> int:
    """Claims closed or withdrawn. In progress, awaiting closure and closed add up to all the
    claims."""
    return _in_group(t, "closed")


def open_claims(t: BookTotals) -> int:
    """Claims declared on or before the day and not closed nor withdrawn: in progress plus
    awaiting closure."""
    return sum(t.open_by_day.values())


def ageing(t: BookTotals) -> dict[str, int]:
    """Claims not closed nor withdrawn (in progress or awaiting closure) by days from their
    declaration to the day: 0-30, 31-60, 61-90, over 90."""
    buckets = dict.fromkeys((name for name, _, _ in AGE_BUCKETS), 0)
    for declared_on, count in t.open_by_day.items():
        age = (t.as_of - declared_on).days
        for name, low, high in AGE_BUCKETS:
            if age >= low and (high is None or age <= high):
                buckets[name] += count
    return buckets


def open_complaints(t: BookTotals) -> int:
    """Complaints awaiting an answer on the claims declared on or before the day: not answered
    yet, or escalated (recours) and the recours not answered yet."""
    return t.declared["open_complaints"].get("", 0)


def open_mediations(t: BookTotals) -> int:
    """Claims referred to the insurance mediator and awaiting the mediator's opinion."""
    return t.declared["open_mediations"].get("", 0)


# ---------------------------------------------------------------------- money


def accepted(t: BookTotals) -> str:
    """Indemnities of the current acceptances of the claims declared on or before the day, in
    euros: a claim refused, or reopened and not assessed again, counts 0; a new assessment
    replaces the earlier amount."""
    return _money(t.declared["accepted_cents"].get(""))


def paid(t: BookTotals) -> str:
    """All the money paid on the claims declared on or before the day, in euros, including
    what was paid before a reopening (a reopening never takes money back): paid on current
    acceptances plus paid before a reopening, so it can exceed "accepted"."""
    return _money(t.declared["paid_cents"].get(""))


def paid_before_reopening(t: BookTotals) -> str:
    """Of the money paid, what was paid on an acceptance that a later reopening set aside, in
    euros."""
    return _money(t.declared["paid_before_reopening_cents"].get(""))


def paid_on_current_acceptances(t: BookTotals) -> str:
    """Of the money paid, what was paid on the current acceptances, in euros (paid minus paid
    before a reopening); never more than "accepted"."""
    before = t.declared["paid_before_reopening_cents"].get("", 0)
    return _money(t.declared["paid_cents"].get("", 0) - before)


def accepted_this_month(t: BookTotals) -> str:
    """Indemnities of the current acceptances decided from the 1st of the month to the day,
    in euros."""
    return _money(t.this_month.get("accepted_cents_by_decision"))


def paid_this_month(t: BookTotals) -> str:
    """Money paid from the 1st of the month to the day, in euros, each payment on its payment
    date (a supplement after a reopening counts in its own month)."""
    return _money(t.this_month.get("paid_cents_by_payment"))


# ---------------------------------------------------------------------- money (financials)


def outstanding_reserve(t: BookTotals) -> str:
    """The reserves of every claim as of the day, in euros: each claim's reserve after its
    facts dated on or before the day (set by hand, by the acceptance, lowered by each payment,
    restored by a failure, 0 once refused, closed or withdrawn)."""
    return _money(sum(m.get("reserve", 0) for m in t.money_by_contract.values()))


def _per_month(t: BookTotals, measure: str) -> dict[str, str]:
    return {
        month: _money(sums.get(measure, 0))
        for month, sums in sorted(t.money_by_month.items())
        if sums.get(measure, 0)
    }


def paid_by_month(t: BookTotals) -> dict[str, str]:
    """Money paid in each month (YYYY-MM) up to the day, in euros: every issuance in the
    month of its date, less every failure or return in the month of its date; months where
    nothing moved are left out."""
    return _per_month(t, "paid")


def recovered_by_month(t: BookTotals) -> dict[str, str]:
    """Money recovered (received from card insurers, carriers, third parties or other
    insurers) in each month (YYYY-MM) up to the day, in euros; months without any left out."""
    return _per_month(t, "recovered")


def incurred_by_contract(t: BookTotals) -> dict[str, str]:
    """Per contract, what its claims have cost as of the day, in euros: paid + outstanding
    reserve - recovered, from the facts dated on or before the day."""
    return {
        contract: _money(m.get("paid", 0) + m.get("reserve", 0) - m.get("recovered", 0))
        for contract, m in sorted(t.money_by_contract.items())
    }


# ---------------------------------------------------------------------- clocks and complaints


def sla(t: BookTotals) -> dict[str, dict[str, Any]]:
    """Per SLA clock kind, the clocks known by the day in each state on the day: running, at
    risk, breached, met (done on time), missed (done late); met rate = met / (met + missed)."""
    result = {}
    for kind, states in t.clocks.items():
        done = states["met"] + states["missed"]
        result[kind] = {**states, "met_rate": round(states["met"] / done, 4) if done else None}
    return result


def breached_clocks(t: BookTotals) -> int:
    """SLA clocks of every kind past their due date on the day and not done."""
    return sum(states["breached"] for states in t.clocks.values())


def at_risk_clocks(t: BookTotals) -> int:
    """SLA clocks of every kind not done and due within 2 working days (the due day
    included)."""
    return sum(states["at_risk"] for states in t.clocks.values())


def complaint_stages(t: BookTotals) -> dict[str, int]:
    """How many times each stage was reached on or before the day (by the date of the step):
    complaints received, acknowledged, answers sent (first level and recours), recours
    received (escalated), referrals to the mediator, mediator's opinions. A stage can be
    skipped (an answer without an acknowledgement, a mediation without a recours), so these
    are counts, not a funnel."""
    return {stage: t.events[event_type] for stage, event_type in COMPLAINT_STAGES.items()}


# ---------------------------------------------------------------------- the whole dashboard

FIGURES: dict[str, Callable[[BookTotals], Any]] = {
    "claims": claims,
    "open_claims": open_claims,
    "by_status": by_status,
    "by_contract": by_contract,
    "status_groups.in_progress": in_progress,
    "status_groups.awaiting_closure": awaiting_closure,
    "status_groups.closed": closed,
    "ageing": ageing,
    "sla": sla,
    "breached_clocks": breached_clocks,
    "at_risk_clocks": at_risk_clocks,
    "open_complaints": open_complaints,
    "open_mediations": open_mediations,
    "complaint_stages": complaint_stages,
    "indemnities.accepted": accepted,
    "indemnities.paid": paid,
    "indemnities.paid_on_current_acceptances": paid_on_current_acceptances,
    "indemnities.paid_before_reopening": paid_before_reopening,
    "indemnities.accepted_this_month": accepted_this_month,
    "indemnities.paid_this_month": paid_this_month,
    "money.outstanding_reserve": outstanding_reserve,
    "money.paid_by_month": paid_by_month,
    "money.recovered_by_month": recovered_by_month,
    "money.incurred_by_contract": incurred_by_contract,
}
# What each figure means, by its place in the API body: the docstrings above, on one line.
DEFINITIONS = {
    key: " ".join((inspect.getdoc(figure) or "").split()) for key, figure in FIGURES.items()
}


def dashboard(store: ReadStore, as_of: date) -> dict[str, Any]:
    """Every figure as of the day (`GET /api/v1/dashboard`), with its definition."""
    totals = read_totals(store, as_of)
    body: dict[str, Any] = {"as_of": as_of.isoformat()}
    for key, figure in FIGURES.items():
        *parents, name = key.split(".")
        target = body
        for parent in parents:
            target = target.setdefault(parent, {})
        target[name] = figure(totals)
    body["definitions"] = DEFINITIONS
    return body
