"""The application service over a real store: SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.claim import Claim
from domain.errors import (
    ClaimNotFound,
    InvalidClaimData,
    ProofsIncomplete,
    VersionMismatch,
)
from domain.sla import ClockState
from domain.values import (
    AssessmentInputs,
    ClaimStatus,
    Complaint,
    FeeInput,
    Insured,
    InsuredIndemnity,
)
from infra.settings import eventsourcing_env
from services.application import ClaimsApplication
from tests.domain.gwt import declaration, given

BY = "handler-1"


def declare(app: ClaimsApplication, **overrides: object) -> Claim:
    return app.declare(declaration(**overrides), by=BY)


def take_to_settlement(app: ClaimsApplication, claim: Claim) -> Claim:
    app.request_proofs(
        claim.id, documents=["medical_certificate"], requested_on=date(2026, 3, 5), by=BY
    )
    app.receive_proof(
        claim.id, document="medical_certificate", received_on=date(2026, 3, 10), by=BY
    )
    app.accept(
        claim.id,
        decided_on=date(2026, 3, 12),
        inputs=AssessmentInputs(fees=(FeeInput("Jeanne Martin", Decimal("900.00")),)),
        by="assessor-2",
    )
    return app.settle(claim.id, paid_on=date(2026, 3, 20), mode="cash", reference="VIR-1", by=BY)


def test_declared_claims_get_consecutive_numbers_and_can_be_found_by_number(
    app: ClaimsApplication,
) -> None:
    first = declare(app)
    second = declare(app)
    assert (first.claim_number, second.claim_number) == ("S20000001", "S20000002")
    found = app.find_by_number("S20000002", trip_start=date(2026, 3, 20))
    assert found.id == second.id
    with pytest.raises(ClaimNotFound):
        app.find_by_number("S20000002", trip_start=date(2026, 3, 21))
    with pytest.raises(ClaimNotFound):
        app.find_by_number("S20000099")
    with pytest.raises(InvalidClaimData):
        app.find_by_number("X1")


def test_unknown_contract_is_refused_naming_the_field(app: ClaimsApplication) -> None:
    with pytest.raises(InvalidClaimData) as raised:
        declare(app, contract="NOPE")
    assert raised.value.field == "contract"


def test_a_claim_round_trips_through_the_store_with_every_type(app: ClaimsApplication) -> None:
    claim = declare(app, insured=(Insured("Jeanne Martin", Decimal("1200.00")),))
    take_to_settlement(app, claim)
    _, complaint_id = app.open_complaint(
        claim.id,
        sent_on=date(2026, 4, 1),
        received_on=date(2026, 4, 2),
        channel="letter",
        summary="late payment",
        by=BY,
    )
    app.acknowledge_complaint(claim.id, complaint_id=complaint_id, sent_on=date(2026, 4, 3), by=BY)
    app.answer_complaint(
        claim.id, complaint_id=complaint_id, sent_on=date(2026, 4, 20), outcome="rejected", by=BY
    )
    app.refer_to_mediation(claim.id, referred_on=date(2026, 5, 2), by=BY)
    app.conclude_mediation(claim.id, decided_on=date(2026, 7, 1), outcome="partial", by=BY)
    app.assign_handler(claim.id, handler="marie", assigned_on=date(2026, 7, 2), by="manager")
    app.add_note(claim.id, text="file reviewed", noted_on=date(2026, 7, 2), by=BY)
    app.close_claim(claim.id, closed_on=date(2026, 7, 3), by=BY)

    stored = app.get_claim(claim.id)
    assert stored.version == 14  # the settlement is a payment requested, then issued
    assert stored.status == ClaimStatus.CLOSED
    assert stored.indemnity is not None
    assert stored.indemnity.total == Decimal("550.00")
    assert stored.indemnity.per_insured == (
        InsuredIndemnity("Jeanne Martin", Decimal("600.00"), Decimal("50.00"), Decimal("550.00")),
    )
    assert isinstance(stored.indemnity.trace, tuple)
    assert stored.indemnity.trace[0].startswith("CA2624 cancellation")
    accepted = next(e for e in app.history(claim.id) if e.type == "Accepted")
    assert accepted.data["inputs"] == AssessmentInputs(
        fees=(FeeInput("Jeanne Martin", Decimal("900.00")),)
    )
    assert accepted.data["indemnity"] == stored.indemnity
    assert stored.complaints == [
        Complaint(
            complaint_id,
            date(2026, 4, 1),
            date(2026, 4, 2),
            "letter",
            "late payment",
            date(2026, 4, 3),
            date(2026, 4, 20),
            "rejected",
        )
    ]
    assert stored.handler == "marie"
    assert stored.mediation is not None
    assert stored.mediation.outcome == "partial"


def test_commands_on_an_unknown_claim_raise_claim_not_found(app: ClaimsApplication) -> None:
    declare(app)
    with pytest.raises(ClaimNotFound):
        app.add_note(UUID(int=1), text="x", noted_on=date(2026, 3, 5), by=BY)


def test_a_reservation_id_is_not_a_claim(app: ClaimsApplication) -> None:
    from domain.claim_number import ClaimNumberReservation

    declare(app)
    with pytest.raises(ClaimNotFound):
        app.get_claim(ClaimNumberReservation.create_id("S20000001"))
    with pytest.raises(ClaimNotFound):
        app.history(ClaimNumberReservation.create_id("S20000001"))


def test_a_stale_expected_version_is_refused_and_nothing_is_written(
    app: ClaimsApplication,
) -> None:
    claim = declare(app)
    app.add_note(claim.id, text="first", noted_on=date(2026, 3, 5), by=BY, expected_version=1)
    with pytest.raises(VersionMismatch) as raised:
        app.add_note(claim.id, text="stale", noted_on=date(2026, 3, 5), by=BY, expected_version=1)
    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert app.get_claim(claim.id).version == 2


def test_a_refused_command_writes_nothing(app: ClaimsApplication) -> None:
    claim = declare(app)
    with pytest.raises(ProofsIncomplete):
        app.refuse(claim.id, decided_on=date(2026, 3, 6), reason="x", by=BY)
    assert len(app.history(claim.id)) == 1


def test_history_shows_actor_business_dates_and_recording_times(app: ClaimsApplication) -> None:
    claim = declare(app)
    take_to_settlement(app, claim)
    entries = app.history(claim.id)
    assert [(e.version, e.type, e.actor) for e in entries] == [
        (1, "Declared", BY),
        (2, "ProofsRequested", BY),
        (3, "ProofReceived", BY),
        (4, "Accepted", "assessor-2"),
        (5, "PaymentRequested", BY),
        (6, "PaymentIssued", BY),
    ]
    assert entries[2].data == {"document": "medical_certificate", "received_on": date(2026, 3, 10)}
    assert entries[4].data["amount"] == Decimal("550.00")
    assert entries[5].data["amount"] == Decimal("550.00")
    assert all(e.recorded_at.utcoffset() == timedelta(0) for e in entries)
    assert [e.recorded_at for e in entries] == sorted(e.recorded_at for e in entries)


def test_the_state_at_version_n_is_the_fold_of_the_first_n_events(
    app: ClaimsApplication,
) -> None:
    claim = declare(app)
    for day in range(5, 125):  # 121 events: snapshots at 50 and 100
        app.add_note(
            claim.id, text=f"note {day}", noted_on=date(2026, 3, 4) + timedelta(day), by=BY
        )
    take_to_settlement(app, declare(app))  # other claims' events interleave harmlessly
    app.request_proofs(claim.id, documents=["booking_form"], requested_on=date(2026, 8, 1), by=BY)
    assert app.snapshots is not None
    assert [s.originator_version for s in app.snapshots.get(claim.id)] == [50, 100]

    all_events = list(app.events.get(claim.id))
    for version in (1, 49, 50, 51, 100, 101, 122):
        folded = given(all_events[:version])
        replayed = app.get_claim(claim.id, version=version)
        assert replayed.version == version
        assert replayed.__dict__ == folded.__dict__
    with pytest.raises(ClaimNotFound):
        app.get_claim(claim.id, version=123)


def test_the_claim_as_of_a_timestamp_works_across_snapshots(app: ClaimsApplication) -> None:
    claim = declare(app)
    for day in range(1, 111):
        app.add_note(claim.id, text="n", noted_on=date(2026, 3, 4) + timedelta(day), by=BY)
    entries = app.history(claim.id)
    for entry in (entries[0], entries[49], entries[50], entries[99], entries[104], entries[-1]):
        as_of = app.claim_as_of(claim.id, entry.recorded_at)
        assert as_of.version == entry.version
        assert vars(as_of) == vars(app.get_claim(claim.id, version=entry.version))
    later = entries[-1].recorded_at + timedelta(days=1)
    assert app.claim_as_of(claim.id, later).version == 111
    with pytest.raises(ClaimNotFound):
        app.claim_as_of(claim.id, entries[0].recorded_at - timedelta(microseconds=1))
    with pytest.raises(InvalidClaimData):
        app.claim_as_of(claim.id, datetime(2026, 3, 4, 12, 0))


def test_a_new_application_on_the_same_store_sees_everything(database_url: str) -> None:
    first = ClaimsApplication(env=eventsourcing_env(database_url))
    try:
        claim = declare(first)
    finally:
        first.close()
    second = ClaimsApplication(env=eventsourcing_env(database_url))
    try:
        assert second.get_claim(claim.id).claim_number == claim.claim_number
        assert declare(second).claim_number == "S20000002"
        assert second.claim_as_of(claim.id, datetime.now(UTC)).version == 1
    finally:
        second.close()


def test_a_claims_sla_clocks_as_of_any_day(app: ClaimsApplication) -> None:
    claim = declare(app)
    _, complaint_id = app.open_complaint(
        claim.id,
        sent_on=date(2026, 4, 3),
        received_on=date(2026, 4, 3),
        channel="email",
        summary="slow",
        by=BY,
    )
    app.acknowledge_complaint(claim.id, complaint_id=complaint_id, sent_on=date(2026, 4, 17), by=BY)
    app.interrupt_prescription(
        claim.id, act="registered_letter", interrupted_on=date(2026, 5, 4), by=BY
    )

    on_16 = {s.clock.key: s.state for s in app.sla_clocks(claim.id, as_of=date(2026, 4, 16))}
    assert on_16[f"{complaint_id}:acknowledgement"] == ClockState.AT_RISK
    assert on_16["declaration"] == ClockState.MET
    on_17 = {s.clock.key: s for s in app.sla_clocks(claim.id, as_of=date(2026, 5, 4))}
    assert on_17[f"{complaint_id}:acknowledgement"].state == ClockState.MISSED
    assert on_17["prescription"].clock.due_on == date(2028, 5, 4)
    with pytest.raises(ClaimNotFound):
        app.sla_clocks(UUID(int=7), as_of=date(2026, 5, 4))


def test_a_bulk_import_numbers_and_saves_every_claim_in_one_transaction(
    app: ClaimsApplication,
) -> None:
    declare(app)
    imported = app.import_claims(
        [declaration() for _ in range(50)],
        by="importer",
        then=lambda c: c.request_proofs(
            documents=["booking_form"], requested_on=date(2026, 3, 5), by="importer"
        ),
    )
    assert [c.claim_number for c in imported] == [f"S2{n:07d}" for n in range(2, 52)]
    assert all(app.get_claim(c.id).version == 2 for c in imported)
    assert app.find_by_number("S20000051").id == imported[-1].id
    assert declare(app).claim_number == "S20000052"
    with pytest.raises(InvalidClaimData):  # one bad declaration: nothing of the batch is saved
        app.import_claims([declaration(), declaration(contract="NOPE")], by="importer")
    assert declare(app).claim_number == "S20000053"
