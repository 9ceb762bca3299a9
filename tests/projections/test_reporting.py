"""The reporting read model and the bordereau's cut-off rule, on SQLite and PostgreSQL, with
events whose recording times are set (late records): a past month asked again after later
records gives the same bytes, late records land in the next month, Σ paid_this_period over
the months is what was paid, the triangles' last diagonal is the financials as of that day."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from domain.claim import Claim
from domain.notification import Channel, Notification, Outcome, Template
from domain.reporting import BORDEREAU_COLUMNS, Basis, Origin, Period, Step, cut_off
from domain.values import Trip
from projections.base import ProjectionEngine
from projections.financials.fold import FinancialsProjection
from projections.financials.queries import totals as financial_totals
from projections.reporting.fold import ReportingProjection
from projections.store import ReadStore
from services.reports.bordereau import bordereau, triangles
from services.reports.output import ReportFormat
from services.reports.streaming import write
from tests.domain.gwt import (
    CALENDAR,
    P1,
    P2,
    accepted,
    closed,
    declare,
    issue,
    pay,
    received,
    refused,
    requested,
)

AFTER_ALL = datetime(2026, 11, 30, 12, tzinfo=UTC)
Stamped = list[tuple[Any, datetime]]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _claim(number: str, *steps: tuple[Callable[[Claim], object], str], **overrides: Any) -> Stamped:
    """A claim's events, declared with its proofs in (recorded on its declaration day at
    09:00 UTC), then each step's events recorded at the given UTC time."""
    declared_on = overrides.get("declared_on", date(2026, 3, 4))
    claim = declare(number, **overrides)
    requested("medical_certificate", on=declared_on + timedelta(days=1))(claim)
    received("medical_certificate", on=declared_on + timedelta(days=2))(claim)
    events: Stamped = [(e, _at(f"{declared_on}T09:00")) for e in claim.collect_events()]
    for step, at in steps:
        step(claim)
        events += [(e, _at(at)) for e in claim.collect_events()]
    return events


def _stamp(event: Any, at: datetime) -> Any:
    object.__setattr__(event, "timestamp", at)
    return event


