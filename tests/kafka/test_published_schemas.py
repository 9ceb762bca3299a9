"""The published schemas in docs/ are the ones the code generates (run `claims schemas`)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from domain.claim import Claim
from infra.events import (
    ENVELOPE_SCHEMA,
    decode,
    encode,
    envelope,
    event_classes,
    published_documents,
)
from tests.domain.gwt import ACCEPTED_AND_PAID, given, history

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_committed_schemas_are_up_to_date() -> None:
    for relative, text in published_documents().items():
        path = DOCS / relative
        assert path.exists(), f"{relative} is missing: run `claims schemas`"
        assert path.read_text(encoding="utf-8") == text, (
            f"{relative} is stale: run `claims schemas`"
        )


def test_every_event_type_has_a_schema_and_the_envelope_names_it() -> None:
    documents = published_documents()
    assert set(event_classes()) == {
        path.removeprefix("events/").removesuffix(".schema.json")
        for path in documents
        if path.startswith("events/") and "envelope" not in path
    }
    asyncapi = json.loads(documents["asyncapi.json"])
    assert set(asyncapi["channels"]["claimsEvents"]["messages"]) == set(event_classes())


def test_envelopes_carry_the_documented_fields_and_no_personal_data() -> None:
    """claims.event/2 (docs/adr/0035): the aggregate is named, the type's version is its
    class_version, and no name or health text is published, whatever the setting."""
    events = history(*ACCEPTED_AND_PAID)
    required = json.loads(published_documents()["events/envelope.schema.json"])["required"]
    for exclude in (True, False):  # the old setting no longer changes anything
        message = envelope(events[0], 1, exclude_health_data=exclude)
        assert set(required) <= set(message)
        assert message["schema"] == ENVELOPE_SCHEMA
        assert (message["schema_version"], message["aggregate"]) == (2, "claim")
        assert message["type_version"] == Claim.Declared.class_version == 3  # v3: declarant
        assert message["data"]["cause"] == {"category": "A", "code": "serious_illness"}
        assert message["data"]["insured"] == [{"trip_price": "1200.00", "subject_id": None}]
        text = encode(message).decode()
        for personal in ("hospitalised", "Jeanne Martin", "Lisbon", "medical_cause"):
            assert personal not in text
    accepted = envelope(events[3], 4)
    assert accepted["data"]["indemnity"]["total"] == "550.00"
    assert "Jeanne" not in encode(accepted).decode()


def test_a_payment_is_published_with_its_masked_iban_and_never_its_ciphertext() -> None:
    """docs/adr/0027-money-ledger.md: the IBAN is shown masked everywhere, Kafka included."""
    claim = given(history(*ACCEPTED_AND_PAID[:-1]))
    claim.request_payment(
        payee="Jeanne Martin",
        amount=Decimal("100.00"),
        kind="partial",
        mode="transfer",
        requested_on=date(2026, 3, 20),
        iban_masked="FR76*0189",
        iban_ciphertext="v1:sealed-bytes",
        reason=None,
        by="handler-1",
        authority=Decimal("5000.00"),
    )
    (requested,) = claim.collect_events()
    message = envelope(requested, 7)
    assert message["data"]["iban_masked"] == "FR76*0189"
    assert "iban_ciphertext" not in message["data"]
    assert "payee" not in message["data"]
    assert "sealed-bytes" not in encode(message).decode()
    assert "Jeanne Martin" not in encode(message).decode()
    position, decoded = decode(encode(message))
    assert position == 7
    assert isinstance(decoded, Claim.PaymentRequested)
    assert decoded.amount == Decimal("100.00")
    assert decoded.approval_required is False
