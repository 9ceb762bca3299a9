"""The reports' arithmetic (docs/rules.md "Reports"): months, the cut-off, paid split by
month over random histories (Σ paid_this_period = paid), the triangles' cells."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.reporting import (
    BadPeriodError,
    MoneyFact,
    Period,
    Step,
    cut_off,
    first_acknowledgement,
    in_bordereau,
    is_final,
    paid_split,
    triangle,
)
from tests.domain.gwt import CALENDAR

START = date(2025, 1, 1)


def test_periods_parse_and_step() -> None:
    assert Period.parse("2026-10") == Period(2026, 10)
    assert str(Period(2026, 1).previous()) == "2025-12"
    assert Period(2024, 2).end == date(2024, 2, 29)
    for bad in ("2026-13", "2026-1", "26-10", "2026-10-01", ""):
        with pytest.raises(BadPeriodError):
            Period.parse(bad)


def test_cut_off_counts_working_days_after_the_month_in_paris() -> None:
    # October 2026 ends on a Saturday; 2 Nov, 3, 4, 5, 6: the 5th jour ouvré is Friday 6
    # (1 November, a Sunday, is a holiday anyway). End of the 6th, Paris (UTC+1 in winter).
    assert cut_off(Period(2026, 10), CALENDAR).isoformat() == "2026-11-07T00:00:00+01:00"
    # April 2026 ends on a Thursday; 1 May (Friday) and 8 May (Friday) are holidays:
    # 4, 5, 6, 7, 11 May.
    assert cut_off(Period(2026, 4), CALENDAR).isoformat() == "2026-05-12T00:00:00+02:00"
    cut = cut_off(Period(2026, 10), CALENDAR)
    assert not is_final(Period(2026, 10), CALENDAR, cut - timedelta(microseconds=1))
    assert is_final(Period(2026, 10), CALENDAR, cut)


def test_a_claim_closed_before_the_month_leaves_unless_something_new_is_reported() -> None:
    assert in_bordereau(declared=True, status_at_start=None, news=True)
    assert in_bordereau(declared=True, status_at_start="accepted", news=False)
    assert not in_bordereau(declared=True, status_at_start="closed", news=False)
    assert in_bordereau(declared=True, status_at_start="withdrawn", news=True)
    assert not in_bordereau(declared=False, status_at_start=None, news=True)


def test_acknowledged_on_is_the_first_receipt_sent_known_at_the_cut_off() -> None:
    october = Period(2026, 10)
    cut = cut_off(october, CALENDAR)  # 7 November 2026, 00:00 Paris
    sms = (date(2026, 10, 12), datetime(2026, 10, 12, 9, tzinfo=UTC))
    email = (date(2026, 10, 13), datetime(2026, 10, 13, 9, tzinfo=UTC))
    late = (date(2026, 10, 2), cut)  # sent on the 2nd, recorded at the cut-off: too late
    november = (date(2026, 11, 2), datetime(2026, 11, 2, 9, tzinfo=UTC))  # after the month
    assert first_acknowledgement([], october, CALENDAR) is None
    assert first_acknowledgement([email, sms, late, november], october, CALENDAR) == sms[0]
    assert first_acknowledgement([late, november], october, CALENDAR) is None
    assert first_acknowledgement([late, november], october.next(), CALENDAR) == late[0]


facts = st.lists(
    st.tuples(
        st.integers(0, 540),  # business day, from START
        st.integers(0, 120),  # recorded this many days after the business day
        st.integers(0, 24 * 60 - 1),  # minute of the recording day (UTC)
        st.integers(-50_000, 200_000),  # cents paid (negative: a failed payment)
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(facts)
def test_paid_this_period_over_all_months_sums_to_what_was_paid(
    history: list[tuple[int, int, int, int]],
) -> None:
    money_facts = [
        MoneyFact(
            day=START + timedelta(days=day),
            recorded_at=datetime.combine(
                START + timedelta(days=day + late), datetime.min.time(), UTC
            )
            + timedelta(minutes=minute),
            paid=Decimal(cents) / 100,
        )
        for day, late, minute, cents in history
    ]
    period = Period.of(START)
    total = Decimal("0.00")
    previous_before = Decimal("0.00")
    while period <= Period.of(START + timedelta(days=540 + 121)):
        this_period, before = paid_split(money_facts, period, CALENDAR)
        # paid_before of a month is what the months before it reported, no more, no less.
        assert before == previous_before
        total += this_period
        previous_before = before + this_period
        period = period.next()
    assert total == sum((f.paid for f in money_facts), Decimal("0.00"))


def test_triangle_cells_are_cumulative_partial_then_null() -> None:
    # Amounts by (origin month, month of the fact), facts dated up to as_of.
    amounts = [
        ("2025-02", "2025-02", 100),
        ("2025-02", "2025-05", 50),
        ("2025-04", "2025-06", 30),
        ("2025-04", "2025-10", 7),
    ]
    origins, cells = triangle(amounts, step=Step.QUARTER, as_of=date(2025, 10, 15))
    assert origins == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert cells == [
        [100, 150, 150, 150],  # Q4 is partial: to 15 October
        [30, 30, 37, None],
        [0, 0, None, None],
        [0, None, None, None],
    ]
    years, by_year = triangle(amounts, step=Step.YEAR, as_of=date(2025, 12, 31))
    assert (years, by_year) == (["2025"], [[187]])
    assert triangle([], step=Step.YEAR, as_of=date(2025, 1, 1)) == ([], [])
    # Origins start with the first claim's, whatever the basis.
    assert triangle([], step=Step.YEAR, as_of=date(2026, 3, 1), first_origin="2025-07") == (
        ["2025", "2026"],
        [[0, 0], [0, None]],
    )