class Book:
    """A read store fed with time-stamped events in recording order."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.engines = [
            ProjectionEngine(store, ReportingProjection()),
            ProjectionEngine(store, FinancialsProjection()),
        ]
        for engine in self.engines:
            engine.create_tables()
        self.position = 0
        self.reasons: dict[tuple[str, int], str] = {}

    def record(self, *claims: Stamped) -> None:
        batch = sorted(
            ((at, c, i, e) for c, claim in enumerate(claims) for i, (e, at) in enumerate(claim)),
            key=lambda item: item[:3],
        )
        events = []
        for at, _c, _i, event in batch:
            self.position += 1
            events.append((self.position, _stamp(event, at)))
            if isinstance(event, Claim.Refused):
                self.reasons[(str(event.originator_id), event.originator_version)] = event.reason
        for engine in self.engines:  # as the runner: notifications to those that read them
            engine.apply(
                [
                    (p, e)
                    for p, e in events
                    if engine.projection.reads_notifications or isinstance(e, Claim.Event)
                ],
                position=self.position,
            )

    def report(
        self, period: str, fmt: ReportFormat = ReportFormat.JSON, now: datetime = AFTER_ALL
    ) -> bytes:
        made = bordereau(
            self.store,
            CALENDAR,
            lambda claim_id, version: self.reasons.get((claim_id, version)),
            period=Period.parse(period),
            now=now,
        )
        out = io.BytesIO()
        write(
            fmt,
            out,
            stem=made.stem,
            head=made.head,
            rows=made.rows(),
            tail=made.tail,
            columns=BORDEREAU_COLUMNS,
        )
        return out.getvalue()

    def rows(self, period: str) -> dict[str, dict[str, Any]]:
        body = json.loads(self.report(period))
        return {item["claim_number"]: item for item in body["items"]}


# March 2026 ends on a Tuesday; its 5th jour ouvré after is Wednesday 8 April (Easter Monday
# the 6th is a holiday): cut-off at the end of 8 April, Paris.
MARCH_CUT_OFF = datetime(2026, 4, 9, tzinfo=ZoneInfo("Europe/Paris"))


def test_cut_off_is_the_end_of_the_fifth_working_day_after_the_month() -> None:
    assert cut_off(Period(2026, 3), CALENDAR) == MARCH_CUT_OFF
    assert cut_off(Period(2026, 3), CALENDAR).isoformat() == "2026-04-09T00:00:00+02:00"


def _paid_claim() -> Stamped:
    return _claim(
        "S20000001",
        (accepted(), "2026-03-12T09:00"),
        (pay("200.00", on=date(2026, 3, 14)), "2026-03-14T09:00"),
        (issue(P1, on=date(2026, 3, 16)), "2026-03-16T09:00"),
        (pay("100.00", on=date(2026, 3, 20)), "2026-03-20T09:00"),
        # Issued on 30 March, recorded on 15 April: after March's cut-off.
        (issue(P2, on=date(2026, 3, 30)), "2026-04-15T09:00"),
    )


def test_late_records_land_in_the_next_month_and_a_past_month_keeps_its_bytes(
    store: ReadStore,
) -> None:
    book = Book(store)
    claim = _paid_claim()
    on_time = [(e, at) for e, at in claim if at < MARCH_CUT_OFF]
    late = [(e, at) for e, at in claim if at >= MARCH_CUT_OFF]
    book.record(on_time)
    march = book.report("2026-03")
    march_csv = book.report("2026-03", ReportFormat.CSV)
    row = book.rows("2026-03")["S20000001"]
    assert (row["paid_this_period"], row["paid_before"]) == ("200.00", "0.00")
    assert row["status"] == "accepted"
    assert (row["declared_on"], row["opened_on"], row["decided_on"]) == (
        "2026-03-04",
        "2026-03-04",
        "2026-03-12",
    )
    assert row["acknowledged_on"] is None
    # A refused claim declared in March, recorded after the cut-off: not in March at all.
    other = _claim(
        "S20000002",
        (refused(on=date(2026, 3, 20), reason="not covered"), "2026-04-20T09:00"),
        declared_on=date(2026, 3, 18),
    )
    other = [(e, _at("2026-04-20T09:00")) for e, _ in other]
    book.record(late, other)
    assert book.report("2026-03") == march
    assert book.report("2026-03", ReportFormat.CSV) == march_csv
    april = book.rows("2026-04")
    assert (april["S20000001"]["paid_this_period"], april["S20000001"]["paid_before"]) == (
        "100.00",
        "200.00",
    )
    assert april["S20000002"]["status"] == "refused"
    assert april["S20000002"]["refusal_reason"] == "not covered"
    assert april["S20000002"]["decided_on"] == "2026-03-20"


def test_sum_of_paid_this_period_is_what_was_paid_and_closed_claims_leave(store: ReadStore) -> None:
    book = Book(store)
    paid = _paid_claim()
    done = _claim(
        "S20000003",
        (accepted(), "2026-03-12T09:00"),
        (pay("550.00", kind="final", on=date(2026, 3, 14)), "2026-03-14T09:00"),
        (issue("S20000003-P1", on=date(2026, 3, 16)), "2026-03-16T09:00"),
        (closed(on=date(2026, 3, 25)), "2026-03-25T09:00"),
    )
    book.record(paid, done)
    months = ["2026-02", "2026-03", "2026-04", "2026-05"]
    sums = {number: Decimal("0.00") for number in ("S20000001", "S20000003")}
    for month in months:
        for number, row in book.rows(month).items():
            sums[number] += Decimal(row["paid_this_period"])
            assert Decimal(row["incurred"]) == Decimal(row["paid_this_period"]) + Decimal(
                row["paid_before"]
            ) + Decimal(row["reserve"]) - Decimal(row["recovered"])
    assert sums == {"S20000001": Decimal("300.00"), "S20000003": Decimal("550.00")}
    assert "S20000003" in book.rows("2026-03")
    assert book.rows("2026-03")["S20000003"]["closed_on"] == "2026-03-25"
    assert "S20000003" not in book.rows("2026-04")  # closed before April


def test_final_only_after_the_cut_off(store: ReadStore) -> None:
    book = Book(store)
    before = json.loads(
        book.report(
            "2026-03",
            now=MARCH_CUT_OFF - timedelta(microseconds=1),
        )
    )
    after = json.loads(book.report("2026-03", now=MARCH_CUT_OFF))
    assert (before["final"], after["final"]) == (False, True)
    assert list(after) == ["period", "cut_off", "final", "items", "totals"]


def test_the_triangles_last_diagonal_is_the_financials_as_of_that_day(store: ReadStore) -> None:
    book = Book(store)
    book.record(
        _paid_claim(),
        _claim(
            "S20000004",
            (accepted(on=date(2026, 5, 12)), "2026-05-12T09:00"),
            (pay("120.00", on=date(2026, 7, 2)), "2026-07-02T09:00"),
            (issue("S20000004-P1", on=date(2026, 7, 3)), "2026-07-03T09:00"),
            event_date=date(2026, 5, 2),
            known_on=date(2026, 5, 2),
            declared_on=date(2026, 5, 4),
            booking_date=date(2026, 1, 10),
            trip=Trip(
                departure_date=date(2026, 5, 20),
                return_date=date(2026, 5, 27),
                destination="Lisbon",
                transport_price=Decimal("500.00"),
            ),
        ),
    )
    for as_of in (date(2026, 3, 20), date(2026, 6, 30), date(2026, 8, 15)):
        expected = financial_totals(store, as_of=as_of)
        for basis, name in ((Basis.PAID, "paid"), (Basis.INCURRED, "incurred")):
            body = triangles(
                store, basis=basis, origin=Origin.ACCIDENT, step=Step.QUARTER, as_of=as_of
            )
            cells = body["cells"]
            diagonal = [row[len(row) - 1 - i] for i, row in enumerate(cells)]
            assert sum(diagonal, Decimal("0.00")) == Decimal(expected[name])
            for i, row in enumerate(cells):
                assert all(c is None for c in row[len(row) - i :])
        count = triangles(
            store, basis=Basis.COUNT, origin=Origin.DECLARATION, step=Step.YEAR, as_of=as_of
        )
        assert count["origins"] == ["2026"]
    quarters = triangles(
        store, basis=Basis.PAID, origin=Origin.ACCIDENT, step=Step.QUARTER, as_of=date(2026, 8, 15)
    )
    assert quarters["origins"] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert quarters["cells"] == [
        [Decimal("300.00"), Decimal("300.00"), Decimal("300.00")],
        [Decimal("0.00"), Decimal("120.00"), None],
        [Decimal("0.00"), None, None],
    ]


def _receipt(
    claim: Stamped, channel: Channel, *, requested_at: str, sent: datetime, recorded: str
) -> Stamped:
    """A declaration receipt of the claim on a channel, requested, then reported sent at
    `sent` (the sender's time) and recorded at `recorded` (UTC)."""
    declared = claim[0][0]
    notification = Notification.request(
        template=Template.DECLARATION_RECEIPT,
        channel=channel,
        recipient="sealed",
        params="sealed",
        trigger=f"{declared.originator_id}:1",
        trigger_type="Declared",
        claim_id=declared.originator_id,
        reminder_day=None,
        by="notifications",
    )
    (request,) = notification.collect_events()
    notification.report(outcome=Outcome.SENT, at=sent, reason=None, by="notifier")
    (sending,) = notification.collect_events()
    return [(request, _at(requested_at)), (sending, _at(recorded))]


def test_acknowledged_on_is_the_first_receipt_sent_as_known_at_the_cut_off(
    store: ReadStore,
) -> None:
    book = Book(store)
    on_time = _claim("S20000005")  # declared on 4 March
    book.record(on_time)
    assert book.rows("2026-03")["S20000005"]["acknowledged_on"] is None  # nothing sent yet
    # The SMS goes first (4 March, 23:30 Paris), the e-mail the next morning: the first counts.
    sms = _receipt(
        on_time,
        Channel.SMS,
        requested_at="2026-03-04T09:01",
        sent=_at("2026-03-04T22:30"),
        recorded="2026-03-04T22:31",
    )
    email = _receipt(
        on_time,
        Channel.EMAIL,
        requested_at="2026-03-04T09:01",
        sent=_at("2026-03-05T08:00"),
        recorded="2026-03-05T08:01",
    )
    # Another claim's receipt, sent in March but recorded after March's cut-off.
    late = _claim("S20000006", declared_on=date(2026, 3, 20))
    late_sent = _receipt(
        late,
        Channel.EMAIL,
        requested_at="2026-03-20T09:01",
        sent=_at("2026-03-20T10:00"),
        recorded="2026-04-15T09:00",
    )
    # A receipt sent on 31 March, 23:30 UTC: 1 April in Paris, so not March's.
    night = _claim("S20000007", declared_on=date(2026, 3, 31))
    night_sent = _receipt(
        night,
        Channel.EMAIL,
        requested_at="2026-03-31T09:01",
        sent=_at("2026-03-31T23:30"),
        recorded="2026-03-31T23:31",
    )
    late_requested = [(e, at) for e, at in late_sent if at < MARCH_CUT_OFF]
    book.record(sms, email, late, late_requested, night, night_sent)
    march = book.report("2026-03")
    rows = book.rows("2026-03")
    assert rows["S20000005"]["acknowledged_on"] == "2026-03-04"
    assert rows["S20000006"]["acknowledged_on"] is None
    assert rows["S20000007"]["acknowledged_on"] is None
    book.record([(e, at) for e, at in late_sent if at >= MARCH_CUT_OFF])
    assert book.report("2026-03") == march  # the late record leaves March as it was
    april = book.rows("2026-04")
    assert april["S20000005"]["acknowledged_on"] == "2026-03-04"
    assert april["S20000006"]["acknowledged_on"] == "2026-03-20"
    assert april["S20000007"]["acknowledged_on"] == "2026-04-01"
    # Receipts are ids and dates: no recipient, no parameters in the read model.
    ((count,),) = store.query("SELECT COUNT(*) FROM reporting_receipts", [])
    assert count == 4
    assert "sealed" not in json.dumps(store.query("SELECT * FROM reporting_state", []))
