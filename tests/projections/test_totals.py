"""The dashboard's totals by day give the figures a scan of the views gives, on any day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import product
from typing import Any

from domain.calendar import FrenchCalendar
from domain.sla import ClockKind, ClockState
from projections.audit_trail.queries import event_counts
from projections.dashboard.queries import AGE_BUCKETS, dashboard
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner, all_projections
from projections.sla.queries import (
    count_states,
    count_states_on,
    list_clocks,
    state_condition,
)
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.demo import generate
from services.wiring import build_event_log
from tests.projections.scan import scan_claims

TODAY = date(2026, 11, 22)


def scanned_states(store: ReadStore, calendar: FrenchCalendar, as_of: date) -> dict[str, Any]:
    """The oracle: every clock's state on `as_of`, counted over the SLA view's rows."""
    counts = {k.value: dict.fromkeys((s.value for s in ClockState), 0) for k in ClockKind}
    for state in ClockState:
        condition, values = state_condition(state, as_of, calendar)
        for kind, count in store.query(
            f"SELECT clock, COUNT(*) FROM sla_clocks WHERE known_from <= ? AND {condition} "
            "GROUP BY clock",
            [as_of.isoformat(), *values],
        ):
            counts[kind][state.value] = int(count)
    return counts


def scanned_dashboard(
    store: ReadStore, as_of: date, payments: list[tuple[date, Decimal]]
) -> dict[str, Any]:
    """The oracle: the dashboard's claim figures, scanned from the claims view (and the
    payments, which the view sums by claim, from the events)."""
    day, month_start = as_of.isoformat(), as_of.replace(day=1).isoformat()
    rows = store.query(
        "SELECT status, contract, declared_on, open_complaints, mediation_open, accepted_cents, "
        "paid_cents, paid_before_reopening_cents FROM claims WHERE declared_on <= ?",
        [day],
    )
    by_status: dict[str, int] = {}
    by_contract: dict[str, int] = {}
    ageing = dict.fromkeys((name for name, _, _ in AGE_BUCKETS), 0)
    open_claims = 0
    for status, contract, declared_on, *_ in rows:
        by_status[status] = by_status.get(status, 0) + 1
        by_contract[contract] = by_contract.get(contract, 0) + 1
        if status not in ("closed", "withdrawn"):
            open_claims += 1
            age = (as_of - date.fromisoformat(declared_on)).days
            for name, low, high in AGE_BUCKETS:
                if age >= low and (high is None or age <= high):
                    ageing[name] += 1
    ((accepted_month,),) = store.query(
        "SELECT COALESCE(SUM(accepted_cents), 0) FROM claims WHERE decided_on >= ? "
        "AND decided_on <= ?",
        [month_start, day],
    )
    paid_month = sum(
        (amount for paid_on, amount in payments if as_of.replace(day=1) <= paid_on <= as_of),
        Decimal(0),
    )

    def money(cents: Any) -> str:
        return f"{Decimal(int(cents)) / 100:.2f}"

    paid = sum(int(r[6]) for r in rows)
    before = sum(int(r[7]) for r in rows)

    return {
        "claims": len(rows),
        "open_claims": open_claims,
        "by_status": by_status,
        "by_contract": by_contract,
        "ageing": ageing,
        "open_complaints": sum(int(r[3]) for r in rows),
        "open_mediations": sum(int(r[4]) for r in rows),
        "indemnities": {
            "accepted": money(sum(int(r[5]) for r in rows)),
            "paid": money(paid),
            "paid_on_current_acceptances": money(paid - before),
            "paid_before_reopening": money(before),
            "accepted_this_month": money(accepted_month),
            "paid_this_month": f"{paid_month:.2f}",
        },
    }


def test_totals_by_day_match_a_scan_of_the_views_on_any_day(
    app: ClaimsApplication, store: ReadStore
) -> None:
    # Realistic lifecycles (complaints, payments, reopenings...), applied in small batches so
    # that claims move between totals many times; then a second round of commands.
    generate(app, claims=120, seed=11, today=TODAY - timedelta(days=200), claims_per_save=40)
    runner = ProjectionRunner(
        build_event_log(app), store, all_projections(app.calendar), batch_size=37
    )
    runner.setup()
    runner.catch_up()
    generate(app, claims=60, seed=12, today=TODAY, claims_per_save=40)
    runner.catch_up()
    days = [TODAY - timedelta(days=d) for d in range(0, 600, 23)] + [date(2025, 12, 31)]
    payments = [(on, amount) for claim in scan_claims(app) for on, amount in claim.payments]
    at_once = count_states_on(store, days)  # the page's monthly history, in one read
    for day in days:
        assert count_states(store, day) == scanned_states(store, app.calendar, day), day
        assert at_once[day] == count_states(store, day), day
        figures = dashboard(store, day)
        expected = scanned_dashboard(store, day, payments)
        assert {k: figures[k] for k in expected} == expected, day
        scanned_events = dict(
            store.query(
                "SELECT event_type, COUNT(*) FROM audit_trail WHERE business_date <= ? "
                "GROUP BY event_type",
                [day.isoformat()],
            )
        )
        kinds = (*sorted(scanned_events), "NeverHappened")
        assert event_counts(store, kinds, day.isoformat()) == {
            kind: int(scanned_events.get(kind, 0)) for kind in kinds
        }, day
    # The clock lists (by state, paged) give the clocks a scan gives, in the same order.
    for day, state, kind in product(days[::4], ClockState, (None, ClockKind.HANDLING)):
        condition, values = state_condition(state, day, app.calendar)
        of_kind = "" if kind is None else f" AND clock = '{kind.value}'"
        expected_keys = store.query(
            f"SELECT claim_id, clock_key FROM sla_clocks WHERE known_from <= ? AND "
            f"{condition}{of_kind} ORDER BY due_on, claim_number, clock_key",
            [day.isoformat(), *values],
        )
        listed: list[tuple[Any, ...]] = []
        cursor = None
        while True:
            items, cursor = list_clocks(
                store, app.calendar, as_of=day, state=state, clock=kind, limit=17, cursor=cursor
            )
            listed += [(item["claim_id"], item["clock_key"]) for item in items]
            assert all(item["state"] == state.value for item in items)
            if cursor is None:
                break
        assert listed == [tuple(k) for k in expected_keys], (day, state)
    # And a rebuild from scratch gives the same totals.
    for projection in all_projections(app.calendar):
        report = rebuild(build_event_log(app), store, projection, verify=True)
        assert report.matches, report.differences[:3]
