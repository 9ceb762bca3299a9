"""Each projection's fold on tuples of events (pure, no store)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from domain.sla import derive_clocks
from projections.audit_trail.fold import AuditTrailProjection, describe, fold_trail
from projections.claims_list.fold import ClaimsListProjection, fold_claim, status_of
from projections.sla.fold import SlaProjection, fold_sla
from projections.worklist.fold import next_action
from tests.domain.gwt import (
    ACCEPTED_AND_PAID,
    CALENDAR,
    HANDLER,
    accepted,
    answered,
    closed,
    complaint,
    history,
    mediation,
    received,
    reopened,
    requested,
    settled,
)


def fold_all(fold: Any, events: list[Any]) -> Any:
    state = None
    for event in events:
        state = fold(state, event) or state
    return state


def test_claims_list_state_follows_the_lifecycle() -> None:
    events = history(*ACCEPTED_AND_PAID, complaint(), answered(), mediation())
    state = fold_all(fold_claim, events)
    assert status_of(state) == "settled"
    assert (state["accepted_cents"], state["paid_cents"]) == (55000, 55000)
    assert state["last_paid_on"] == "2026-03-20"
    assert state["complaints"] == {"S20000001-R1": "answered"}
    assert state["mediation"] == "open"
    assert state["version"] == len(events)
    (row,) = ClaimsListProjection().rows(events[0].originator_id, state)["claims"]
    assert row[1:4] == ("S20000001", "settled", "CA2624")
    assert row[-3:] == (0, 1, len(events))  # no open complaint, mediation open, version


def test_claims_list_status_matches_the_aggregates_at_every_step() -> None:
    from tests.domain.gwt import given

    events = history(
        requested("medical_certificate", "booking_form"),
        received("booking_form"),
        received("medical_certificate"),
        accepted(),
        reopened(on=date(2026, 3, 13)),
        accepted(on=date(2026, 3, 14)),
    )
    state = None
    for n, event in enumerate(events, start=1):
        state = fold_claim(state, event)
        assert state is not None
        assert status_of(state) == given(events[:n]).status.value


def test_claims_list_keeps_every_payment_and_what_was_paid_before_a_reopening() -> None:
    events = history(
        requested("medical_certificate"),
        received("medical_certificate"),
        accepted(Jeanne_Martin="500.00"),  # owes 450.00
        settled(),
        reopened(on=date(2026, 4, 1)),
        accepted(on=date(2026, 4, 2)),  # owes 550.00
        settled(on=date(2026, 5, 5), reference="VIR-2"),  # the 100.00 more
    )
    state = fold_all(fold_claim, events)
    assert state["payments"] == [["2026-03-20", 45000], ["2026-05-05", 10000]]
    assert (state["accepted_cents"], state["paid_cents"]) == (55000, 55000)
    assert state["paid_before_reopening_cents"] == 45000  # the first payment, kept
    totals = ClaimsListProjection().totals(state)
    assert totals[("paid_cents_by_payment", "", "2026-03-20")] == 45000
    assert totals[("paid_cents_by_payment", "", "2026-05-05")] == 10000
    assert totals[("paid_before_reopening_cents", "", "2026-03-04")] == 45000
    assert totals[("accepted_cents_by_decision", "", "2026-04-02")] == 55000


def test_the_sla_fold_state_round_trips_and_matches_derive_clocks() -> None:
    events = history(*ACCEPTED_AND_PAID, complaint(), answered(), closed(on=date(2026, 4, 30)))
    projection = SlaProjection(CALENDAR)
    whole = fold_all(lambda s, e: fold_sla(s, e, CALENDAR), events)
    assert sorted(whole.fold.clocks.values(), key=lambda c: c.key) == sorted(
        derive_clocks(events, CALENDAR), key=lambda c: c.key
    )
    # Stored between any two batches (frozen to JSON, thawed back): the same clocks.
    for split in range(1, len(events)):
        state = fold_all(lambda s, e: fold_sla(s, e, CALENDAR), events[:split])
        stored = json.loads(json.dumps(projection.freeze(state)))
        state = projection.thaw(stored)
        for event in events[split:]:
            state = fold_sla(state, event, CALENDAR) or state
        assert projection.freeze(state) == projection.freeze(whole)
        assert projection.rows(events[0].originator_id, state) == projection.rows(
            events[0].originator_id, whole
        )


def test_the_next_action_is_the_earliest_open_insurer_deadline() -> None:
    clocks: list[list[Any]] = [
        ["handling", "handling#1", "2026-03-10", "2026-03-24", None],
        ["complaint_acknowledgement", "R1:ack", "2026-03-01", "2026-03-13", None],
        ["prescription", "prescription", "2026-03-02", "2028-03-02", None],
        ["payment", "payment#1", "2026-03-01", "2026-03-05", "2026-03-04"],
    ]
    assert next_action("proofs_complete", clocks) == ("acknowledge the complaint", "2026-03-13")
    assert next_action("declared", []) == ("request the proofs", None)
    assert next_action("closed", clocks[2:]) is None


def test_the_audit_trail_names_what_happened_without_free_text() -> None:
    events = history(
        requested("medical_certificate"),
        lambda c: c.add_note(
            text="insured hospitalised in Lyon", noted_on=date(2026, 3, 6), by=HANDLER
        ),
    )
    state = fold_all(fold_trail, events)
    assert [e[3] for e in state["entries"]] == ["Declared", "ProofsRequested", "NoteAdded"]
    assert state["entries"][1][4] == "2026-03-05"
    assert "documents=['medical_certificate']" in state["entries"][1][5]
    assert "hospitalised" not in repr(state)
    assert "Jeanne" not in describe(events[0])


def test_the_audit_trail_adds_only_the_rows_of_the_events_folded_since_it_was_stored() -> None:
    events = history(*ACCEPTED_AND_PAID, complaint(), answered())
    projection = AuditTrailProjection()
    claim_id = events[0].originator_id
    whole = projection.rows(claim_id, fold_all(fold_trail, events))["audit_trail"]
    for split in range(1, len(events)):
        first = fold_all(fold_trail, events[:split])
        first_rows = projection.rows(claim_id, first)["audit_trail"]
        stored = json.loads(json.dumps(projection.freeze(first)))
        later = projection.thaw(stored)
        for event in events[split:]:
            later = fold_trail(later, event) or later
        assert first_rows + projection.rows(claim_id, later)["audit_trail"] == whole
