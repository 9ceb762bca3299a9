"""The handler's screens for documents and the access code (issue 19): upload, reject, issue
a code from the page; a medical document's name and content only for the medical adviser,
whose read lands in the access register."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.services.conftest import ORIGIN, auth, page_login
from tests.services.test_api_documents import PDF, requested


def csrf_of_upload(page: str) -> str:
    found = re.search(r'id="form-upload">\s*<input type="hidden" name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_a_handler_uploads_rejects_and_issues_a_code_from_the_page(api: TestClient) -> None:
    claim = requested(api, "cancellation_invoice")
    number = claim["claim_number"]
    assert page_login(api, "handler", f"/claims/{number}").status_code == 303
    assert 'id="go-documents"' in api.get(f"/claims/{number}").text
    page = api.get(f"/claims/{number}/documents")
    assert page.status_code == 200
    assert "Aucun document" in page.text
    csrf = csrf_of_upload(page.text)
    sent = api.post(
        f"/claims/{number}/documents",
        files={"file": ("facture.pdf", PDF, "application/pdf")},
        data={"proof_code": "cancellation_invoice", "received_on": "2026-03-06", "csrf": csrf},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    listed = api.get(f"/claims/{number}/documents").text
    assert "facture.pdf" in listed
    body = api.get(f"/api/v1/claims/{claim['claim_id']}", headers=auth("auditor")).json()
    assert body["status"] == "proofs_complete"
    doc_id = body["documents"][0]["document_id"]
    duplicate = api.post(
        f"/claims/{number}/documents",
        files={"file": ("facture.pdf", PDF, "application/pdf")},
        data={"proof_code": "cancellation_invoice", "received_on": "2026-03-06", "csrf": csrf},
        headers=ORIGIN,
    )
    assert duplicate.status_code == 409
    assert "déjà été reçu" in duplicate.text
    rejected = api.post(
        f"/claims/{number}/documents/{doc_id}/rejection",
        data={"rejected_on": "2026-03-07", "reason": "illisible", "csrf": csrf},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    body = api.get(f"/api/v1/claims/{claim['claim_id']}", headers=auth("auditor")).json()
    assert body["proofs"]["outstanding"] == ["cancellation_invoice"]
    issued = api.post(
        f"/claims/{number}/access-code",
        data={"issued_on": "2026-03-07", "csrf": csrf},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert issued.status_code == 303
    history = api.get(f"/api/v1/claims/{claim['claim_id']}/history", headers=auth("auditor"))
    assert history.json()["items"][-1]["type"] == "AccessCodeIssued"
    forged = api.post(
        f"/claims/{number}/access-code",
        data={"issued_on": "2026-03-07", "csrf": "forged"},
        headers=ORIGIN,
    )
    assert forged.status_code == 403


def test_a_medical_document_is_shown_to_the_medical_adviser_only(api: TestClient) -> None:
    claim = requested(api, "medical_certificate")
    number, cid = claim["claim_number"], claim["claim_id"]
    api.post(
        f"/api/v1/claims/{cid}/documents",
        files={"file": ("hopital.pdf", PDF, "application/pdf")},
        data={"proof_code": "medical_certificate", "received_on": "2026-03-06"},
        headers=auth("handler"),
    )
    doc_id = api.get(f"/api/v1/claims/{cid}/documents", headers=auth("handler")).json()["items"][0][
        "document_id"
    ]
    page_login(api, "handler", f"/claims/{number}/documents")
    page = api.get(f"/claims/{number}/documents").text
    assert "[medical]" in page
    assert "hopital.pdf" not in page
    assert api.get(f"/claims/{number}/documents/{doc_id}/content").status_code == 403
    page_login(api, "medical_adviser", f"/claims/{number}/documents")
    page = api.get(f"/claims/{number}/documents").text
    assert "hopital.pdf" in page
    content = api.get(f"/claims/{number}/documents/{doc_id}/content")
    assert content.status_code == 200
    assert content.content == PDF
    reads = api.get("/api/v1/admin/medical-reads", headers=auth("admin")).json()["items"]
    assert [(r["document_id"], r["role"]) for r in reads] == [(doc_id, "medical_adviser")]
