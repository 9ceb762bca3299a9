"""The register's rows, from a claim's events (domain/complaints_register.py)."""

from __future__ import annotations

from datetime import date

from domain.complaints_register import COLUMNS, register_rows
from tests.domain.gwt import CALENDAR, HANDLER, acknowledged, answered, complaint, history

CID = "S20000001-R1"


def _rows(events: list[object], as_of: date, **period: date) -> list[dict[str, object]]:
    return register_rows(
        events,
        received_from=period.get("received_from", date(2026, 4, 1)),
        received_to=period.get("received_to", date(2026, 4, 30)),
        as_of=as_of,
        calendar=CALENDAR,
    )


def test_a_row_has_the_contract_columns_delays_and_actions() -> None:
    events = history(
        complaint(sent_on=date(2026, 4, 1), received_on=date(2026, 4, 2)),
        acknowledged(on=date(2026, 4, 4)),
        answered(on=date(2026, 4, 20)),
        lambda c: c.qualify_complaint(
            complaint_id=CID,
            qualified_on=date(2026, 4, 20),
            motive="amount",
            root_cause="contract_wording",
            by=HANDLER,
        ),
        lambda c: c.record_corrective_action(
            complaint_id=CID,
            recorded_on=date(2026, 4, 21),
            action="reword clause 4",
            owner="product",
            due_on=date(2026, 6, 30),
            by=HANDLER,
        ),
    )
    (row,) = _rows(events, date(2026, 5, 31))
    assert tuple(row) == COLUMNS
    assert row["claim_number"] == "S20000001"
    assert (row["motive"], row["root_cause"]) == ("amount", "contract_wording")
    # 1 April (Wed) to 4 April (Sat): Thursday, Friday, Saturday are jours ouvrables.
    assert row["days_to_acknowledge"] == 3
    assert row["days_to_answer"] == 19
    assert row["breaches"] == []
    assert row["corrective_actions"] == [
        {
            "action_id": f"{CID}-A1",
            "action": "reword clause 4",
            "owner": "product",
            "due_on": date(2026, 6, 30),
            "done_on": None,
        }
    ]


def test_an_unacknowledged_complaint_breaches_its_clocks_as_of_the_day_asked() -> None:
    events = history(complaint(sent_on=date(2026, 4, 1), received_on=date(2026, 4, 2)))
    (early,) = _rows(events, date(2026, 4, 3))
    assert early["breaches"] == []
    (late,) = _rows(events, date(2026, 7, 1))
    assert late["breaches"] == ["complaint_acknowledgement", "complaint_answer"]


def test_a_late_answer_is_a_missed_clock() -> None:
    events = history(
        complaint(sent_on=date(2026, 4, 1), received_on=date(2026, 4, 2)),
        answered(on=date(2026, 6, 15)),
    )
    (row,) = _rows(events, date(2026, 6, 30))
    assert row["breaches"] == ["complaint_acknowledgement", "complaint_answer"]
    assert row["days_to_acknowledge"] is None
    assert row["days_to_answer"] == 75


def test_facts_dated_after_the_day_asked_are_not_seen() -> None:
    events = history(
        complaint(sent_on=date(2026, 4, 1), received_on=date(2026, 4, 2)),
        acknowledged(on=date(2026, 4, 4)),
    )
    (row,) = _rows(events, date(2026, 4, 3), received_to=date(2026, 4, 3))
    assert row["acknowledged_on"] is None


def test_complaints_received_outside_the_period_are_left_out() -> None:
    events = history(complaint(sent_on=date(2026, 4, 1), received_on=date(2026, 4, 2)))
    assert _rows(events, date(2026, 5, 31), received_from=date(2026, 4, 3)) == []
