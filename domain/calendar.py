"""French business calendar: jours ouvrés and jours ouvrables, public holidays from `holidays`.

Counting follows docs/rules.md "Calendar": the starting day is never counted; "N jours ouvrés
after D" is the N-th working day strictly after D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import holidays
from dateutil.relativedelta import relativedelta


class WorkingDays(StrEnum):
    """Which weekdays count as working days."""

    OUVRES = "ouvres"  # Monday to Friday
    OUVRABLES = "ouvrables"  # Monday to Saturday


_LAST_WEEKDAY = {WorkingDays.OUVRES: 4, WorkingDays.OUVRABLES: 5}

# Subdivision codes of the `holidays` package for the regional calendars (rules.md "Calendar").
REGIONS: dict[str, str | None] = {
    "metropole": None,
    "alsace-moselle": "57",
    "guadeloupe": "971",
    "martinique": "972",
    "guyane": "973",
    "reunion": "974",
    "mayotte": "976",
}


@dataclass(frozen=True)
class FrenchCalendar:
    """Public holidays of one French region, and working-day arithmetic over them."""

    region: str = "metropole"
    _holidays: holidays.HolidayBase = field(init=False, repr=False, compare=False)
    # Days already looked up (the holidays package converts and checks its years on each
    # look-up; read models ask for the same few hundred days millions of times).
    _known: dict[date, bool] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            msg = f"unknown calendar region {self.region!r}; choose one of {sorted(REGIONS)}"
            raise ValueError(msg)
        # Years are filled in lazily by the holidays package on first look-up.
        object.__setattr__(
            self, "_holidays", holidays.country_holidays("FR", subdiv=REGIONS[self.region])
        )

    def is_public_holiday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = day in self._holidays
        return known

    def is_working_day(self, day: date, kind: WorkingDays = WorkingDays.OUVRES) -> bool:
        return day.weekday() <= _LAST_WEEKDAY[kind] and not self.is_public_holiday(day)

    def add_working_days(
        self, start: date, count: int, kind: WorkingDays = WorkingDays.OUVRES
    ) -> date:
        """The `count`-th working day strictly after `start` (the start day is not counted)."""
        if count < 0:
            msg = "count must not be negative"
            raise ValueError(msg)
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day, kind):
                remaining -= 1
        return day

    def next_working_day(self, day: date, kind: WorkingDays = WorkingDays.OUVRES) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day, kind):
            day += timedelta(days=1)
        return day

    def add_months(self, start: date, months: int) -> date:
        """A deadline of `months` months: the same day of the month (the last day of a shorter
        month), moved to the next jour ouvré when it is a Saturday, Sunday or public holiday
        (Code de procédure civile 641-642, by analogy)."""
        return self.next_working_day(start + relativedelta(months=months))

    def working_days_between(
        self, start: date, end: date, kind: WorkingDays = WorkingDays.OUVRES
    ) -> int:
        """Working days in the half-open interval (start, end]; 0 when end <= start."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day, kind):
                count += 1
        return count
