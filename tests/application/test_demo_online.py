"""Demo claims declared online with documents (services/demo_online.py), on both stores."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import SecretStr

from infra.settings import Settings
from services.demo_online import online_claims
from services.wiring import attach_insured_side, build_application, build_private_store


def test_online_demo_claims_have_a_code_requested_proofs_and_documents(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=database_url,
        api_tokens=SecretStr(""),
        documents_dir=str(tmp_path / "documents"),
    )
    app = build_application(settings)
    private = build_private_store(settings)
    try:
        side = attach_insured_side(settings, app, private)
        assert online_claims(app, count=4, seed=7, today=date(2026, 11, 22)) == 4
        for number in ("S20000001", "S20000004"):
            claim = app.get_claim(app.claim_id_for_number(number))
            assert claim.channel == "online"
            assert claim.current_code_hash is not None
            assert side.outbox.get(claim.id, claim.current_code_hash) is not None
            assert claim.claim_documents
            for document in claim.claim_documents:
                assert document.proof_code in claim.proofs_received
                _, content = app.document_content(claim.id, document.document_id)
                assert content.startswith(b"%PDF")
    finally:
        private.close()
        app.close()
