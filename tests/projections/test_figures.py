"""Each dashboard figure equals a scan of the events, on many days, on SQLite and PostgreSQL.

The figures are read from totals by day (docs/adr/0011); the oracle (tests/projections/scan.py)
folds every claim's events into the aggregate and restates each figure's definition on it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql

from domain.claim import Claim
from domain.sla import ClockState
from domain.values import AssessmentInputs, ClaimStatus, FeeInput
from infra.settings import Settings, eventsourcing_env
from projections.claims_list.fold import STATUS_GROUPS
from projections.dashboard.queries import DEFINITIONS, FIGURES, dashboard
from projections.financials.queries import financials
from projections.runner import ProjectionRunner, all_projections
from projections.sla.queries import page_clocks, state_condition
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.demo import generate
from services.wiring import build_event_log
from tests.conftest import POSTGRES_ADMIN, _postgres_unavailable
from tests.domain.gwt import declaration
from tests.projections.scan import (
    ScannedClaim,
    scan_claims,
    scanned_figures,
    scanned_financials,
)
from tests.projections.workload import random_workload

TODAY = date(2026, 11, 22)
BY = "handler.1"
# Every fourth week back to before the first claim, and the month ends of the reassessments.
DAYS = [TODAY - timedelta(days=d) for d in range(0, 420, 29)] + [
    date(2026, month + 1, 1) - timedelta(days=1) for month in range(3, 10)
]


@dataclass(eq=False)
class Book:
    """A store with realistic lifecycles (payments, reopenings, new assessments, complaints),
    its read models caught up, and the scan of its events."""

    app: ClaimsApplication
    store: ReadStore
    claims: list[ScannedClaim]
    _figures: dict[date, dict[str, Any]] = field(default_factory=dict)
    _scanned: dict[date, dict[str, Any]] = field(default_factory=dict)

    def figures(self, day: date) -> dict[str, Any]:
        if day not in self._figures:
            self._figures[day] = dashboard(self.store, day)
        return self._figures[day]

    def scanned(self, day: date) -> dict[str, Any]:
        if day not in self._scanned:
            self._scanned[day] = scanned_figures(self.claims, self.app.calendar, day)
        return self._scanned[day]


def _reassessed(app: ClaimsApplication, *steps: int | str) -> None:
    """A claim taken through acceptances for a fee (each paid ten days later), reopenings and
    refusals, a few weeks apart, so that payments fall in different months."""
    claim_id = app.declare(declaration(), by=BY).id
    app.request_proofs(
        claim_id, documents=["cancellation_invoice"], requested_on=date(2026, 3, 5), by=BY
    )
    app.receive_proof(
        claim_id, document="cancellation_invoice", received_on=date(2026, 3, 10), by=BY
    )
    day = date(2026, 3, 12)
    for n, step in enumerate(steps):
        if step == "reopen":
            app.reopen(claim_id, reopened_on=day, reason="complaint upheld", by=BY)
        elif step == "refuse":
            app.refuse(claim_id, decided_on=day, reason="excluded", by=BY)
        else:
            fees = (FeeInput("Jeanne Martin", Decimal(step)),)
            app.accept(claim_id, decided_on=day, inputs=AssessmentInputs(fees=fees), by=BY)
            app.settle(
                claim_id, paid_on=day + timedelta(days=10), mode="cash", reference=f"V{n}", by=BY
            )
        day += timedelta(days=25)


@contextmanager
def _database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new store of the backend (tests/conftest.py's, for a whole module)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('book') / 'claims.db'}"
        return
    name = f"claims_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(f"{POSTGRES_ADMIN}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _postgres_unavailable(str(exc))
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield f"{POSTGRES_ADMIN}/{name}"
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def book(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Book]:
    """One book per backend for the whole module (building it is the slow part)."""
    with _database(request.param, tmp_path_factory) as url:
        app = ClaimsApplication(env=eventsourcing_env(url))
        store = ReadStore(Settings(database_url=url).resolved_read_model_url)
        try:
            generate(
                app, claims=120, seed=11, today=TODAY - timedelta(days=200), claims_per_save=40
            )
            runner = ProjectionRunner(
                build_event_log(app), store, all_projections(app.calendar), batch_size=37
            )
            runner.setup()
            runner.catch_up()
            random_workload(app, claims=30, commands=900, seed=5)
            _reassessed(app, 900, "reopen", 1100)  # a supplement paid after a reopening
            _reassessed(app, 900, "reopen", 300)  # nothing more paid: paid > accepted
            _reassessed(app, 900, "reopen")  # accepted 0, paid before the reopening
            _reassessed(app, 900, "reopen", "refuse")
            _reassessed(app, 700, "reopen", 1000, "reopen", 1200, "reopen")
            generate(app, claims=60, seed=12, today=TODAY, claims_per_save=40)
            runner.catch_up()
            yield Book(app, store, scan_claims(app))
        finally:
            store.close()
            app.close()


def _at(body: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        body = body[part]
    return body


def test_the_book_has_what_the_figures_must_explain(book: Book) -> None:
    def paid_again_after_reopening(c: ScannedClaim) -> bool:
        paid = Claim.Settled | Claim.PaymentIssued  # v1 settlements are issued payments now
        kinds = [
            Claim.Settled if isinstance(e, paid) else Claim.Reopened
            for e in c.events
            if isinstance(e, paid | Claim.Reopened)
        ]
        return any(
            kinds[n : n + 3] == [Claim.Settled, Claim.Reopened, Claim.Settled]
            for n in range(len(kinds))
        )

    assert any(paid_again_after_reopening(c) for c in book.claims)
    assert any(
        c.claim.amount_paid > (c.claim.indemnity.total if c.claim.indemnity else 0)
        for c in book.claims
    )
    # Money: reserves, approvals, failed or returned payments issued again, recoveries.
    kinds = Counter(type(e).__name__ for c in book.claims for e in c.events)
    assert kinds["PaymentFailed"] + kinds["PaymentReturned"] > 0
    for kind in ("ReserveSet", "ReserveAdjusted", "PaymentApproved", "RecoveryReceived"):
        assert kinds[kind] > 0, kind
    figures = book.figures(TODAY)
    assert figures["breached_clocks"] > 50  # more than one page of the dashboard's list
    assert all(figures["status_groups"].values())
    assert Decimal(figures["indemnities"]["paid_before_reopening"]) > 0


@pytest.mark.parametrize("key", list(FIGURES))
def test_each_figure_equals_a_scan_of_the_events_on_any_day(book: Book, key: str) -> None:
    for day in DAYS:
        assert _at(book.figures(day), key) == _at(book.scanned(day), key), (key, day)


def test_the_status_groups_partition_the_claims(book: Book) -> None:
    grouped = [status for statuses in STATUS_GROUPS.values() for status in statuses]
    assert sorted(grouped) == sorted(ClaimStatus)  # each status in exactly one group
    for day in DAYS:
        figures = book.figures(day)
        groups = figures["status_groups"]
        assert sum(groups.values()) == figures["claims"], day
        assert groups["in_progress"] + groups["awaiting_closure"] == figures["open_claims"], day
        assert sum(figures["ageing"].values()) == figures["open_claims"], day


def test_paid_is_paid_on_current_acceptances_plus_before_reopenings(book: Book) -> None:
    for day in DAYS:
        money = {k: Decimal(v) for k, v in book.figures(day)["indemnities"].items()}
        assert (
            money["paid"] == money["paid_on_current_acceptances"] + money["paid_before_reopening"]
        )
        assert money["paid_on_current_acceptances"] <= money["accepted"], day
        assert money["paid_this_month"] <= money["paid"], day
    # Claim by claim, as the definitions say: what the current acceptance was paid is at most
    # its amount; a reopening keeps what was paid.
    for c in book.claims:
        current = c.claim.amount_paid - c.paid_before_reopening
        accepted = c.claim.indemnity.total if c.claim.indemnity else Decimal(0)
        assert current <= accepted, c.claim.claim_number


def test_every_figure_has_its_definition(book: Book) -> None:
    body = book.figures(TODAY)
    assert body["definitions"] == DEFINITIONS
    for key in FIGURES:
        _at(body, key)  # the key names a place in the body
        assert len(DEFINITIONS[key]) > 20, key


@pytest.mark.parametrize("state", [ClockState.BREACHED, ClockState.AT_RISK])
def test_the_clock_lists_page_both_ways_through_the_true_count(
    book: Book, state: ClockState
) -> None:
    for day in DAYS[::3]:
        condition, values = state_condition(state, day, book.app.calendar)
        expected = [
            tuple(row)
            for row in book.store.query(
                f"SELECT claim_id, clock_key FROM sla_clocks WHERE known_from <= ? AND "
                f"{condition} ORDER BY due_on, claim_number, clock_key",
                [day.isoformat(), *values],
            )
        ]
        assert len(expected) == book.figures(day)[f"{state.value}_clocks"], day
        pages = []
        page = page_clocks(book.store, book.app.calendar, as_of=day, state=state, limit=7)
        assert page.previous_cursor is None
        while True:
            pages.append([(i["claim_id"], i["clock_key"]) for i in page.items])
            if page.next_cursor is None:
                break
            page = page_clocks(
                book.store,
                book.app.calendar,
                as_of=day,
                state=state,
                limit=7,
                after=page.next_cursor,
            )
        assert [key for p in pages for key in p] == expected, day
        # And back from the last page to the first, through the same pages.
        back = [pages[-1]]
        while page.previous_cursor is not None:
            page = page_clocks(
                book.store,
                book.app.calendar,
                as_of=day,
                state=state,
                limit=7,
                before=page.previous_cursor,
            )
            back.append([(i["claim_id"], i["clock_key"]) for i in page.items])
        assert back[::-1] == pages, day


def _all_financials(
    book: Book, day: date, known_at: datetime | None = None
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Every item of `GET /financials` (paged 37 at a time), and its totals."""
    items: dict[str, dict[str, str]] = {}
    cursor = None
    while True:
        page = financials(book.store, as_of=day, known_at=known_at, limit=37, cursor=cursor)
        items.update((i["claim_number"], i) for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items, page["totals"]


def _sums(items: dict[str, dict[str, str]]) -> dict[str, str]:
    return {
        figure: f"{sum((Decimal(i[figure]) for i in items.values()), Decimal('0.00')):.2f}"
        for figure in ("reserve", "paid", "recovered", "incurred")
    }


def test_the_financials_of_each_claim_as_of_any_day_equal_a_scan_of_its_events(
    book: Book,
) -> None:
    """api.md v2 §2 `GET /financials`: per claim and in total, as of each day."""
    for day in DAYS:
        items, totals = _all_financials(book, day)
        assert items == scanned_financials(book.claims, day), day
        assert totals == _sums(items), day
    contract = "CA2624"
    page = financials(book.store, as_of=TODAY, contract=contract, limit=500)
    mine = {c.claim.claim_number for c in book.claims if c.claim.contract == contract}
    assert {i["claim_number"] for i in page["items"]} == mine
    assert page["totals"] == _sums({i["claim_number"]: i for i in page["items"]})


def test_the_financials_as_known_at_a_recorded_time_equal_a_scan_of_what_was_recorded(
    book: Book,
) -> None:
    """For audits: the same figures from the events recorded before a moment only."""
    stamps = sorted(e.timestamp for c in book.claims for e in c.events)
    for known_at in (stamps[len(stamps) // 3], stamps[2 * len(stamps) // 3], stamps[-1]):
        for day in (TODAY, date(2026, 6, 30)):
            items, totals = _all_financials(book, day, known_at)
            assert items == scanned_financials(book.claims, day, known_at), (day, known_at)
            assert totals == _sums(items)
