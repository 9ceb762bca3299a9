"""The insured's commands in the application, on both stores: bank details refused while a
payment is in flight; an access code issued records only its hash, its plain text waiting
in the outbox."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from domain.access_code import access_code_matches
from domain.errors import PaymentInProgress
from domain.values import AssessmentInputs, FeeInput
from infra.access_code_outbox import AccessCodeOutbox
from infra.documents import ContentCipher, FileDocumentStore
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.insured import InsuredSide
from tests.domain.gwt import declaration

DAY = date(2026, 3, 5)
IBAN = "FR7630006000011234567890189"


def test_bank_details_are_refused_while_a_payment_is_pending(app: ClaimsApplication) -> None:
    claim = app.declare(declaration(), by="h")
    app.request_proofs(claim.id, documents=["cancellation_invoice"], requested_on=DAY, by="h")
    app.receive_proof(claim.id, document="cancellation_invoice", received_on=DAY, by="h")
    app.accept(
        claim.id,
        decided_on=DAY,
        inputs=AssessmentInputs(fees=(FeeInput("Jeanne Martin", Decimal("900.00")),)),
        by="h",
    )
    app.request_payment(
        claim.id,
        payee="Jeanne Martin",
        amount=Decimal("100.00"),
        kind="partial",
        mode="transfer",
        requested_on=DAY,
        iban=IBAN,
        reason=None,
        by="h",
        authority=Decimal("0.00"),  # over the limit: pending approval
    )
    version = app.get_claim(claim.id).version
    with pytest.raises(PaymentInProgress):
        app.give_bank_details(claim.id, holder="Jeanne Martin", iban=IBAN, given_on=DAY, by="i")
    assert app.get_claim(claim.id).version == version


def test_an_access_code_is_recorded_as_its_hash_only(
    app: ClaimsApplication, tmp_path: Path
) -> None:
    store = ReadStore(f"sqlite:///{tmp_path / 'private.db'}")
    try:
        side = InsuredSide(
            outbox=AccessCodeOutbox.from_encryption_key(store, None),
            documents=FileDocumentStore(tmp_path / "documents", ContentCipher(None)),
        )
        app.insured_side = side
        claim = app.declare(declaration(), by="h")
        issued = app.issue_access_code(claim.id, issued_on=DAY, by="h")
        code_hash = issued.current_code_hash
        assert code_hash is not None
        code = side.outbox.get(claim.id, code_hash)
        assert code is not None
        assert access_code_matches(code, code_hash)
        assert code not in repr(app.history(claim.id))
    finally:
        store.close()
