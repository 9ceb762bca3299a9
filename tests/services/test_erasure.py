"""Per-person keys and erasure through HTTP (contract v2 §6; docs/adr/0036, 0037), on SQLite
and PostgreSQL: the personal fields are sealed in the store with their own keys; an admin
erases a closed claim's insured person, and the name, the declarant and the free text read
`[erased]` in the body, the history and the replays, while amounts, dates, codes and actors,
and the read models rebuilt from zero, stay the same."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import date
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from infra.settings import eventsourcing_env
from services.application import ClaimsApplication
from services.cli import main
from tests.domain.gwt import declaration
from tests.services.conftest import Handler, auth, make_client
from tests.services.test_api_documents import PDF, upload
from tests.services.test_api_insured import TODAY, bearer, declare_online, log_in

ERASED = "[erased]"
PERSONAL = ("Jeanne Martin", "Paul Martin", "hospitalised", "Lisbon", "jeanne@example.fr")


def _stored_text(database_url: str) -> str:
    """Everything the event store holds, as text (no encryption key in these tests)."""
    rows: list[Any] = []
    if database_url.startswith("sqlite"):
        with sqlite3.connect(unquote(urlsplit(database_url).path)) as db:
            tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            for (table,) in tables:
                if table.endswith(("events", "snapshots")):
                    rows += db.execute(f"SELECT state FROM {table}").fetchall()
    else:
        with psycopg.connect(database_url) as db:
            tables = db.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_name LIKE '%events' OR table_name LIKE '%snapshots'"
            ).fetchall()
            for (table,) in tables:
                rows += db.execute(f"SELECT state FROM {table}").fetchall()
    assert rows
    return "\n".join(bytes(row[0]).decode("utf-8", "replace") for row in rows)


def _closed_claim(h: Handler) -> dict[str, Any]:
    """Two insured persons and a declarant, accepted, settled, a note, closed."""
    people = ("Jeanne Martin", "Paul Martin")
    claim = h.declare(
        insured=[{"name": name, "trip_price": "1200.00"} for name in people],
        declarant={"name": "Jeanne Martin", "email": "jeanne@example.fr"},
    )
    cid = claim["claim_id"]
    h.command(
        cid, "proof-requests", {"documents": ["medical_certificate"], "requested_on": "2026-03-05"}
    )
    h.command(cid, "proofs", {"document": "medical_certificate", "received_on": "2026-03-10"})
    fees = [{"insured": name, "invoiced": "1200.00", "non_refundable": "0.00"} for name in people]
    h.command(cid, "assessment", {"decision": "accept", "decided_on": "2026-03-12", "fees": fees})
    h.command(cid, "settlement", {"paid_on": "2026-03-20", "mode": "cash", "reference": "VIR-1"})
    h.command(
        cid, "notes", {"text": "Jeanne Martin called, hospitalised", "noted_on": "2026-03-21"}
    )
    return h.command(cid, "closure", {"closed_on": "2026-03-25"})


def _erase(client: TestClient, subject: str, expect: int = 200, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/subjects/{subject}/erasure",
        json={"erased_on": "2026-04-01", "basis": "request", **body},
        headers=auth("admin"),
    )
    assert response.status_code == expect, response.text
    return dict(response.json())


def _unchanged(claim: dict[str, Any]) -> tuple[Any, ...]:
    """What an erasure never changes: amounts, dates, codes, states, actors."""
    return (
        claim["claim_number"],
        claim["status"],
        claim["amount_paid"],
        claim["indemnity"]["total"],
        {k: v for k, v in claim["financials"].items() if k not in ("payments", "recoveries")},
        [
            (p["payment_id"], p["amount"], p["state"], p["issued_on"], p["issued_by"], p["mode"])
            for p in claim["financials"]["payments"]
        ],
        claim["declared_on"],
        claim["closed_on"],
        claim["cause"]["code"],
    )


def test_personal_fields_are_sealed_in_the_store_and_read_in_clear(
    api: TestClient, database_url: str
) -> None:
    h = Handler(api)
    claim = _closed_claim(h)
    assert [p["name"] for p in claim["insured"]] == ["Jeanne Martin", "Paul Martin"]
    assert claim["declarant"]["name"] == "Jeanne Martin"
    assert claim["cause"]["description"] == "hospitalised"
    stored = _stored_text(database_url)
    assert claim["claim_number"] in stored
    for personal in PERSONAL:
        assert personal not in stored, personal


def test_erasing_a_closed_claims_insured(api: TestClient, database_url: str) -> None:
    h = Handler(api)
    claim = _closed_claim(h)
    cid = claim["claim_id"]
    jeanne = claim["insured"][0]["subject_id"]
    before = _unchanged(claim)
    history_before = api.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).json()

    # Only an admin erases; an unknown subject is 404.
    response = api.post(
        f"/api/v1/subjects/{jeanne}/erasure",
        json={"erased_on": "2026-04-01", "basis": "request"},
        headers=auth("handler"),
    )
    assert response.status_code == 403
    unknown = _erase(api, "00000000-0000-4000-8000-000000000000", expect=404)
    assert unknown["type"] == "/problems/unknown-subject"

    erased = _erase(api, jeanne)
    assert erased["insured"][0]["name"] == ERASED
    assert erased["insured"][1]["name"] == "Paul Martin"  # his own key
    assert erased["cause"]["description"] == ERASED  # the claim's key went too
    assert erased["declarant"]["name"] == "Jeanne Martin"  # the declarant's own key
    assert erased["trip"]["destination"] == ERASED
    assert _unchanged(erased) == before
    assert erased["version"] == claim["version"] + 1

    again = _erase(api, jeanne, expect=409)
    assert again["type"] == "/problems/subject-already-erased"

    # The history, and every version replayed, read [erased] too; actors and dates stay.
    history = api.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).json()
    text = json.dumps(history)
    assert "Jeanne Martin called" not in text
    assert "hospitalised" not in text
    assert history["items"][-1]["type"] == "PersonalDataErased"
    assert [(e["type"], e["actor"]) for e in history["items"][:-1]] == [
        (e["type"], e["actor"]) for e in history_before["items"]
    ]
    first = api.get(f"/api/v1/claims/{cid}", params={"version": 1}, headers=auth("auditor"))
    assert first.status_code == 200
    assert first.json()["insured"][0]["name"] == ERASED
    assert first.json()["insured"][1]["name"] == "Paul Martin"

    # Erasing the declarant too: nothing personal is readable any more.
    declarant = _erase(api, claim["declarant"]["subject_id"])
    assert declarant["declarant"]["name"] == ERASED
    assert declarant["declarant"]["email"] == ERASED
    assert _unchanged(declarant) == before

    # Text given after the erasure is not kept (its key is gone): no error, `[erased]` when read.
    h.command(
        cid,
        "complaints",
        {"sent_on": "2026-04-02", "received_on": "2026-04-03", "channel": "email", "summary": "y"},
    )
    later = api.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()
    assert later["complaints"][0]["summary"] == ERASED


def test_holds_and_an_open_claim_refuse_the_erasure(api: TestClient) -> None:
    h = Handler(api)
    claim = h.declare()
    subject = claim["insured"][0]["subject_id"]
    assert _erase(api, subject, expect=409)["type"] == "/problems/claim-not-closed"
    cid = claim["claim_id"]
    h.command(cid, "withdrawal", {"withdrawn_on": "2026-03-06"})
    h.command(
        cid,
        "complaints",
        {"sent_on": "2026-03-07", "received_on": "2026-03-08", "channel": "email", "summary": "x"},
    )
    assert _erase(api, subject, expect=409)["type"] == "/problems/legal-hold"
    invalid = _erase(api, subject, expect=422, basis="whim")
    assert [e["field"] for e in invalid["errors"]] == ["basis"]


SEARCH_KEY = "search-key-for-the-erasure-tests-0001"


def _found(client: TestClient, name: str, position: str) -> list[str]:
    response = client.get(
        "/api/v1/claims/search",
        params={"q": name},
        headers={**auth("auditor"), "X-Consistent-With": position},
    )
    assert response.status_code == 200, response.text
    return [item["claim_id"] for item in response.json()["items"]]


def test_read_models_rebuilt_from_zero_after_an_erasure_equal_the_live_ones(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    with make_client(database_url, search_key=SecretStr(SEARCH_KEY)) as api:
        _rebuilt_after_erasure(api, database_url, monkeypatch, capsys)


def _rebuilt_after_erasure(
    api: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    h = Handler(api)
    claim = _closed_claim(h)
    for _ in range(40):  # the read models fold the claim's events
        if _found(api, "Paul Martin", "0"):
            break
        time.sleep(0.05)
    assert _found(api, "Paul Martin", "0") == [claim["claim_id"]]
    response = api.post(
        f"/api/v1/subjects/{claim['insured'][0]['subject_id']}/erasure",
        json={"erased_on": "2026-04-01", "basis": "retention"},
        headers=auth("admin"),
    )
    assert response.status_code == 200, response.text
    position = response.headers["X-Position"]
    # The live read models have folded the erasure: the claim's figures are unchanged.
    listed = api.get(
        "/api/v1/claims", headers={**auth("auditor"), "X-Consistent-With": position}
    ).json()["items"]
    (item,) = [i for i in listed if i["claim_id"] == claim["claim_id"]]
    assert (item["status"], item["amount_paid"]) == (claim["status"], claim["amount_paid"])
    trail = api.get(
        f"/api/v1/claims/{claim['claim_id']}/audit-trail",
        headers={**auth("auditor"), "X-Consistent-With": position},
    ).json()
    assert trail["items"][-1]["event_type"] == "PersonalDataErased"
    assert "Jeanne" not in json.dumps(trail)
    # The name-search table forgets the claim's names (Paul Martin's too); numbers still find it.
    assert _found(api, "Paul Martin", position) == []
    assert _found(api, claim["claim_number"], position) == [claim["claim_id"]]

    monkeypatch.setenv("CLAIMS_DATABASE_URL", database_url)
    monkeypatch.setenv("CLAIMS_SEARCH_KEY", SEARCH_KEY)
    assert main(["rebuild", "--verify"]) == 0, capsys.readouterr().out
    assert main(["replay", claim["claim_number"], "--version", "1"]) == 0
    replayed = capsys.readouterr().out
    assert f"claim {claim['claim_number']}" in replayed  # the audit replay still works
    assert "insured: 2" in replayed


def test_a_document_of_an_erased_claim_is_gone(api: TestClient) -> None:
    h = Handler(api)
    claim = h.declare()
    cid = claim["claim_id"]
    h.command(cid, "proof-requests", {"documents": ["booking_form"], "requested_on": "2026-03-05"})
    sent = upload(api, cid, PDF, proof_code="booking_form", filename="booking.pdf")
    assert sent.status_code in (200, 201), sent.text
    listed = api.get(f"/api/v1/claims/{cid}/documents", headers=auth("handler")).json()
    document_id = listed["items"][0]["document_id"]
    assert listed["items"][0]["filename"] == "booking.pdf"
    content = f"/api/v1/claims/{cid}/documents/{document_id}/content"
    assert api.get(content, headers=auth("handler")).content == PDF
    h.command(cid, "withdrawal", {"withdrawn_on": "2026-03-07"})
    _erase(api, claim["insured"][0]["subject_id"])
    gone = api.get(content, headers=auth("handler"))
    assert gone.status_code == 410
    assert gone.json()["type"] == "/problems/document-erased"
    listed = api.get(f"/api/v1/claims/{cid}/documents", headers=auth("handler")).json()
    assert listed["items"][0]["filename"] == ERASED


def test_a_claim_stored_before_the_keys_still_reads_and_is_erased(database_url: str) -> None:
    """Its fields are in plain text under the application key: they read as stored, then
    `[erased]` once the claim's key (a tombstone) is destroyed (docs/adr/0037)."""
    before = ClaimsApplication(env=eventsourcing_env(database_url))  # no key store attached
    try:
        claim = before.declare(declaration(), by="handler-user")
        cid = claim.id
        before.request_proofs(cid, documents=["other"], requested_on=date(2026, 3, 5), by="h")
        before.receive_proof(cid, document="other", received_on=date(2026, 3, 9), by="h")
        before.refuse(cid, decided_on=date(2026, 3, 10), reason="excluded cause", by="h")
        before.close_claim(cid, closed_on=date(2026, 3, 12), by="h")
        subject = claim.insured[0].subject_id
    finally:
        before.close()
    assert subject is not None
    with make_client(database_url) as api:
        read = api.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()
        assert read["insured"][0]["name"] == "Jeanne Martin"
        assert read["refusal_reason"] == "excluded cause"
        erased = _erase(api, str(subject))
        assert erased["insured"][0]["name"] == ERASED
        assert erased["refusal_reason"] == ERASED
        assert erased["status"] == read["status"]
        assert _erase(api, str(subject), expect=409)["type"] == "/problems/subject-already-erased"


def test_the_insured_can_no_longer_log_in_after_the_erasure(api: TestClient) -> None:
    """Contract v2 §6 rule 3: the sessions are revoked, logging in answers 401."""
    view = declare_online(api)
    number, code = view["claim_number"], view["access_code"]
    opened = log_in(api, number, code)
    assert opened.status_code == 201, opened.text
    token = opened.json()["token"]
    assert api.get("/api/v1/insured/claim", headers=bearer(token)).status_code == 200
    staff = api.get(f"/api/v1/claims/by-number/{number}", headers=auth("handler")).json()
    today = TODAY.isoformat()
    Handler(api).command(staff["claim_id"], "withdrawal", {"withdrawn_on": today})
    _erase(api, staff["insured"][0]["subject_id"], erased_on=today)
    assert api.get("/api/v1/insured/claim", headers=bearer(token)).status_code == 401
    assert log_in(api, number, code).status_code == 401
