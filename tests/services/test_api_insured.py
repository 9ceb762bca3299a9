"""The insured's side over HTTP (api.md v2 §3), on SQLite and PostgreSQL: the portal's
declaration with its access code, log-in (401, 429), the token's scope, the view, the bank
details, and a new access code that ends the old sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.http.deps import today_in_paris
from tests.services.conftest import Handler, auth, declaration_body

TODAY = today_in_paris()


def portal_body(**overrides: Any) -> dict[str, Any]:
    """A declaration as the portal sends it: v1's body less declared_on, with a declarant."""
    day = TODAY.isoformat()
    body = declaration_body(
        event_date=(TODAY - timedelta(days=2)).isoformat(),
        known_on=(TODAY - timedelta(days=2)).isoformat(),
        booking_date=(TODAY - timedelta(days=60)).isoformat(),
        subscription_date=(TODAY - timedelta(days=60)).isoformat(),
        trip={
            "departure_date": (TODAY + timedelta(days=20)).isoformat(),
            "return_date": (TODAY + timedelta(days=27)).isoformat(),
            "destination": "Lisbon",
        },
        declarant={"name": "Jeanne Martin", "email": "jeanne@example.fr", "mobile": "0612345678"},
        channel="online",
    )
    del body["declared_on"]
    assert day  # the portal's declaration is dated the day it arrives
    body.update(overrides)
    return body


