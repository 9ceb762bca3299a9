from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import FrenchCalendar, WorkingDays

METROPOLE = FrenchCalendar()


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 1, 1),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
        date(2025, 4, 21),
        date(2025, 5, 29),
        date(2025, 6, 9),
    ],
)
def test_metropolitan_public_holidays_of_domain_md(holiday: date) -> None:
    assert METROPOLE.is_public_holiday(holiday)


def test_alsace_moselle_adds_good_friday_and_26_december() -> None:
    alsace = FrenchCalendar("alsace-moselle")
    assert alsace.is_public_holiday(date(2026, 4, 3))
    assert alsace.is_public_holiday(date(2026, 12, 26))
    assert not METROPOLE.is_public_holiday(date(2026, 4, 3))


@pytest.mark.parametrize(
    ("region", "day"),
    [
        ("mayotte", date(2026, 4, 27)),
        ("martinique", date(2026, 5, 22)),
        ("guadeloupe", date(2026, 5, 27)),
        ("guyane", date(2026, 6, 10)),
        ("reunion", date(2026, 12, 20)),
    ],
)
def test_overseas_departments_add_their_abolition_day(region: str, day: date) -> None:
    assert FrenchCalendar(region).is_public_holiday(day)
    assert not METROPOLE.is_public_holiday(day)


def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown calendar region"):
        FrenchCalendar("atlantis")


def test_the_starting_day_is_not_counted() -> None:
    # Monday 2 March 2026 + 5 jours ouvrés = Monday 9 March.
    assert METROPOLE.add_working_days(date(2026, 3, 2), 5) == date(2026, 3, 9)


def test_jours_ouvrables_count_saturdays() -> None:
    assert METROPOLE.add_working_days(date(2026, 3, 2), 5, WorkingDays.OUVRABLES) == date(
        2026, 3, 7
    )


def test_public_holidays_are_skipped() -> None:
    # Thursday 30 April 2026 + 5 jours ouvrés skips 1 May and 8 May.
    assert METROPOLE.add_working_days(date(2026, 4, 30), 5) == date(2026, 5, 11)


def test_working_days_between_is_half_open() -> None:
    assert METROPOLE.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert METROPOLE.working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5
    assert METROPOLE.working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == 0
    assert METROPOLE.working_days_between(date(2026, 3, 6), date(2026, 3, 8)) == 0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        METROPOLE.add_working_days(date(2026, 3, 2), -1)


def test_acknowledgement_of_a_complaint_sent_friday_3_april_2026_is_due_thursday_16_april() -> None:
    # Jours ouvrables: Saturdays count, Easter Monday 6 April does not.
    assert METROPOLE.add_working_days(date(2026, 4, 3), 10, WorkingDays.OUVRABLES) == date(
        2026, 4, 16
    )


def test_two_months_from_3_april_2026_end_wednesday_3_june() -> None:
    assert METROPOLE.add_months(date(2026, 4, 3), 2) == date(2026, 6, 3)


def test_two_months_from_31_march_2026_end_sunday_31_may_so_monday_1_june() -> None:
    assert METROPOLE.add_months(date(2026, 3, 31), 2) == date(2026, 6, 1)


def test_a_month_from_31_january_clamps_to_28_february_then_rolls_to_monday() -> None:
    assert METROPOLE.add_months(date(2026, 1, 31), 1) == date(2026, 3, 2)


def test_a_month_deadline_on_a_public_holiday_moves_to_the_next_working_day() -> None:
    assert METROPOLE.add_months(date(2026, 3, 14), 2) == date(2026, 5, 15)  # 14 May: Ascension


def test_alsace_moselle_skips_good_friday_and_26_december() -> None:
    alsace = FrenchCalendar("alsace-moselle")
    assert alsace.add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert METROPOLE.add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 3)
    assert alsace.add_working_days(date(2026, 12, 24), 1, WorkingDays.OUVRABLES) == date(
        2026, 12, 28
    )
    assert METROPOLE.add_working_days(date(2026, 12, 24), 1, WorkingDays.OUVRABLES) == date(
        2026, 12, 26
    )


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
kinds = st.sampled_from(list(WorkingDays))
regions = st.sampled_from(["metropole", "alsace-moselle", "reunion"])


@settings(max_examples=300)
@given(days, st.integers(min_value=1, max_value=60), kinds, regions)
def test_adding_working_days_lands_on_a_working_day_and_counting_inverts_it(
    start: date, count: int, kind: WorkingDays, region: str
) -> None:
    calendar = FrenchCalendar(region)
    end = calendar.add_working_days(start, count, kind)
    assert calendar.is_working_day(end, kind)
    assert calendar.working_days_between(start, end, kind) == count


@settings(max_examples=300)
@given(days, st.integers(min_value=1, max_value=24))
def test_a_month_deadline_is_the_first_working_day_from_the_same_day_of_month(
    start: date, months: int
) -> None:
    same_day = start + relativedelta(months=months)
    due = METROPOLE.add_months(start, months)
    assert METROPOLE.is_working_day(due)
    assert same_day <= due <= same_day + timedelta(days=4)
    assert all(
        not METROPOLE.is_working_day(same_day + timedelta(days=n))
        for n in range((due - same_day).days)
    )
