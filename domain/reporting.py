"""The arithmetic of the insurer's reports (docs/rules.md "Reports"; docs/adr/0029).

Pure: periods, the bordereau's cut-off rule and its rows, the loss triangles' cells. Time is an
argument: nothing here reads a clock.

Cut-off rule: a month P is reported as known at `cut_off(P)`, the end of the 5th jour ouvré
after P's last day (Paris). `cum(P)` counts the facts dated up to P's last day and recorded
before `cut_off(P)`; `paid_before = cum_paid(P - 1)` and `paid_this_period = cum_paid(P) -
paid_before`, so a fact recorded after its month's cut-off lands in the next period, and a
month whose cut-off has passed gives the same figures whatever is recorded later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.calendar import FrenchCalendar, WorkingDays

PARIS = ZoneInfo("Europe/Paris")
CUT_OFF_WORKING_DAYS = 5
# A claim closed or withdrawn before a month leaves that month's bordereau (unless something
# about it is first reported in the month).
ENDED = frozenset({"closed", "withdrawn"})

BORDEREAU_COLUMNS: tuple[str, ...] = (
    "claim_number",
    "subscription_number",
    "contract",
    "guarantee",
    "cause_category",
    "loss_date",
    "declared_on",
    "opened_on",
    "acknowledged_on",
    "decided_on",
    "closed_on",
    "status",
    "paid_this_period",
    "paid_before",
    "reserve",
    "incurred",
    "recovered",
    "refusal_reason",
)
BORDEREAU_TOTALS: tuple[str, ...] = (
    "paid_this_period",
    "paid_before",
    "reserve",
    "incurred",
    "recovered",
)

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class BadPeriodError(ValueError):
    """Not a month written YYYY-MM."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        found = _PERIOD.match(text)
        if found is None:
            msg = "a month written YYYY-MM"
            raise BadPeriodError(msg)
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)


def cut_off(period: Period, calendar: FrenchCalendar) -> datetime:
    """The end of the 5th jour ouvré after the month's last day, in Paris: the first instant
    that is no longer before the cut-off (a fact counts if recorded strictly before it)."""
    last = calendar.add_working_days(period.end, CUT_OFF_WORKING_DAYS, WorkingDays.OUVRES)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=PARIS)


def is_final(period: Period, calendar: FrenchCalendar, now: datetime) -> bool:
    """True once the cut-off has passed: the period's figures no longer change."""
    return now >= cut_off(period, calendar)


def known(day: date, recorded_at: datetime, period: Period, calendar: FrenchCalendar) -> bool:
    """Whether a fact counts in `cum(period)`: dated up to the month's end and recorded
    before its cut-off."""
    return day <= period.end and recorded_at < cut_off(period, calendar)


def first_acknowledgement(
    sendings: Iterable[tuple[date, datetime]], period: Period, calendar: FrenchCalendar
) -> date | None:
    """The first date a declaration receipt was sent, of the sendings (Paris date, recording
    time) known at the month's cut-off; None before any."""
    days = [day for day, recorded_at in sendings if known(day, recorded_at, period, calendar)]
    return min(days, default=None)


@dataclass(frozen=True)
class MoneyFact:
    """What a fact moved on a claim, with its business date and its recording time."""

    day: date
    recorded_at: datetime
    paid: Decimal = Decimal("0.00")
    reserve: Decimal = Decimal("0.00")
    recovered: Decimal = Decimal("0.00")


def cumulative_paid(
    facts: Iterable[MoneyFact], period: Period, calendar: FrenchCalendar
) -> Decimal:
    """cum_paid(P): the payments dated up to P's end and recorded before its cut-off."""
    total = Decimal("0.00")
    for fact in facts:
        if known(fact.day, fact.recorded_at, period, calendar):
            total += fact.paid
    return total


def paid_split(
    facts: Iterable[MoneyFact], period: Period, calendar: FrenchCalendar
) -> tuple[Decimal, Decimal]:
    """(paid_this_period, paid_before) of a claim for a month."""
    kept = list(facts)
    before = cumulative_paid(kept, period.previous(), calendar)
    return cumulative_paid(kept, period, calendar) - before, before


def in_bordereau(*, declared: bool, status_at_start: str | None, news: bool) -> bool:
    """A claim is in a month's bordereau when, as known at the cut-off, it was declared by the
    month's end and was not closed or withdrawn before the month started; a claim closed
    before the month still appears when something about it is first reported in the month
    (a late record), so that every payment is reported once."""
    if not declared:
        return False
    return status_at_start not in ENDED or news