def declare_online(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/insured/declarations", json=portal_body(**overrides), headers=auth("portal")
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def log_in(
    client: TestClient, number: str, code: str, trip_start: str | None = None, **headers: str
) -> Any:
    start = trip_start or (TODAY + timedelta(days=20)).isoformat()
    return client.post(
        "/api/v1/insured/sessions",
        json={"claim_number": number, "trip_start": start, "access_code": code},
        headers=headers,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_portal_declares_with_a_code_shown_once_and_the_causes_proofs_requested(
    api: TestClient,
) -> None:
    headers = {**auth("portal"), "Idempotency-Key": "portal-1"}
    first = api.post("/api/v1/insured/declarations", json=portal_body(), headers=headers)
    assert first.status_code == 201, first.text
    view = first.json()
    code = view["access_code"]
    assert len(code) == 8
    assert not set(code) & set("ILO01")
    assert view["status"] == "proofs_requested"
    assert view["status_label"] == "Justificatifs demandés"
    assert [p["code"] for p in view["proofs"]] == [
        "cancellation_invoice",
        "booking_form",
        "medical_certificate",
        "identity_document",
    ]
    assert {p["state"] for p in view["proofs"]} == {"outstanding"}
    assert view["handling_promise_on"] is None
    replay = api.post("/api/v1/insured/declarations", json=portal_body(), headers=headers)
    assert replay.status_code == 201
    assert replay.json()["access_code"] is None
    assert replay.json()["claim_number"] == view["claim_number"]
    # The staff's body: the declarant in clear, each person with a subject id; the history
    # holds the declarant sealed and only the code's hash.
    number = view["claim_number"]
    claim = api.get(f"/api/v1/claims/by-number/{number}", headers=auth("auditor")).json()
    assert claim["channel"] == "online"
    assert claim["declarant"]["name"] == "Jeanne Martin"
    assert claim["declarant"]["mobile"] == "+33612345678"
    assert claim["declarant"]["subject_id"]
    assert claim["insured"][0]["subject_id"]
    history = api.get(f"/api/v1/claims/{claim['claim_id']}/history", headers=auth("auditor"))
    text = history.text
    assert "jeanne@example.fr" not in text
    assert "Jeanne Martin" in text  # the insured person's name: not the declarant's work
    assert code not in text
    assert [i["type"] for i in history.json()["items"]] == [
        "Declared",
        "AccessCodeIssued",
        "ProofsRequested",
    ]


@pytest.mark.parametrize(
    ("contract", "number"),
    [("CA2624", "NQ7"), ("CA2624", "NQ7LVFB-1"), ("CORSAIR_7906011", "NQ7LVFB")],
)
def test_the_portal_checks_the_subscription_numbers_format(
    api_sqlite: TestClient, contract: str, number: str
) -> None:
    body = portal_body(contract=contract, subscription_number=number)
    if contract != "CA2624":
        body["cause"] = {"category": "medical", "code": "illness", "description": "flu"}
    response = api_sqlite.post("/api/v1/insured/declarations", json=body, headers=auth("portal"))
    assert response.status_code == 422, response.text
    assert "subscription_number" in [e["field"] for e in response.json()["errors"]]


def test_the_insured_logs_in_and_sees_only_their_view(api: TestClient) -> None:
    view = declare_online(api)
    number, code = view["claim_number"], view["access_code"]
    session = log_in(api, number, code.lower())
    assert session.status_code == 201, session.text
    token = session.json()["token"]
    assert session.json()["expires_at"]
    mine = api.get("/api/v1/insured/claim", headers=bearer(token))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["claim_number"] == number
    assert body["timeline"][0]["label"] == "Sinistre déclaré"
    for secret in ("reserve", "handler", "notes", "financials", "declarant"):
        assert secret not in body
    # The token opens nothing else; a staff token does not open the insured's paths.
    assert api.get("/api/v1/claims", headers=bearer(token)).status_code == 403
    claim_id = api.get(f"/api/v1/claims/by-number/{number}", headers=auth("auditor")).json()[
        "claim_id"
    ]
    assert api.get(f"/api/v1/claims/{claim_id}", headers=bearer(token)).status_code == 403
    assert api.get("/api/v1/insured/claim", headers=auth("admin")).status_code == 403
    assert api.get("/api/v1/insured/claim").status_code == 401
    assert api.get("/api/v1/insured/claim", headers=bearer(token + "x")).status_code == 401
    page = api.get("/dashboard", headers=bearer(token), follow_redirects=False)
    assert page.status_code == 303  # the pages know no bearer token: log in


def test_wrong_credentials_are_one_answer_and_five_failures_block_the_claim(
    api: TestClient,
) -> None:
    view = declare_online(api)
    number, code = view["claim_number"], view["access_code"]
    wrong = log_in(api, number, "ABCDEFGH" if code != "ABCDEFGH" else "HGFEDCBA")
    assert wrong.status_code == 401
    assert wrong.json()["type"] == "/problems/insured-credentials-invalid"
    other_start = log_in(api, number, code, trip_start=TODAY.isoformat())
    assert other_start.status_code == 401
    unknown = log_in(api, "S29999999", code)
    assert unknown.status_code == 401
    assert unknown.json() == {**wrong.json()}
    for _ in range(2):  # five failures from this client in all
        assert log_in(api, number, "ZZZZZZZZ").status_code == 401
    blocked = log_in(api, number, code)  # even the right code
    assert blocked.status_code == 429
    assert blocked.json()["type"] == "/problems/too-many-attempts"
    assert int(blocked.headers["Retry-After"]) > 0


def test_a_new_access_code_ends_the_old_code_and_its_sessions(api: TestClient) -> None:
    view = declare_online(api)
    number, code = view["claim_number"], view["access_code"]
    token = log_in(api, number, code).json()["token"]
    claim_id = api.get(f"/api/v1/claims/by-number/{number}", headers=auth("handler")).json()[
        "claim_id"
    ]
    issued = Handler(api).command(claim_id, "access-code", {"issued_on": TODAY.isoformat()})
    assert "access_code" not in issued  # only the notification reveals it
    assert api.get("/api/v1/insured/claim", headers=bearer(token)).status_code == 401
    assert log_in(api, number, code).status_code == 401


def test_bank_details_given_by_the_insured_are_the_bank_details_proof(api: TestClient) -> None:
    view = declare_online(
        api, cause={"category": "D", "code": "personal_reason", "description": "family"}
    )
    assert "bank_details" in [p["code"] for p in view["proofs"]]
    token = log_in(api, view["claim_number"], view["access_code"]).json()["token"]
    bad = api.put(
        "/api/v1/insured/claim/bank-details",
        json={"holder": "Jeanne Martin", "iban": "FR76 3000 6000 0112 3456 7890 188"},
        headers=bearer(token),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "iban"
    given = api.put(
        "/api/v1/insured/claim/bank-details",
        json={"holder": "Jeanne Martin", "iban": "FR76 3000 6000 0112 3456 7890 189"},
        headers=bearer(token),
    )
    assert given.status_code == 200, given.text
    body = given.json()
    assert body["bank_details"] == {"holder": "Jeanne Martin", "iban_masked": "FR76*0189"}
    assert {p["code"]: p["state"] for p in body["proofs"]}["bank_details"] == "received"
    assert (
        "30006000011234567890189"
        not in api.get(
            f"/api/v1/claims/by-number/{view['claim_number']}/", headers=auth("auditor")
        ).text
    )


def test_a_staff_declaration_takes_a_declarant_and_stays_declared(api: TestClient) -> None:
    claim = Handler(api).declare(
        declarant={"name": "Paul Martin", "email": "paul@example.fr"}, channel="post"
    )
    assert claim["status"] == "declared"
    assert claim["version"] == 1
    assert claim["declarant"]["name"] == "Paul Martin"
    assert claim["declarant"]["mobile"] is None
    bad = api.post(
        "/api/v1/claims",
        json=declaration_body(declarant={"name": "Paul", "mobile": "01 23 45 67 89"}),
        headers=auth("handler"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "declarant.mobile"
