"""SLA clocks from a claim's events, evaluated as of a day: each state at its boundary."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given as hypothesis_given
from hypothesis import settings
from hypothesis import strategies as st

from domain.errors import ClaimError
from domain.sla import Clock, ClockKind, ClockState, clocks_as_of, derive_clocks
from tests.domain.gwt import (
    CALENDAR,
    HANDLER,
    Step,
    accepted,
    acknowledged,
    answered,
    closed,
    complaint,
    declare,
    escalated,
    history,
    mediation,
    received,
    refused,
    reopened,
    requested,
    settled,
    withdrawn,
)

R1 = "S20000001-R1"


def clock(events: list[Any], key: str, as_of: date) -> tuple[Clock, ClockState] | None:
    for status in clocks_as_of(events, as_of, CALENDAR):
        if status.clock.key == key:
            return status.clock, status.state
    return None


def state(events: list[Any], key: str, as_of: date) -> ClockState | None:
    found = clock(events, key, as_of)
    return found[1] if found else None


# 3 April 2026 is a Friday: acknowledgement due Thursday 16 April, answer Wednesday 3 June.
COMPLAINT = complaint(sent_on=date(2026, 4, 3), received_on=date(2026, 4, 3))


# ------------------------------------------------------------------ declaration


def test_declaration_clock_runs_5_jours_ouvres_from_the_date_of_knowledge() -> None:
    found = clock(history(), "declaration", date(2026, 3, 4))
    assert found is not None
    assert found[0] == Clock(
        ClockKind.DECLARATION, "declaration", date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 4)
    )
    assert found[1] == ClockState.MET


def test_declaration_on_the_due_day_is_met_and_a_day_later_missed() -> None:
    on_time = history(declared_on=date(2026, 3, 9))
    late = history(declared_on=date(2026, 3, 10))
    assert state(on_time, "declaration", date(2026, 3, 9)) == ClockState.MET
    assert state(late, "declaration", date(2026, 3, 10)) == ClockState.MISSED


def test_nothing_is_running_before_the_claim_was_declared() -> None:
    assert clocks_as_of(history(), date(2026, 3, 3), CALENDAR) == []


# ------------------------------------------------------------------ complaint acknowledgement


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2026, 4, 3), ClockState.RUNNING),
        (date(2026, 4, 13), ClockState.RUNNING),  # 3 working days left
        (date(2026, 4, 14), ClockState.AT_RISK),  # 2 working days left
        (date(2026, 4, 16), ClockState.AT_RISK),  # due today
        (date(2026, 4, 17), ClockState.BREACHED),
    ],
)
def test_unacknowledged_complaint_states(as_of: date, expected: ClockState) -> None:
    events = history(COMPLAINT)
    found = clock(events, f"{R1}:acknowledgement", as_of)
    assert found is not None
    assert found[0].due_on == date(2026, 4, 16)
    assert found[1] == expected


def test_acknowledged_on_the_due_day_is_met() -> None:
    events = history(COMPLAINT, acknowledged(on=date(2026, 4, 16)))
    assert state(events, f"{R1}:acknowledgement", date(2026, 4, 16)) == ClockState.MET
    assert state(events, f"{R1}:acknowledgement", date(2026, 4, 15)) == ClockState.AT_RISK


def test_acknowledged_a_day_late_is_missed() -> None:
    events = history(COMPLAINT, acknowledged(on=date(2026, 4, 17)))
    assert state(events, f"{R1}:acknowledgement", date(2026, 4, 17)) == ClockState.MISSED
    assert state(events, f"{R1}:acknowledgement", date(2026, 4, 16)) == ClockState.AT_RISK


def test_an_answer_within_10_jours_ouvrables_also_meets_the_acknowledgement() -> None:
    events = history(COMPLAINT, answered(on=date(2026, 4, 10)))
    assert state(events, f"{R1}:acknowledgement", date(2026, 5, 1)) == ClockState.MET


def test_the_clock_runs_from_the_sent_date_not_the_received_date() -> None:
    events = history(complaint(sent_on=date(2026, 4, 3), received_on=date(2026, 4, 8)))
    found = clock(events, f"{R1}:acknowledgement", date(2026, 4, 8))
    assert found is not None
    assert found[0].started_on == date(2026, 4, 3)
    # Not known to the insurer before it was received.
    assert clock(events, f"{R1}:acknowledgement", date(2026, 4, 7)) is None


# ------------------------------------------------------------------ complaint answer


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2026, 5, 29), ClockState.RUNNING),  # Friday: 3 working days left
        (date(2026, 6, 1), ClockState.AT_RISK),
        (date(2026, 6, 3), ClockState.AT_RISK),
        (date(2026, 6, 4), ClockState.BREACHED),
    ],
)
def test_unanswered_complaint_states(as_of: date, expected: ClockState) -> None:
    found = clock(history(COMPLAINT), f"{R1}:answer", as_of)
    assert found is not None
    assert found[0].due_on == date(2026, 6, 3)
    assert found[1] == expected


def test_answered_on_the_due_day_is_met_and_a_day_later_missed() -> None:
    on_time = history(COMPLAINT, acknowledged(on=date(2026, 4, 7)), answered(on=date(2026, 6, 3)))
    late = history(COMPLAINT, acknowledged(on=date(2026, 4, 7)), answered(on=date(2026, 6, 4)))
    assert state(on_time, f"{R1}:answer", date(2026, 6, 30)) == ClockState.MET
    assert state(late, f"{R1}:answer", date(2026, 6, 30)) == ClockState.MISSED


def test_the_recours_shares_the_complaints_two_month_window() -> None:
    events = history(
        COMPLAINT,
        answered(on=date(2026, 4, 20)),
        escalated(on=date(2026, 4, 25)),
        answered(on=date(2026, 6, 10)),
    )
    recours = clock(events, f"{R1}:recours", date(2026, 6, 10))
    assert recours is not None
    assert (recours[0].started_on, recours[0].due_on) == (date(2026, 4, 3), date(2026, 6, 3))
    assert recours[1] == ClockState.MISSED
    assert state(events, f"{R1}:answer", date(2026, 6, 10)) == ClockState.MET
    assert clock(events, f"{R1}:recours", date(2026, 4, 24)) is None  # not escalated yet


def test_each_complaint_has_its_own_clocks() -> None:
    events = history(COMPLAINT, complaint(sent_on=date(2026, 5, 4), received_on=date(2026, 5, 4)))
    keys = {
        s.clock.key
        for s in clocks_as_of(events, date(2026, 5, 4), CALENDAR)
        if s.clock.kind == ClockKind.COMPLAINT_ANSWER
    }
    assert keys == {f"{R1}:answer", "S20000001-R2:answer"}


# ------------------------------------------------------------------ handling and payment

PROOFS = (requested("medical_certificate"), received("medical_certificate", on=date(2026, 3, 10)))


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2026, 3, 10), ClockState.RUNNING),
        (date(2026, 3, 19), ClockState.RUNNING),  # Thursday: 3 working days left
        (date(2026, 3, 20), ClockState.AT_RISK),
        (date(2026, 3, 24), ClockState.AT_RISK),
        (date(2026, 3, 25), ClockState.BREACHED),
    ],
)
def test_handling_runs_10_jours_ouvres_from_proofs_complete(
    as_of: date, expected: ClockState
) -> None:
    found = clock(history(*PROOFS), "handling#1", as_of)
    assert found is not None
    assert (found[0].started_on, found[0].due_on) == (date(2026, 3, 10), date(2026, 3, 24))
    assert found[1] == expected


def test_handling_is_met_by_a_decision_on_the_due_day_and_missed_after() -> None:
    on_time = history(*PROOFS, refused(on=date(2026, 3, 24)))
    late = history(*PROOFS, refused(on=date(2026, 3, 25)))
    assert state(on_time, "handling#1", date(2026, 3, 24)) == ClockState.MET
    assert state(late, "handling#1", date(2026, 3, 25)) == ClockState.MISSED


def test_handling_does_not_start_before_the_card_insurer_position_when_required() -> None:
    from decimal import Decimal

    from domain.values import Insured
    from tests.domain.gwt import card_insurer

    big = (Insured("A", Decimal("10500.00")),)
    waiting = history(*PROOFS, insured=big)
    assert clock(waiting, "handling#1", date(2026, 3, 12)) is None
    ready = history(*PROOFS, card_insurer(on=date(2026, 3, 12)), insured=big)
    found = clock(ready, "handling#1", date(2026, 3, 12))
    assert found is not None
    assert found[0].started_on == date(2026, 3, 12)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2026, 3, 24), ClockState.RUNNING),  # due Friday 27 March, 3 working days left
        (date(2026, 3, 25), ClockState.AT_RISK),
        (date(2026, 3, 27), ClockState.AT_RISK),
        (date(2026, 3, 28), ClockState.BREACHED),
    ],
)
def test_payment_within_15_calendar_days_of_acceptance(as_of: date, expected: ClockState) -> None:
    found = clock(history(*PROOFS, accepted(on=date(2026, 3, 12))), "payment#1", as_of)
    assert found is not None
    assert found[0].due_on == date(2026, 3, 27)
    assert found[1] == expected


def test_payment_on_the_due_day_is_met_and_after_is_missed() -> None:
    on_time = history(*PROOFS, accepted(on=date(2026, 3, 12)), settled(on=date(2026, 3, 27)))
    late = history(*PROOFS, accepted(on=date(2026, 3, 12)), settled(on=date(2026, 3, 28)))
    assert state(on_time, "payment#1", date(2026, 4, 1)) == ClockState.MET
    assert state(late, "payment#1", date(2026, 4, 1)) == ClockState.MISSED


def test_an_acceptance_of_nothing_owed_starts_no_payment_clock() -> None:
    # Known more than 30 days before departure: the band pays 0.00, there is nothing to pay.
    events = history(
        *PROOFS,
        accepted(on=date(2026, 3, 12)),
        event_date=date(2026, 2, 1),
        known_on=date(2026, 2, 1),
        declared_on=date(2026, 2, 3),
    )
    assert events[-1].indemnity.total == 0
    assert clock(events, "payment#1", date(2026, 4, 1)) is None


def test_a_reopening_starts_a_new_handling_clock() -> None:
    events = history(*PROOFS, refused(on=date(2026, 3, 12)), reopened(on=date(2026, 4, 1)))
    found = clock(events, "handling#2", date(2026, 4, 1))
    assert found is not None
    assert (found[0].started_on, found[1]) == (date(2026, 4, 1), ClockState.RUNNING)
    assert state(events, "handling#1", date(2026, 4, 1)) == ClockState.MET


# ------------------------------------------------------------------ mediation and prescription


def test_mediation_referral_within_a_year_of_the_written_complaint() -> None:
    events = history(COMPLAINT, answered(on=date(2026, 4, 20)))
    found = clock(events, f"{R1}:mediation", date(2027, 4, 1))
    assert found is not None
    assert found[0].due_on == date(2027, 4, 5)  # 3 April 2027 is a Saturday
    assert found[1] == ClockState.AT_RISK
    assert state(events, f"{R1}:mediation", date(2027, 4, 6)) == ClockState.BREACHED
    referred = history(COMPLAINT, answered(on=date(2026, 4, 20)), mediation(on=date(2026, 6, 1)))
    assert state(referred, f"{R1}:mediation", date(2026, 6, 1)) == ClockState.MET


def test_a_phone_complaint_starts_no_mediation_clock() -> None:
    events = history(complaint(channel="phone"))
    assert clock(events, f"{R1}:mediation", date(2026, 4, 2)) is None


def test_prescription_runs_two_years_from_the_event_and_restarts_on_an_interrupting_act() -> None:
    plain = history()
    found = clock(plain, "prescription", date(2026, 3, 4))
    assert found is not None
    assert found[0].due_on == date(2028, 3, 2)
    assert state(plain, "prescription", date(2028, 3, 3)) == ClockState.BREACHED

    def interrupt(on: date) -> Step:
        return lambda c: c.interrupt_prescription(
            act="registered_letter", interrupted_on=on, by=HANDLER
        )

    restarted = history(interrupt(date(2026, 6, 1)))
    found = clock(restarted, "prescription", date(2026, 6, 1))
    assert found is not None
    assert (found[0].started_on, found[0].due_on) == (date(2026, 6, 1), date(2028, 6, 1))
    before_the_act = clock(restarted, "prescription", date(2026, 5, 31))
    assert before_the_act is not None
    assert before_the_act[0].due_on == date(2028, 3, 2)


def test_a_closed_claim_meets_its_prescription_clock_and_a_reopening_runs_a_new_one() -> None:
    events = history(withdrawn(on=date(2026, 3, 6)), reopened(on=date(2026, 3, 9)))
    assert state(events, "prescription", date(2026, 3, 9)) == ClockState.MET
    found = clock(events, "prescription#2026-03-09", date(2026, 3, 9))
    assert found is not None
    assert (found[0].due_on, found[1]) == (date(2028, 3, 2), ClockState.RUNNING)


# ------------------------------------------------------------------ monotony


def _lifecycle_steps(day: date) -> list[Step]:
    return [
        requested("medical_certificate", on=day),
        received("medical_certificate", on=day),
        accepted(on=day),
        refused(on=day),
        settled(on=day),
        closed(on=day),
        reopened(on=day),
        complaint(sent_on=day, received_on=day),
        acknowledged(on=day),
        answered(on=day),
        escalated(on=day),
        mediation(on=day),
    ]


@settings(max_examples=150, deadline=None)
@hypothesis_given(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 20)), max_size=14))
def test_as_of_evaluation_is_monotone(plan: list[tuple[int, int]]) -> None:
    claim = declare()
    day = date(2026, 3, 4)
    for choice, gap in plan:
        day += timedelta(days=gap)
        try:
            _lifecycle_steps(day)[choice](claim)
        except ClaimError:
            continue
    events = list(claim.collect_events())
    seen: dict[str, ClockState] = {}
    as_of = date(2026, 3, 1)
    while as_of <= day + timedelta(days=120):
        for status in clocks_as_of(events, as_of, CALENDAR):
            before = seen.get(status.clock.key)
            if before in (ClockState.MET, ClockState.MISSED):
                assert status.state == before, status.clock
            if before == ClockState.BREACHED:
                assert status.state in (ClockState.BREACHED, ClockState.MISSED), status.clock
            seen[status.clock.key] = status.state
        as_of += timedelta(days=3)
    assert {c.key for c in derive_clocks(events, CALENDAR)} >= set(seen)


@settings(max_examples=300, deadline=None)
@hypothesis_given(
    started=st.dates(date(2026, 4, 20), date(2026, 6, 10)),
    length=st.integers(0, 70),
    visible_after=st.integers(0, 20),
    completed_after=st.one_of(st.none(), st.integers(-25, 90)),
)
def test_a_clocks_state_spans_give_its_state_on_every_day(
    started: date, length: int, visible_after: int, completed_after: int | None
) -> None:
    """Around Ascension, Whit Monday and weekends: each day from the visible day on lies in
    exactly one span, whose state is the one `Clock.state` gives that day."""
    clock = Clock(
        ClockKind.HANDLING,
        "handling#1",
        started,
        started + timedelta(days=length),
        None if completed_after is None else started + timedelta(days=completed_after),
    )
    visible = started + timedelta(days=visible_after)
    spans = clock.spans(visible, CALENDAR)
    for offset in range(0, length + 40):
        day = visible + timedelta(days=offset)
        holding = [
            state for state, start, end in spans if start <= day and (end is None or day < end)
        ]
        assert holding == [clock.state(day, CALENDAR)], (day, spans)
    assert all(start >= visible for _, start, _ in spans)


@pytest.mark.parametrize(
    ("declared_on", "late", "state"),
    [
        (date(2026, 3, 13), 0, ClockState.MET),  # the 5th jour ouvré after Friday 6 March
        (date(2026, 3, 14), 0, ClockState.MET),  # Saturday: no working day lost (ADR 4)
        (date(2026, 3, 15), 0, ClockState.MET),  # Sunday
        (date(2026, 3, 16), 1, ClockState.MISSED),  # Monday: one jour ouvré late
    ],
)
def test_the_declaration_clock_and_the_lateness_flag_agree(
    declared_on: date, late: int, state: ClockState
) -> None:
    """rules.md "Declaration": one deadline (domain/deadlines.py) for the flag and the clock."""
    events = history(
        event_date=date(2026, 3, 6), known_on=date(2026, 3, 6), declared_on=declared_on
    )
    assert events[0].declaration_working_days_late == late
    assert events[0].late_declaration is bool(late)
    found = clock(events, "declaration", declared_on)
    assert found is not None
    assert found[0].due_on == date(2026, 3, 15)
    assert found[1] == state
