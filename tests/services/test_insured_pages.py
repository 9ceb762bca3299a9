"""The insured's page (issue 19): log in with the claim number, the trip's start and the
access code, see the status, the timeline and the proofs, send a requested proof and the IBAN;
French, the staff pages' security headers, forms same-origin and CSRF-checked."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests.services.conftest import ORIGIN, auth, csrf_of
from tests.services.test_api_documents import PDF
from tests.services.test_api_insured import declare_online

COOKIE = "__Host-claims_insured_session"


def page_log_in(client: TestClient, number: str, code: str, start: str) -> httpx.Response:
    form = client.get("/insured")
    response: httpx.Response = client.post(
        "/insured",
        data={
            "claim_number": number,
            "trip_start": start,
            "access_code": code,
            "csrf": csrf_of(form.text),
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    return response


def _trip_start(client: TestClient, number: str) -> str:
    claim = client.get(f"/api/v1/claims/by-number/{number}", headers=auth("auditor")).json()
    return str(claim["trip"]["departure_date"])


def test_the_insured_logs_in_sends_a_proof_and_an_iban(api: TestClient) -> None:
    view = declare_online(api)
    number, code = view["claim_number"], view["access_code"]
    start = _trip_start(api, number)
    login_page = api.get("/insured")
    assert login_page.status_code == 200
    assert '<html lang="fr">' in login_page.text
    assert "Suivre mon dossier" in login_page.text
    assert "script-src 'self'" in login_page.headers["content-security-policy"]
    assert login_page.headers["x-frame-options"] == "DENY"
    assert 'name="viewport"' in login_page.text
    assert "/static/insured.css" in login_page.text

    wrong = page_log_in(api, number, "ZZZZZZZZ", start)
    assert wrong.status_code == 401
    assert "incorrect" in wrong.text
    logged = page_log_in(api, number, code, start)
    assert logged.status_code == 303, logged.text
    assert logged.headers["location"] == "/insured/claim"
    cookie = next(h for h in logged.headers.get_list("set-cookie") if h.startswith(COOKIE))
    assert {"httponly", "secure", "samesite=strict"} <= {
        p.strip().lower() for p in cookie.split(";")[1:]
    }

    page = api.get("/insured/claim")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == login_page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert f"Dossier {number}" in page.text
    assert "Justificatifs demandés" in page.text
    assert "Facture d" in page.text or "facture" in page.text.lower()
    assert "Sinistre déclaré" in page.text
    csrf = csrf_of(page.text)
    sent = api.post(
        "/insured/claim/document",
        files={"file": ("facture.pdf", PDF, "application/pdf")},
        data={"proof_code": "cancellation_invoice", "csrf": csrf},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    after = api.get("/insured/claim?done=document").text
    assert "bien été reçu" in after
    assert re.search(r'id="proof-cancellation_invoice".*?Reçu', after, re.S)

    refused = api.post(
        "/insured/claim/document",
        files={"file": ("note.txt", b"just text", "text/plain")},
        data={"proof_code": "booking_form", "csrf": csrf},
        headers=ORIGIN,
    )
    assert refused.status_code == 415
    assert "PDF" in refused.text

    iban = api.post(
        "/insured/claim/bank-details",
        data={"holder": "Jeanne Martin", "iban": "FR76 3000 6000 0112 3456 7890 189", "csrf": csrf},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert iban.status_code == 303, iban.text
    assert "FR76*0189" in api.get("/insured/claim").text
    bad_iban = api.post(
        "/insured/claim/bank-details",
        data={"holder": "Jeanne Martin", "iban": "FR76 0000", "csrf": csrf},
        headers=ORIGIN,
    )
    assert bad_iban.status_code == 422
    assert "IBAN" in bad_iban.text


def test_the_claim_page_needs_a_session_and_same_origin_forms(api: TestClient) -> None:
    assert api.get("/insured/claim", follow_redirects=False).status_code == 303
    view = declare_online(api)
    start = _trip_start(api, view["claim_number"])
    page_log_in(api, view["claim_number"], view["access_code"], start)
    csrf = csrf_of(api.get("/insured/claim").text)
    cross = api.post(
        "/insured/claim/bank-details",
        data={"holder": "X", "iban": "FR7630006000011234567890189", "csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    no_csrf = api.post(
        "/insured/claim/bank-details",
        data={"holder": "X", "iban": "FR7630006000011234567890189"},
        headers=ORIGIN,
    )
    assert no_csrf.status_code == 403
    logout = api.post(
        "/insured/logout", data={"csrf": csrf}, headers=ORIGIN, follow_redirects=False
    )
    assert logout.status_code == 303
    assert api.get("/insured/claim", follow_redirects=False).status_code == 303
