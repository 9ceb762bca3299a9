from __future__ import annotations

from datetime import date

import pytest

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
