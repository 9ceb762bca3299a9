"""The read models on SQLite and PostgreSQL, through their queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.sla import ClockKind, ClockState
from domain.values import AssessmentInputs, FeeInput
from projections.claims_list.queries import list_claims
from projections.dashboard.queries import dashboard
from projections.runner import ProjectionRunner
from projections.sla.queries import list_clocks
from projections.worklist.queries import worklist
from services.application import ClaimsApplication
from tests.domain.gwt import declaration

BY = "h1"


def accept(app: ClaimsApplication, claim_id: UUID, on: date) -> None:
    app.request_proofs(
        claim_id,
        documents=["cancellation_invoice"],
        requested_on=date(2026, 3, 5),
        by=BY,
    )
    app.receive_proof(
        claim_id,
        document="cancellation_invoice",
        received_on=date(2026, 3, 10),
        by=BY,
    )
    app.accept(
        claim_id,
        decided_on=on,
        by=BY,
        inputs=AssessmentInputs(fees=(FeeInput("Jeanne Martin", Decimal("900.00")),)),
    )


def test_the_claims_list_filters_and_pages(
    app: ClaimsApplication, runner: ProjectionRunner
) -> None:
    ids = [app.declare(declaration(), by=BY).id for _ in range(5)]
    late = app.declare(declaration(declared_on=date(2026, 3, 20)), by=BY)
    app.assign_handler(ids[0], handler="marie", assigned_on=date(2026, 3, 5), by="m")
    accept(app, ids[1], date(2026, 3, 12))
    runner.catch_up()

    everything, cursor = list_claims(runner.store, limit=4)
    assert [c["claim_number"] for c in everything] == [f"S2000000{i}" for i in range(1, 5)]
    rest, end = list_claims(runner.store, limit=4, cursor=cursor)
    assert [c["claim_number"] for c in rest] == ["S20000005", "S20000006"]
    assert end is None
    assert [c["claim_id"] for c in list_claims(runner.store, handler="marie")[0]] == [str(ids[0])]
    (accepted,) = list_claims(runner.store, status="accepted")[0]
    assert (accepted["claim_id"], accepted["accepted_cents"]) == (str(ids[1]), 55000)
    assert [c["claim_id"] for c in list_claims(runner.store, late=True)[0]] == [str(late.id)]
    assert list_claims(runner.store, contract="CORSAIR_7906011")[0] == []


def test_sla_states_as_of_several_dates(app: ClaimsApplication, runner: ProjectionRunner) -> None:
    claim = app.declare(declaration(), by=BY)
    app.open_complaint(
        claim.id,
        sent_on=date(2026, 4, 3),
        received_on=date(2026, 4, 3),
        channel="email",
        summary="slow",
        by=BY,
    )
    runner.catch_up()
    calendar = app.calendar

    def ack_state(day: date) -> str:
        items, _ = list_clocks(
            runner.store, calendar, as_of=day, clock=ClockKind.COMPLAINT_ACKNOWLEDGEMENT
        )
        (item,) = items
        return str(item["state"])

    assert ack_state(date(2026, 4, 8)) == "running"
    assert ack_state(date(2026, 4, 15)) == "at_risk"
    assert ack_state(date(2026, 4, 17)) == "breached"
    for state in ClockState:  # the SQL filter agrees with the computed state
        for day in (
            date(2026, 4, 8),
            date(2026, 4, 15),
            date(2026, 4, 16),
            date(2026, 4, 17),
            date(2026, 6, 4),
        ):
            items, _ = list_clocks(runner.store, calendar, as_of=day, state=state)
            assert all(item["state"] == state.value for item in items)
            everything, _ = list_clocks(runner.store, calendar, as_of=day, limit=1000)
            assert len(items) == sum(1 for i in everything if i["state"] == state.value)


def test_sla_paging_is_complete_and_ordered(
    app: ClaimsApplication, runner: ProjectionRunner
) -> None:
    for _ in range(3):
        claim = app.declare(declaration(), by=BY)
        app.open_complaint(
            claim.id,
            sent_on=date(2026, 4, 3),
            received_on=date(2026, 4, 3),
            channel="email",
            summary="slow",
            by=BY,
        )
    runner.catch_up()
    seen: list[tuple[str, str, str]] = []
    cursor = None
    while True:
        items, cursor = list_clocks(
            runner.store, app.calendar, as_of=date(2026, 5, 1), limit=4, cursor=cursor
        )
        seen += [(i["due_on"], i["claim_number"], i["clock_key"]) for i in items]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 3 * 5  # declaration, prescription, 3 complaint clocks


def test_the_worklist_orders_by_due_date_per_handler(
    app: ClaimsApplication, runner: ProjectionRunner
) -> None:
    first = app.declare(declaration(), by=BY)
    second = app.declare(declaration(), by=BY)
    for claim in (first, second):
        app.assign_handler(claim.id, handler="marie", assigned_on=date(2026, 3, 5), by="m")
    accept(app, second.id, date(2026, 3, 12))  # payment due 27 March
    app.open_complaint(
        first.id,
        sent_on=date(2026, 4, 3),
        received_on=date(2026, 4, 3),
        channel="email",
        summary="slow",
        by=BY,
    )
    runner.catch_up()
    items, _ = worklist(runner.store, handler="marie")
    assert [(i["claim_number"], i["next_action"], i["due_on"]) for i in items] == [
        ("S20000002", "pay the indemnity", "2026-03-27"),
        ("S20000001", "acknowledge the complaint", "2026-04-16"),
    ]
    assert worklist(runner.store, handler="paul")[0] == []


def test_the_dashboard_counts(app: ClaimsApplication, runner: ProjectionRunner) -> None:
    first = app.declare(declaration(), by=BY)
    app.declare(
        declaration(
            contract="CORSAIR_7906011", cause=declaration().cause.__class__("medical", "flu")
        ),
        by=BY,
    )
    accept(app, first.id, date(2026, 3, 12))
    app.settle(first.id, paid_on=date(2026, 3, 20), mode="cash", reference="V", by=BY)
    app.open_complaint(
        first.id,
        sent_on=date(2026, 3, 21),
        received_on=date(2026, 3, 21),
        channel="letter",
        summary="late",
        by=BY,
    )
    runner.catch_up()
    figures = dashboard(runner.store, date(2026, 3, 31))
    assert figures["by_status"] == {"settled": 1, "declared": 1}
    assert figures["by_contract"] == {"CA2624": 1, "CORSAIR_7906011": 1}
    assert figures["open_claims"] == 2
    assert figures["ageing"] == {"0-30": 2, "31-60": 0, "61-90": 0, "over-90": 0}
    assert figures["open_complaints"] == 1
    assert figures["indemnities"] == {
        "accepted": "550.00",
        "paid": "550.00",
        "paid_on_current_acceptances": "550.00",
        "paid_before_reopening": "0.00",
        "accepted_this_month": "550.00",
        "paid_this_month": "550.00",
    }
    assert figures["status_groups"] == {"in_progress": 1, "awaiting_closure": 1, "closed": 0}
    payment = figures["sla"]["payment"]
    assert (payment["met"], payment["met_rate"]) == (1, 1.0)
    # Sent Saturday 21 March: acknowledgement due Thursday 2 April, 2 working days after 31 March.
    assert figures["sla"]["complaint_acknowledgement"]["at_risk"] == 1


def test_lag_and_read_your_writes(app: ClaimsApplication, runner: ProjectionRunner) -> None:
    app.declare(declaration(), by=BY)
    position = app.last_position()
    assert position is not None
    assert runner.lag()["claims_list"] == position
    assert not runner.wait_for(position, timeout=0.05)
    runner.catch_up()
    assert runner.wait_for(position, timeout=0.05)
    assert set(runner.lag().values()) == {0}


def test_a_changed_table_definition_rebuilds_the_projection(
    app: ClaimsApplication, runner: ProjectionRunner
) -> None:
    app.declare(declaration(), by=BY)
    runner.catch_up()
    with runner.store.transaction() as tx:
        tx.execute(
            "UPDATE projection_schema SET fingerprint = 'an older definition' "
            "WHERE projection = 'claims_list'"
        )
    runner.setup()  # as at the next start-up
    assert runner.positions()["claims_list"] == 0
    assert list_claims(runner.store)[0] == []
    assert runner.positions()["sla"] > 0  # the others are untouched
    runner.catch_up()
    assert len(list_claims(runner.store)[0]) == 1
