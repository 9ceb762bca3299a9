"""Legal and contractual deadlines, each written once, with its unit and source.

The aggregate's guards and the SLA clocks (`domain/sla.py`) both call these functions, so a
guard can never allow what a clock calls late, or the reverse (docs/rules.md, "Deadlines").
Every function is pure: the business calendar comes in as an argument.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.calendar import FrenchCalendar, WorkingDays
from domain.values import Complaint

DECLARATION_WORKING_DAYS = 5  # jours ouvrés, Code des assurances L.113-2 4° (seeds 000-003)
ACKNOWLEDGEMENT_WORKING_DAYS = 10  # jours ouvrables, ACPR 2024-R-02, seed 001 §3.2
ANSWER_MONTHS = 2  # ACPR 2024-R-02, seed 001 §3.2: one window for the complaint and its recours
HANDLING_ONLINE_WORKING_DAYS = 10  # jours ouvrés after complete proofs, online (seed 003)
HANDLING_OTHER_CHANNEL_DAYS = 45  # calendar days, post / e-mail and other channels (seed 003)
PAYMENT_CALENDAR_DAYS = 15  # after the agreement (seeds 002, 003)
MEDIATION_REFERRAL_MONTHS = 12  # Code de la consommation L.612-2
PRESCRIPTION_MONTHS = 24  # Code des assurances L.114-1
PRESCRIPTION_AFTER_MEDIATION_MONTHS = 6  # Code civil 2238: at least 6 months after mediation
MEDIATION_ACCEPTANCE_DAYS = 21  # R.612-5: the mediator says within 3 weeks if it takes the case
MEDIATION_OPINION_DAYS = 90  # R.612-5: its opinion within 90 days


def declaration_due(known_on: date, calendar: FrenchCalendar, working_days: int) -> date:
    """Last day to declare: N jours ouvrés after the insured learned of the event (the
    contract's N, 5 by law), read favourably: up to the day before the next jour ouvré, so a
    declaration on the Saturday after a Friday deadline loses no working day and is in time
    (docs/adr/0004-time.md). The lateness flag and the SLA clock both use this date."""
    return calendar.add_working_days(known_on, working_days + 1) - timedelta(days=1)


def acknowledgement_due(sent_on: date, calendar: FrenchCalendar) -> date:
    """A complaint's acknowledgement: 10 jours ouvrables after it was sent."""
    return calendar.add_working_days(sent_on, ACKNOWLEDGEMENT_WORKING_DAYS, WorkingDays.OUVRABLES)


def _months_after(start: date, months: int, calendar: FrenchCalendar) -> date:
    """A deadline in months; `date.max` when it falls beyond the calendar (a date stored by
    round 1 in year 9999 must not make a guard crash)."""
    try:
        return calendar.add_months(start, months)
    except (OverflowError, ValueError):
        return date.max


def answer_due(sent_on: date, calendar: FrenchCalendar) -> date:
    """A complaint's answer (and its recours'): 2 months after it was sent."""
    return _months_after(sent_on, ANSWER_MONTHS, calendar)


def handling_due(complete_on: date, channel: str, calendar: FrenchCalendar) -> date:
    """Assessment after complete proofs: 10 jours ouvrés online, 45 days by other channels."""
    if channel == "online":
        return calendar.add_working_days(complete_on, HANDLING_ONLINE_WORKING_DAYS)
    return complete_on + timedelta(days=HANDLING_OTHER_CHANNEL_DAYS)


def payment_due(agreed_on: date) -> date:
    """Payment: 15 calendar days after the agreement (the acceptance)."""
    return agreed_on + timedelta(days=PAYMENT_CALENDAR_DAYS)


def mediation_referral_deadline(sent_on: date, calendar: FrenchCalendar) -> date:
    """Last day to refer to the Médiateur de l'Assurance: 1 year after the written complaint,
    ending like any deadline in months (moved off a week-end or holiday)."""
    return _months_after(sent_on, MEDIATION_REFERRAL_MONTHS, calendar)


def internal_avenues_exhausted_on(complaint: Complaint, on: date) -> bool:
    """As of `on`: the last internal answer (first level, or the recours' when the complainant
    escalated) is dated on or before `on` and no recours is pending."""
    if complaint.answered_on is None or complaint.answered_on > on:
        return False
    if complaint.escalated_on is None or complaint.escalated_on > on:
        return True
    return complaint.recours_answered_on is not None and complaint.recours_answered_on <= on


def mediation_referral_possible(complaint: Complaint, on: date, calendar: FrenchCalendar) -> bool:
    """Whether a referral on `on` may rest on this written complaint (domain rule of
    docs/rules.md "Mediation"): sent by then, within its 1-year window, and either internal
    avenues exhausted as of `on` or the 2-month answer deadline passed before `on`."""
    if not complaint.is_written or complaint.sent_on > on:
        return False
    if on > mediation_referral_deadline(complaint.sent_on, calendar):
        return False
    return internal_avenues_exhausted_on(complaint, on) or on > answer_due(
        complaint.sent_on, calendar
    )


def prescription_due(start: date, calendar: FrenchCalendar) -> date:
    """Prescription: 2 years from the event or from the act that interrupted it."""
    return calendar.add_months(start, PRESCRIPTION_MONTHS)


def prescription_after_mediation(
    due_before: date, referred_on: date, concluded_on: date, calendar: FrenchCalendar
) -> date:
    """The prescription date once a mediation concluded: suspended from the referral to the
    conclusion (the time that was left runs again from the conclusion), and at least 6 months
    remain after it (Code civil 2238)."""
    left = max(timedelta(0), due_before - referred_on)
    return max(
        concluded_on + left,
        calendar.add_months(concluded_on, PRESCRIPTION_AFTER_MEDIATION_MONTHS),
    )


def prescription_during_mediation(
    due_before: date, referred_on: date, calendar: FrenchCalendar
) -> date:
    """While the mediation runs, the provisional prescription date: as if the mediator
    concluded at the latest its rules allow (3 weeks to take the case, 90 days to give its
    opinion); it is fixed by `prescription_after_mediation` at the conclusion."""
    latest = referred_on + timedelta(days=MEDIATION_ACCEPTANCE_DAYS + MEDIATION_OPINION_DAYS)
    return prescription_after_mediation(due_before, referred_on, latest, calendar)
