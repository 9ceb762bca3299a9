"""What makes two requests with one Idempotency-Key "the same request", and which If-Match
values are accepted (services/http/deps.py)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from uuid import UUID

import pytest
import structlog
from fastapi.testclient import TestClient

from services.application import ClaimsApplication
from services.http.deps import request_fingerprints
from services.idempotency import IdempotencyKey
from tests.services.conftest import Handler, auth


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's closed stderr.
    structlog.reset_defaults()


NOTE = {"text": "appelé l'assurée", "noted_on": "2026-03-05"}


def test_the_fingerprint_is_of_the_canonical_json() -> None:
    compact = json.dumps(NOTE, ensure_ascii=False).encode()
    reformatted = b'{\n  "noted_on" : "2026-03-05",\n  "text" : "appel\\u00e9 l\'assur\\u00e9e"\n}'
    canonical, raw = request_fingerprints("POST", "/api/v1/claims/x/notes", compact)
    again, raw_again = request_fingerprints("POST", "/api/v1/claims/x/notes", reformatted)
    assert canonical == again
    assert raw != raw_again
    expected = 'POST /api/v1/claims/x/notes\n{"noted_on":"2026-03-05","text":"appelé l\'assurée"}'
    assert canonical == hashlib.sha256(expected.encode()).hexdigest()
    assert raw == hashlib.sha256(b"POST /api/v1/claims/x/notes\n" + compact).hexdigest()
    # Another path, method or value is another request.
    assert request_fingerprints("POST", "/api/v1/claims/y/notes", compact)[0] != canonical
    other = json.dumps({**NOTE, "noted_on": "2026-03-06"}).encode()
    assert request_fingerprints("POST", "/api/v1/claims/x/notes", other)[0] != canonical
    # A body that is not JSON has only its bytes.
    assert len(set(request_fingerprints("POST", "/p", b"\xff{"))) == 1


def test_the_same_json_formatted_otherwise_is_the_same_request(api: TestClient) -> None:
    cid = Handler(api).declare()["claim_id"]
    headers = {**auth("handler"), "Idempotency-Key": "note-fmt", "Content-Type": "application/json"}
    first = api.post(
        f"/api/v1/claims/{cid}/notes",
        content=json.dumps(NOTE, ensure_ascii=False).encode(),
        headers=headers,
    )
    reformatted = (
        b'{\r\n\t"noted_on":   "2026-03-05",\n "text": "appel\\u00e9 l\'assur\\u00e9e"  }\n'
    )
    retry = api.post(f"/api/v1/claims/{cid}/notes", content=reformatted, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    different = api.post(
        f"/api/v1/claims/{cid}/notes",
        content=reformatted.replace(b"05", b"06"),
        headers=headers,
    )
    assert different.status_code == 422
    assert different.json()["type"] == "/problems/idempotency-key-reused"
    assert different.json()["errors"][0]["field"] == "Idempotency-Key"
    assert api.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()["version"] == 2


def test_a_key_recorded_with_the_raw_bytes_fingerprint_still_replays(api: TestClient) -> None:
    """Records written before the canonical fingerprint (the round-1 store holds one) keep
    answering a retry of the same bytes."""
    cid = Handler(api).declare()["claim_id"]
    body = json.dumps(NOTE).encode()  # as a round-1 client sent it: ASCII escapes, spaces
    raw = hashlib.sha256(f"POST /api/v1/claims/{cid}/notes\n".encode() + body).hexdigest()
    app: ClaimsApplication = api.app.state.claims  # type: ignore[attr-defined]
    app.add_note(
        UUID(cid),
        text=NOTE["text"],
        noted_on=date(2026, 3, 5),
        by="handler-user",
        idempotency=IdempotencyKey("handler-user", "round1-style", raw, 200),
    )
    retry = api.post(
        f"/api/v1/claims/{cid}/notes",
        content=body,
        headers={
            **auth("handler"),
            "Idempotency-Key": "round1-style",
            "Content-Type": "application/json",
        },
    )
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["version"] == 2
    assert api.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()["version"] == 2


def test_a_weak_if_match_is_refused_naming_if_match(api_sqlite: TestClient) -> None:
    cid = Handler(api_sqlite).declare()["claim_id"]
    for weak in ('W/"1"', 'w/"1"', ' W/"1"'):
        refused = api_sqlite.post(
            f"/api/v1/claims/{cid}/notes",
            json=NOTE,
            headers={**auth("handler"), "If-Match": weak},
        )
        assert refused.status_code == 400, weak
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"] == "/problems/weak-if-match"
        assert "If-Match" in problem["detail"]
        assert [e["field"] for e in problem["errors"]] == ["If-Match"]
    malformed = api_sqlite.post(
        f"/api/v1/claims/{cid}/notes", json=NOTE, headers={**auth("handler"), "If-Match": "soon"}
    )
    assert malformed.status_code == 400
    assert [e["field"] for e in malformed.json()["errors"]] == ["If-Match"]
    strong = api_sqlite.post(
        f"/api/v1/claims/{cid}/notes", json=NOTE, headers={**auth("handler"), "If-Match": '"1"'}
    )
    assert strong.status_code == 200
    assert strong.headers["ETag"] == '"2"'
    assert api_sqlite.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()["version"] == 2