def money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def bordereau_row(
    claim: Mapping[str, Any],
    *,
    status: str,
    decided_on: date | None,
    closed_on: date | None,
    paid_cents: int,
    paid_before_cents: int,
    reserve_cents: int,
    recovered_cents: int,
    refusal_reason: str | None,
    acknowledged_on: date | None,
) -> dict[str, Any]:
    """One row, in the columns' order. `claim` holds the declaration's facts (claim_number,
    subscription_number, contract, guarantee, cause_category, loss_date, declared_on,
    opened_on); the figures are cum(P) in cents, and cum_paid(P - 1) for paid_before;
    `acknowledged_on` is the first declaration receipt's sending known at the cut-off.
    incurred = paid + reserve - recovered (the money rules)."""
    return {
        "claim_number": claim["claim_number"],
        "subscription_number": claim["subscription_number"],
        "contract": claim["contract"],
        "guarantee": claim["guarantee"],
        "cause_category": claim["cause_category"],
        "loss_date": claim["loss_date"],
        "declared_on": claim["declared_on"],
        "opened_on": claim["opened_on"],
        "acknowledged_on": acknowledged_on,
        "decided_on": decided_on,
        "closed_on": closed_on,
        "status": status,
        "paid_this_period": money(paid_cents - paid_before_cents),
        "paid_before": money(paid_before_cents),
        "reserve": money(reserve_cents),
        "incurred": money(paid_cents + reserve_cents - recovered_cents),
        "recovered": money(recovered_cents),
        "refusal_reason": refusal_reason if status == "refused" else None,
    }


def bordereau_totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    totals = dict.fromkeys(BORDEREAU_TOTALS, Decimal("0.00"))
    for row in rows:
        for name in BORDEREAU_TOTALS:
            totals[name] += row[name]
    return totals


def paris_day(recorded_at: datetime) -> date:
    """The Paris date of a recorded (UTC) time."""
    return recorded_at.astimezone(PARIS).date()


def utc_text(moment: datetime) -> str:
    """A time as the read models hold recorded times (fixed-width UTC text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ------------------------------------------------------------------ loss triangles


class Step(StrEnum):
    QUARTER = "quarter"
    YEAR = "year"


class Basis(StrEnum):
    PAID = "paid"
    INCURRED = "incurred"
    COUNT = "count"


class Origin(StrEnum):
    ACCIDENT = "accident"
    DECLARATION = "declaration"


def step_index(month: str, step: Step) -> int:
    """A month `YYYY-MM` as a running index of quarters or years."""
    year, number = int(month[:4]), int(month[5:7])
    return year * 4 + (number - 1) // 3 if step is Step.QUARTER else year


def step_label(index: int, step: Step) -> str:
    return f"{index // 4}-Q{index % 4 + 1}" if step is Step.QUARTER else str(index)


def step_start(index: int, step: Step) -> date:
    if step is Step.QUARTER:
        return date(index // 4, (index % 4) * 3 + 1, 1)
    return date(index, 1, 1)


def triangle(
    amounts: Iterable[tuple[str, str, int]],
    *,
    step: Step,
    as_of: date,
    first_origin: str | None = None,
) -> tuple[list[str], list[list[int | None]]]:
    """The cumulative triangle from amounts by (origin month, month of the fact), both
    `YYYY-MM`, facts dated up to `as_of`. Origins run from the step of `first_origin` (a
    month; the first origin with a claim, so that every basis has the same origins), else of
    the first origin with an amount, to the step containing `as_of`. cells[i][k] sums what is
    dated up to the end of development step k of origin i (k = 0: the origin period itself), up
    to `as_of` for the step containing it, and is None for a step starting after `as_of`."""
    by_cell: dict[tuple[int, int], int] = {}
    for origin_month, fact_month, amount in amounts:
        origin = step_index(origin_month, step)
        development = max(0, step_index(fact_month, step) - origin)
        key = (origin, development)
        by_cell[key] = by_cell.get(key, 0) + amount
    last = step_index(f"{as_of.year:04d}-{as_of.month:02d}", step)
    starts = [origin for origin, _ in by_cell]
    if first_origin is not None:
        starts.append(step_index(first_origin, step))
    if not starts:
        return [], []
    first = min(starts)
    size = last - first + 1
    origins = [step_label(first + i, step) for i in range(size)]
    cells: list[list[int | None]] = []
    for i in range(size):
        row: list[int | None] = []
        running = 0
        for k in range(size):
            if step_start(first + i + k, step) > as_of:
                row.append(None)
                continue
            running += by_cell.get((first + i, k), 0)
            row.append(running)
        cells.append(row)
    return origins, cells
