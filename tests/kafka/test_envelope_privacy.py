"""claims.event/2 carries no personal data, and the read models fold from it as from the store
(docs/adr/0035-event-versions-and-envelope-v2.md). No broker needed: envelopes are built and
read back in memory, from claims stored on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.claim import Claim
from domain.values import AssessmentInputs, FeeInput, Insured
from infra.event_privacy import PUBLIC_TEXT, REDACTED, WITHHELD, text_fields
from infra.events import EnvelopeError, decode, encode, envelope, event_classes
from projections.base import ProjectionEngine
from projections.runner import all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log
from tests.domain.gwt import ACCEPTED_AND_PAID, declaration, history
from tests.projections.test_data_at_rest import MARK, _a_claim_with_every_free_text

BY = "h1"
IBAN = "FR7630006000011234567890189"
# Nothing of these may be published: the marked free text and names, the cause's description,
# the medical flag, the IBAN (but its masked form).
FORBIDDEN = (MARK, "Zoé", "hospitalised", "medical_cause", "30006000011234567890", "Lisbon")


def test_every_text_field_of_every_event_is_judged_public_or_withheld() -> None:
    """A new text field is withheld until listed; this makes someone judge it."""
    for name, cls in event_classes().items():
        for owner, field in text_fields(cls):
            public = field == "by" or field in PUBLIC_TEXT.get(owner, frozenset())
            withheld = field in WITHHELD.get(owner, frozenset())
            assert public != withheld, (
                f"{name}: {owner}.{field} must be listed in exactly one of "
                "PUBLIC_TEXT and WITHHELD (infra/event_privacy.py)"
            )


def _a_claim_with_money_and_marked_text(app: ClaimsApplication) -> UUID:
    on = date(2026, 3, 5)
    insured = (Insured(f"Zoé {MARK}", Decimal("1200.00")),)
    claim = app.declare(declaration(insured=insured), by=BY)
    cid = claim.id
    app.assign_handler(cid, handler=BY, assigned_on=on, by="m")
    app.request_proofs(cid, documents=["cancellation_invoice"], requested_on=on, by=BY)
    app.receive_proof(cid, document="cancellation_invoice", received_on=date(2026, 3, 6), by=BY)
    fees = (FeeInput(f"Zoé {MARK}", Decimal("900.00")),)
    app.accept(cid, decided_on=date(2026, 3, 7), inputs=AssessmentInputs(fees=fees), by=BY)
    app.set_reserve(
        cid, amount=Decimal("600.00"), set_on=date(2026, 3, 8), reason=f"r {MARK}", by=BY
    )
    _, payment = app.request_payment(
        cid,
        payee=f"Zoé {MARK}",
        amount=Decimal("100.00"),
        kind="partial",
        mode="transfer",
        requested_on=date(2026, 3, 9),
        iban=IBAN,
        reason=None,
        by=BY,
    )
    app.issue_payment(
        cid, payment_id=payment, issued_on=date(2026, 3, 10), bank_reference=f"V-{MARK}", by=BY
    )
    _, recovery = app.expect_recovery(
        cid, source="carrier", amount=Decimal("50.00"), expected_on=date(2026, 3, 11), by=BY
    )
    app.write_off_recovery(
        cid, recovery_id=recovery, written_off_on=date(2026, 3, 12), reason=f"w {MARK}", by=BY
    )
    app.fail_payment(
        cid,
        payment_id=payment,
        failed_on=date(2026, 3, 13),
        reason=f"f {MARK}",
        returned=True,
        by=BY,
    )
    _, complaint_id = app.open_complaint(
        cid,
        sent_on=date(2026, 3, 14),
        received_on=date(2026, 3, 14),
        channel="email",
        summary=f"s {MARK}",
        by=BY,
    )
    app.record_corrective_action(
        cid,
        complaint_id=complaint_id,
        recorded_on=date(2026, 3, 15),
        action=f"a {MARK}",
        owner=f"o {MARK}",
        due_on=date(2026, 4, 15),
        by=BY,
    )
    return cid


def _stored_events(app: ClaimsApplication) -> list[tuple[int, Any]]:
    return build_event_log(app).read(start=1, limit=10_000).events


def _fold(events: list[tuple[int, Any]], path: Path, calendar: Any) -> dict[str, Any]:
    store = ReadStore(f"sqlite:///{path}")
    try:
        dumps: dict[str, Any] = {}
        for projection in all_projections(calendar):
            engine = ProjectionEngine(store, projection)
            engine.create_tables()
            engine.apply(events, position=events[-1][0])
            for table in engine.all_tables:
                dumps[f"{projection.name}.{table.name}"] = engine.dump(table)
        return dumps
    finally:
        store.close()


def test_no_envelope_carries_personal_data_and_the_views_fold_the_same(
    app: ClaimsApplication, tmp_path: Path
) -> None:
    _a_claim_with_every_free_text(app)
    _a_claim_with_money_and_marked_text(app)
    stored = _stored_events(app)
    kinds = {type(event).__name__ for _, event in stored}
    assert {
        "Declared",
        "NoteAdded",
        "Accepted",
        "Refused",
        "Reopened",
        "PaymentRequested",
        "PaymentIssued",
        "PaymentReturned",
        "RecoveryWrittenOff",
        "ComplaintOpened",
        "CorrectiveActionRecorded",
    } <= kinds
    assert {"ReserveSet", "ReserveAdjusted"} & kinds
    decoded = []
    for position, event in stored:
        message = encode(envelope(event, position))
        text = message.decode()
        for forbidden in FORBIDDEN:
            assert forbidden not in text, (type(event).__name__, forbidden)
        back_position, back = decode(message)
        assert (back_position, type(back), back.originator_id) == (
            position,
            type(event),
            event.originator_id,
        )
        decoded.append((back_position, back))
    *_, requested = (e for _, e in decoded if isinstance(e, Claim.PaymentRequested))
    assert (requested.payee, requested.iban_masked, requested.iban_ciphertext) == (
        REDACTED,
        "FR76*0189",
        None,
    )
    # Every read model folds from the published events exactly as from the store.
    reference = _fold(stored, tmp_path / "store.db", app.calendar)
    assert all(reference.values())
    assert _fold(decoded, tmp_path / "kafka.db", app.calendar) == reference


def _message(**overrides: Any) -> dict[str, Any]:
    events = history(*ACCEPTED_AND_PAID)
    message = envelope(events[0], 1)
    message.update(overrides)
    return message


def test_an_older_type_version_is_upcast_by_the_class_upcasters() -> None:
    """A v1 Declared (no channel) published in a v2 envelope reads as online."""
    message = _message(type_version=1)
    del message["data"]["channel"]
    _, event = decode(encode(message))
    assert event.channel == "online"


def test_a_newer_type_version_or_another_aggregate_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="newer"):
        decode(encode(_message(type_version=Claim.Declared.class_version + 1)))
    with pytest.raises(EnvelopeError, match="not a claim event"):
        decode(encode(_message(aggregate="notification")))


def test_version_1_envelopes_still_on_a_topic_are_read() -> None:
    """claims.event/1 published the whole data (and always type_version 1): a worker
    reading a topic from its start folds them; a round-1 declaration lacks the channel."""
    claim_id = uuid4()
    data = {
        "claim_number": "S20000001",
        "contract": "CA2624",
        "subscription_number": "NQ7LVFB",
        "guarantee": "cancellation",
        "cause": {"category": "A", "code": "serious_illness", "description": "[redacted]"},
        "event_date": "2026-03-02",
        "known_on": "2026-03-02",
        "declared_on": "2026-03-04",
        "booking_date": "2026-01-10",
        "subscription_date": "2026-01-10",
        "trip": {
            "departure_date": "2026-03-20",
            "return_date": "2026-03-27",
            "destination": "Lisbon",
            "transport_price": "500.00",
        },
        "insured": [{"name": "Jeanne Martin", "trip_price": "1200.00"}],
        "settlement_mode": "cash",
        "fee_scale": None,
        "medical_contraindication_on": None,
        "cancelled_on": None,
        "interrupted_on": None,
        "medical_cause": True,
        "late_declaration": False,
        "declaration_working_days_late": 0,
        "flags": [],
        "card_insurer_position_required": False,
        "by": "handler-1",
    }
    message = {
        "schema": "claims.event",
        "schema_version": 1,
        "event_id": str(uuid4()),
        "type": "Declared",
        "type_version": 1,
        "claim_id": str(claim_id),
        "claim_version": 1,
        "position": 12,
        "recorded_at": "2026-03-04T09:00:00+00:00",
        "actor": "handler-1",
        "data": data,
    }
    position, event = decode(json.dumps(message).encode())
    assert (position, event.originator_id, event.channel) == (12, claim_id, "online")
    assert event.trip.departure_date == date(2026, 3, 20)
    message["data"] = {**data, "channel": "post"}  # published after the channel existed
    assert decode(json.dumps(message).encode())[1].channel == "post"
