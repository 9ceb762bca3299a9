"""Complaint qualification and corrective actions (ACPR recommendation 2024-R-02), as
Given / When / Then on the aggregate."""

from __future__ import annotations

from datetime import date

import pytest

from domain.claim import Claim
from domain.errors import (
    CorrectiveActionAlreadyCompleted,
    DatesOutOfOrder,
    InvalidClaimData,
    UnknownComplaint,
    UnknownCorrectiveAction,
)
from tests.domain.gwt import HANDLER, Step, complaint, given, history, then, when

CID = "S20000001-R1"


def qualified(
    on: date = date(2026, 4, 5), motive: str = "amount", root: str = "none_found"
) -> Step:
    return lambda c: c.qualify_complaint(
        complaint_id=CID, qualified_on=on, motive=motive, root_cause=root, by=HANDLER
    )


def action(on: date = date(2026, 4, 6), due: date = date(2026, 5, 6)) -> Step:
    return lambda c: c.record_corrective_action(
        complaint_id=CID,
        recorded_on=on,
        action="explain the fee scale in the answer template",
        owner="quality team",
        due_on=due,
        by=HANDLER,
    )


def done(action_id: str = f"{CID}-A1", on: date = date(2026, 4, 30)) -> Step:
    return lambda c: c.complete_corrective_action(
        complaint_id=CID, action_id=action_id, done_on=on, by=HANDLER
    )


def test_given_a_complaint_when_qualified_then_its_motive_and_root_cause_are_recorded() -> None:
    claim = given(history(complaint()))
    events = when(claim, qualified())
    then(
        events,
        Claim.ComplaintQualified,
        complaint_id=CID,
        qualified_on=date(2026, 4, 5),
        motive="amount",
        root_cause="none_found",
    )
    assert (claim.complaints[0].motive, claim.complaints[0].root_cause) == ("amount", "none_found")


def test_a_complaint_opened_with_a_motive_is_qualified_on_its_receipt() -> None:
    claim = given(history())
    events = when(
        claim,
        lambda c: c.open_complaint(
            sent_on=date(2026, 4, 1),
            received_on=date(2026, 4, 2),
            channel="email",
            summary="too slow",
            motive="delay",
            by=HANDLER,
        ),
    )
    then(events, Claim.ComplaintOpened, motive="delay", root_cause=None)
    assert claim.complaints[0].qualified_on == date(2026, 4, 2)


def test_a_qualification_before_the_complaints_receipt_is_refused() -> None:
    claim = given(history(complaint()))
    with pytest.raises(DatesOutOfOrder, match="received_on"):
        qualified(on=date(2026, 4, 1))(claim)
    assert list(claim.collect_events()) == []


def test_a_requalification_before_the_previous_one_is_refused() -> None:
    claim = given(history(complaint(), qualified(on=date(2026, 4, 10))))
    with pytest.raises(DatesOutOfOrder, match="previous qualification"):
        qualified(on=date(2026, 4, 9), root="handling_error")(claim)


@pytest.mark.parametrize(
    ("motive", "root", "field"), [("cheap", "other", "motive"), ("delay", "x", "root_cause")]
)
def test_an_unknown_code_is_refused_naming_the_field(motive: str, root: str, field: str) -> None:
    claim = given(history(complaint()))
    with pytest.raises(InvalidClaimData) as refused:
        qualified(motive=motive, root=root)(claim)
    assert refused.value.field == field


def test_qualifying_an_unknown_complaint_is_refused() -> None:
    claim = given(history(complaint()))
    with pytest.raises(UnknownComplaint):
        claim.qualify_complaint(
            complaint_id="S20000001-R9",
            qualified_on=date(2026, 4, 5),
            motive="delay",
            root_cause="other",
            by=HANDLER,
        )


def test_given_a_complaint_when_an_action_is_recorded_then_it_gets_the_next_id() -> None:
    claim = given(history(complaint(), action()))
    events = when(claim, action(on=date(2026, 4, 7)))
    then(events, Claim.CorrectiveActionRecorded, action_id=f"{CID}-A2", owner="quality team")
    assert [a.action_id for a in claim.complaints[0].corrective_actions] == [
        f"{CID}-A1",
        f"{CID}-A2",
    ]


def test_an_action_due_before_it_is_recorded_is_refused() -> None:
    claim = given(history(complaint()))
    with pytest.raises(DatesOutOfOrder) as refused:
        action(on=date(2026, 4, 6), due=date(2026, 4, 5))(claim)
    assert refused.value.field == "due_on"


def test_an_action_before_the_complaints_receipt_is_refused() -> None:
    claim = given(history(complaint()))
    with pytest.raises(DatesOutOfOrder) as refused:
        action(on=date(2026, 4, 1))(claim)
    assert refused.value.field == "recorded_on"


def test_given_an_action_when_completed_then_its_done_on_is_set() -> None:
    claim = given(history(complaint(), action()))
    events = when(claim, done())
    then(events, Claim.CorrectiveActionCompleted, action_id=f"{CID}-A1", done_on=date(2026, 4, 30))
    assert claim.complaints[0].corrective_actions[0].done_on == date(2026, 4, 30)


def test_a_completion_before_the_actions_record_is_refused() -> None:
    claim = given(history(complaint(), action()))
    with pytest.raises(DatesOutOfOrder, match="recorded_on"):
        done(on=date(2026, 4, 5))(claim)


def test_an_action_is_completed_once() -> None:
    claim = given(history(complaint(), action(), done()))
    with pytest.raises(CorrectiveActionAlreadyCompleted):
        done(on=date(2026, 5, 2))(claim)


def test_completing_an_unknown_action_is_refused() -> None:
    claim = given(history(complaint(), action()))
    with pytest.raises(UnknownCorrectiveAction):
        done(action_id=f"{CID}-A7")(claim)


def test_a_closure_is_not_dated_before_a_corrective_action() -> None:
    claim = given(history(complaint(), action(on=date(2026, 4, 20))))
    with pytest.raises(DatesOutOfOrder, match="corrective action"):
        claim.close(closed_on=date(2026, 4, 10), by=HANDLER)


def test_a_round1_complaint_event_is_upcast_without_a_qualification() -> None:
    state = {"complaint_id": CID}
    Claim.ComplaintOpened.upcast_v1_v2(state)
    assert state == {"complaint_id": CID, "motive": None, "root_cause": None}
