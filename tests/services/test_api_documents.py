"""Documents over HTTP (api.md v2 §4), on SQLite and PostgreSQL: a PDF that completes a
requested proof, a medical certificate that only the medical adviser (and admins) read, with
each read in the access register, the limits (413, 415, 409) and rejection."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.documents import MAX_DOCUMENT_BYTES
from tests.services.conftest import Handler, auth
from tests.services.test_api_insured import bearer, declare_online, log_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(
    client: TestClient,
    claim_id: str,
    content: bytes,
    *,
    proof_code: str = "cancellation_invoice",
    received_on: str = "2026-03-06",
    filename: str = "facture.pdf",
    role: str = "handler",
    **fields: str,
) -> httpx.Response:
    response: httpx.Response = client.post(
        f"/api/v1/claims/{claim_id}/documents",
        files={"file": (filename, content, "application/octet-stream")},
        data={"proof_code": proof_code, "received_on": received_on, **fields},
        headers=auth(role),
    )
    return response


def requested(client: TestClient, *documents: str) -> dict[str, Any]:
    h = Handler(client)
    claim = h.declare()
    h.command(
        claim["claim_id"],
        "proof-requests",
        {"documents": list(documents), "requested_on": "2026-03-05"},
    )
    return claim


def test_a_pdf_completes_the_requested_proof(api: TestClient) -> None:
    claim = requested(api, "cancellation_invoice")
    cid = claim["claim_id"]
    response = upload(api, cid, PDF)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "proofs_complete"
    assert body["proofs"]["received"] == ["cancellation_invoice"]
    (document,) = body["documents"]
    assert document["mime"] == "application/pdf"
    assert document["size"] == len(PDF)
    assert document["filename"] == "facture.pdf"
    assert document["medical"] is False
    listed = api.get(f"/api/v1/claims/{cid}/documents", headers=auth("auditor")).json()
    assert listed["items"][0]["document_id"] == document["document_id"]
    content = api.get(
        f"/api/v1/claims/{cid}/documents/{document['document_id']}/content",
        headers=auth("auditor"),
    )
    assert content.status_code == 200
    assert content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    # Reads leave the version unchanged; the events carry no content and no name in clear.
    after = api.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()
    assert after["version"] == body["version"]
    history = api.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).text
    assert "facture.pdf" not in history
    assert "Catalog" not in history


def test_a_medical_certificate_is_read_by_the_medical_adviser_only_and_registered(
    api: TestClient,
) -> None:
    claim = requested(api, "medical_certificate")
    cid = claim["claim_id"]
    body = upload(api, cid, PDF, proof_code="medical_certificate", filename="hopital.pdf").json()
    (document,) = body["documents"]
    assert document["medical"] is True
    assert document["filename"] == "[medical]"
    doc_id = document["document_id"]
    url = f"/api/v1/claims/{cid}/documents/{doc_id}/content"
    refused = api.get(url, headers=auth("handler"))
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/medical-document"
    assert api.get(url, headers=auth("auditor")).status_code == 403
    handler_list = api.get(f"/api/v1/claims/{cid}/documents", headers=auth("handler")).json()
    assert handler_list["items"][0]["filename"] == "[medical]"
    adviser_list = api.get(
        f"/api/v1/claims/{cid}/documents", headers=auth("medical_adviser")
    ).json()
    assert adviser_list["items"][0]["filename"] == "hopital.pdf"
    read = api.get(url, headers=auth("medical_adviser"))
    assert read.status_code == 200
    assert read.content == PDF
    register = api.get(
        "/api/v1/admin/medical-reads", params={"claim_id": cid}, headers=auth("auditor")
    )
    assert register.status_code == 200
    (entry,) = register.json()["items"]
    assert (entry["document_id"], entry["actor"], entry["role"]) == (
        doc_id,
        "medical_adviser-user",
        "medical_adviser",
    )
    assert entry["read_at"].endswith(("Z", "+00:00"))
    assert api.get("/api/v1/admin/medical-reads", headers=auth("handler")).status_code == 403


def test_too_large_unsupported_and_duplicate_documents_are_refused(api: TestClient) -> None:
    claim = requested(api, "cancellation_invoice", "booking_form")
    cid = claim["claim_id"]
    big = upload(api, cid, PDF + b"\0" * (MAX_DOCUMENT_BYTES + 1 - len(PDF)))
    assert big.status_code == 413
    assert big.json()["type"] == "/problems/document-too-large"
    text = upload(api, cid, b"not a pdf at all, only named so", filename="x.pdf")
    assert text.status_code == 415
    assert text.json()["type"] == "/problems/unsupported-document-type"
    assert upload(api, cid, PDF).status_code == 200
    again = upload(api, cid, PDF)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/duplicate-document"
    # The same bytes for another proof are another document.
    assert upload(api, cid, PDF, proof_code="booking_form").status_code == 200
    listed = api.get(f"/api/v1/claims/{cid}/documents", headers=auth("auditor")).json()
    assert len(listed["items"]) == 2
    bad_field = upload(api, cid, PNG, proof_code="horoscope")
    assert bad_field.status_code == 422
    assert bad_field.json()["errors"][0]["field"] == "proof_code"


def test_a_rejection_puts_the_proof_back_to_outstanding(api: TestClient) -> None:
    claim = requested(api, "cancellation_invoice")
    cid = claim["claim_id"]
    doc_id = upload(api, cid, PDF).json()["documents"][0]["document_id"]
    h = Handler(api)
    rejected = h.command(
        cid,
        f"documents/{doc_id}/rejection",
        {"rejected_on": "2026-03-07", "reason": "illisible"},
    )
    assert rejected["status"] == "proofs_requested"
    assert rejected["proofs"]["outstanding"] == ["cancellation_invoice"]
    assert rejected["documents"][0]["state"] == "rejected"
    again = h.command(
        cid,
        f"documents/{doc_id}/rejection",
        {"rejected_on": "2026-03-07", "reason": "illisible"},
        expect=409,
    )
    assert again["type"] == "/problems/document-already-rejected"
    unknown = h.command(
        cid, "documents/S29999999-D9/rejection", {"rejected_on": "2026-03-07", "reason": "x"}, 404
    )
    assert unknown["type"] == "/problems/unknown-document"


def test_the_insured_sends_a_requested_proof_only(api: TestClient) -> None:
    view = declare_online(api)
    token = log_in(api, view["claim_number"], view["access_code"]).json()["token"]

    def send(proof_code: str, content: bytes) -> httpx.Response:
        response: httpx.Response = api.post(
            "/api/v1/insured/claim/documents",
            files={"file": ("scan.png", content, "image/png")},
            data={"proof_code": proof_code},
            headers=bearer(token),
        )
        return response

    sent = send("booking_form", PNG)
    assert sent.status_code == 200, sent.text
    states = {p["code"]: p["state"] for p in sent.json()["proofs"]}
    assert states["booking_form"] == "received"
    not_requested = send("police_report", PNG + b"1")
    assert not_requested.status_code == 409
    assert not_requested.json()["type"] == "/problems/proof-not-requested"
    assert send("cancellation_invoice", b"hello").status_code == 415


@pytest.mark.parametrize("role", ["manager", "auditor", "medical_adviser", "portal"])
def test_only_handlers_upload(api_sqlite: TestClient, role: str) -> None:
    claim = requested(api_sqlite, "cancellation_invoice")
    assert upload(api_sqlite, claim["claim_id"], PDF, role=role).status_code == 403
