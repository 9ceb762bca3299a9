"""Concurrency, idempotency, roles and bad input through HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import SecretStr

from infra.settings import Settings
from services.http.app import create_app
from tests.services.conftest import TOKEN_SPEC, TOKENS, Handler, auth, declaration_body
from tests.support import free_port

NOTE = {"text": "called the insured", "noted_on": "2026-03-05"}


# ---------------------------------------------------------------- If-Match and ETag


def test_a_stale_if_match_is_refused_with_412_and_nothing_is_written(api: TestClient) -> None:
    h = Handler(api)
    claim = h.declare()
    cid = claim["claim_id"]
    ok = api.post(
        f"/api/v1/claims/{cid}/notes", json=NOTE, headers={**auth("handler"), "If-Match": '"1"'}
    )
    assert ok.status_code == 200
    assert ok.headers["ETag"] == '"2"'
    stale = api.post(
        f"/api/v1/claims/{cid}/notes", json=NOTE, headers={**auth("handler"), "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["type"] == "/problems/version-mismatch"
    got = api.get(f"/api/v1/claims/{cid}", headers=auth("handler"))
    assert (got.json()["version"], got.headers["ETag"]) == (2, '"2"')


def test_a_malformed_if_match_is_a_400(api_sqlite: TestClient) -> None:
    cid = Handler(api_sqlite).declare()["claim_id"]
    bad = api_sqlite.post(
        f"/api/v1/claims/{cid}/notes",
        json=NOTE,
        headers={**auth("handler"), "If-Match": "yesterday"},
    )
    assert bad.status_code == 400


def test_if_match_can_be_required(sqlite_url: str) -> None:
    app = create_app(
        Settings(database_url=sqlite_url, api_tokens=SecretStr(TOKEN_SPEC), require_if_match=True)
    )
    with TestClient(app) as client:
        cid = Handler(client).declare()["claim_id"]
        missing = client.post(f"/api/v1/claims/{cid}/notes", json=NOTE, headers=auth("handler"))
        assert missing.status_code == 428
        given = client.post(
            f"/api/v1/claims/{cid}/notes", json=NOTE, headers={**auth("handler"), "If-Match": '"1"'}
        )
        assert given.status_code == 200


# ---------------------------------------------------------------- idempotency


def test_a_retried_idempotency_key_returns_the_first_response_and_writes_nothing(
    api: TestClient,
) -> None:
    cid = Handler(api).declare()["claim_id"]
    headers = {**auth("handler"), "Idempotency-Key": "note-42"}
    first = api.post(f"/api/v1/claims/{cid}/notes", json=NOTE, headers=headers)
    # Another change in between: the retry must still answer what the first request did.
    api.post(f"/api/v1/claims/{cid}/notes", json=NOTE, headers=auth("handler"))
    retry = api.post(f"/api/v1/claims/{cid}/notes", json=NOTE, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert retry.headers["ETag"] == '"2"'
    assert retry.headers["Idempotent-Replayed"] == "true"
    history = api.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).json()
    assert len(history["items"]) == 3

    reused = api.post(
        f"/api/v1/claims/{cid}/notes", json={**NOTE, "text": "other"}, headers=headers
    )
    assert reused.status_code == 422
    assert reused.json()["type"] == "/problems/idempotency-key-reused"


def test_a_retried_declaration_issues_one_claim_number(api: TestClient) -> None:
    headers = {**auth("handler"), "Idempotency-Key": "declare-1"}
    first = api.post("/api/v1/claims", json=declaration_body(), headers=headers)
    retry = api.post("/api/v1/claims", json=declaration_body(), headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["claim_id"] == first.json()["claim_id"]
    assert retry.headers["Location"] == first.headers["Location"]
    assert Handler(api).declare()["claim_number"] == "S20000002"


def test_idempotency_keys_are_scoped_to_the_caller(api_sqlite: TestClient) -> None:
    cid = Handler(api_sqlite).declare()["claim_id"]
    for role in ("handler", "admin"):
        response = api_sqlite.post(
            f"/api/v1/claims/{cid}/notes",
            json=NOTE,
            headers={**auth(role), "Idempotency-Key": "same-key"},
        )
        assert response.status_code == 200
    assert api_sqlite.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()["version"] == 3


def test_idempotency_keys_survive_a_restart(sqlite_url: str) -> None:
    from tests.services.conftest import make_client

    headers = {**auth("handler"), "Idempotency-Key": "k-restart"}
    with make_client(sqlite_url) as client:
        cid = Handler(client).declare()["claim_id"]
        first = client.post(f"/api/v1/claims/{cid}/notes", json=NOTE, headers=headers)
    with make_client(sqlite_url) as client:
        retry = client.post(f"/api/v1/claims/{cid}/notes", json=NOTE, headers=headers)
        assert retry.json() == first.json()
        assert client.get(f"/api/v1/claims/{cid}", headers=headers).json()["version"] == 2


# ---------------------------------------------------------------- 20 concurrent clients


@pytest.fixture
def live_server(database_url: str) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread."""
    port = free_port()
    app = create_app(Settings(database_url=database_url, api_tokens=SecretStr(TOKEN_SPEC)))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_twenty_concurrent_clients_commanding_one_claim_lose_no_update(live_server: str) -> None:
    with httpx.Client(base_url=live_server, headers=auth("handler"), timeout=60) as client:
        created = client.post("/api/v1/claims", json=declaration_body())
        cid = created.json()["claim_id"]
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def client_work(index: int) -> None:
        with httpx.Client(base_url=live_server, headers=auth("handler"), timeout=60) as c:
            start.wait()
            for n in range(5):
                r = c.post(
                    f"/api/v1/claims/{cid}/notes",
                    json={"text": f"client {index} note {n}", "noted_on": "2026-03-05"},
                )
                with lock:
                    statuses.append(r.status_code)

    threads = [threading.Thread(target=client_work, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == 100
    assert set(statuses) <= {200, 409}, statuses
    with httpx.Client(base_url=live_server, headers=auth("auditor"), timeout=60) as client:
        final = client.get(f"/api/v1/claims/{cid}").json()
        history = client.get(f"/api/v1/claims/{cid}/history").json()["items"]
    assert final["version"] == 1 + statuses.count(200)
    assert len(history) == final["version"]


# ---------------------------------------------------------------- roles

READ = {"handler", "manager", "auditor", "admin", "medical_adviser"}
# Handler commands; on a claim assigned to a handler, only that handler's and admins'
# (claim ownership: tests/services/test_ownership.py runs each of them that way).
COMMAND = {"handler", "admin"}
ASSIGN = {"manager", "admin"}  # to a user with the handler role only
MATRIX: dict[tuple[str, str], set[str] | None] = {
    ("GET", "/healthz"): None,  # no authentication
    ("GET", "/readyz"): READ,
    ("GET", "/metrics"): READ,
    ("GET", "/api/v1/contracts"): READ,
    ("GET", "/api/v1/claims/by-number/{claim_number}"): READ,
    ("GET", "/api/v1/claims/{claim_id}"): READ,
    ("GET", "/api/v1/claims/{claim_id}/history"): READ,
    ("GET", "/api/v1/claims/{claim_id}/audit-trail"): READ,
    ("GET", "/api/v1/claims"): READ,
    ("GET", "/api/v1/claims/search"): READ,  # staff: every role with a token
    ("GET", "/api/v1/sla"): READ,
    ("GET", "/api/v1/worklist"): READ,
    ("GET", "/api/v1/dashboard"): {"manager", "admin"},
    ("GET", "/api/v1/financials"): {"manager", "auditor", "admin"},
    ("GET", "/api/v1/worklist/payments"): READ,
    # Money (api.md v2 §1): managers reserve and approve; the rest are handler commands.
    ("POST", "/api/v1/claims/{claim_id}/reserve"): {"handler", "manager", "admin"},
    ("POST", "/api/v1/claims/{claim_id}/payments/{payment_id}/approval"): ASSIGN,
    ("GET", "/api/v1/admin/dead-letters"): {"auditor", "admin"},
    ("POST", "/api/v1/admin/dead-letters/{dead_letter_id}/retry"): {"admin"},
    ("GET", "/api/v1/reports/complaints-register"): {"manager", "auditor", "admin"},
    ("GET", "/api/v1/reports/bordereau"): {"manager", "auditor", "admin"},
    ("GET", "/api/v1/reports/triangles"): {"manager", "auditor", "admin"},
    # Documents and the insured's side (api.md v2 §3, §4).
    ("GET", "/api/v1/claims/{claim_id}/documents"): READ,
    ("GET", "/api/v1/claims/{claim_id}/documents/{document_id}/content"): READ,
    ("GET", "/api/v1/admin/medical-reads"): {"auditor", "admin"},
    ("POST", "/api/v1/insured/sessions"): None,  # no authentication
    ("POST", "/api/v1/insured/declarations"): {"portal", "admin"},
    # An insured session's token only (tests/services/test_api_insured.py): no staff role.
    ("GET", "/api/v1/insured/claim"): set(),
    ("PUT", "/api/v1/insured/claim/bank-details"): set(),
    ("POST", "/api/v1/insured/claim/documents"): set(),
    # Personal data (api.md v2 §6).
    ("POST", "/api/v1/subjects/{subject_id}/erasure"): {"admin"},
    ("GET", "/api/v1/retention"): {"auditor", "admin"},
    ("POST", "/api/v1/claims"): COMMAND,
    # Notifications (api.md v2 §5): the sender reports deliveries; staff read them.
    ("POST", "/api/v1/notifications/{notification_id}/delivery"): {"notifier", "admin"},
    ("GET", "/api/v1/claims/{claim_id}/notifications"): READ,
    ("POST", "/api/v1/claims/{claim_id}/assignment"): ASSIGN,
    **{
        ("POST", f"/api/v1/claims/{{claim_id}}/{path}"): COMMAND
        for path in (
            "proof-requests",
            "proofs",
            "card-insurer-position",
            "assessment",
            "settlement",
            "closure",
            "withdrawal",
            "complaints",
            "complaints/{complaint_id}/acknowledgement",
            "complaints/{complaint_id}/answer",
            "complaints/{complaint_id}/escalation",
            "complaints/{complaint_id}/qualification",
            "complaints/{complaint_id}/corrective-actions",
            "complaints/{complaint_id}/corrective-actions/{action_id}/completion",
            "mediation",
            "mediation/outcome",
            "reopening",
            "notes",
            "prescription-interruptions",
            "payments",
            "payments/{payment_id}/issuance",
            "payments/{payment_id}/failure",
            "payments/{payment_id}/cancellation",
            "recoveries",
            "recoveries/{recovery_id}/receipt",
            "recoveries/{recovery_id}/write-off",
            "documents",
            "documents/{document_id}/rejection",
            "access-code",
        )
    },
}
# What the routes without authentication answer to the probe's empty body.
PUBLIC_STATUS = {("POST", "/api/v1/insured/sessions"): 422}


def test_the_permission_matrix_covers_every_endpoint_of_the_openapi_document(
    api_sqlite: TestClient,
) -> None:
    paths = api_sqlite.get("/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert documented == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_permission_matrix(api_sqlite: TestClient, method: str, path: str) -> None:
    url = path.format(
        claim_id="00000000-0000-0000-0000-000000000001",
        complaint_id="R1",
        action_id="R1-A1",
        payment_id="S20000001-P1",
        recovery_id="S20000001-RC1",
        claim_number="S20000001",
        dead_letter_id="00000000-0000-0000-0000-000000000002",
        document_id="S20000001-D1",
        notification_id="00000000-0000-0000-0000-000000000003",
        subject_id="00000000-0000-0000-0000-000000000004",
    )
    allowed = MATRIX[(method, path)]

    def call(headers: dict[str, str]) -> int:
        body: dict[str, str] | None = {} if method in ("POST", "PUT") else None
        return int(api_sqlite.request(method, url, json=body, headers=headers).status_code)

    if allowed is None:
        assert call({}) == PUBLIC_STATUS.get((method, path), 200)
        return
    assert call({}) == 401
    assert call({"Authorization": "Bearer not-a-real-token-at-all"}) == 401
    assert call({"Authorization": TOKENS["handler"]}) == 401  # no Bearer scheme
    for role in TOKENS:
        status = call(auth(role))
        if role in allowed:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


def test_the_actor_recorded_is_the_authenticated_user(api_sqlite: TestClient) -> None:
    cid = Handler(api_sqlite).declare()["claim_id"]
    Handler(api_sqlite, role="manager").command(cid, "assignment", {"handler": "handler-user"})
    items = api_sqlite.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).json()
    assert [i["actor"] for i in items["items"]] == ["handler-user", "manager-user"]


def test_tokens_must_be_configured_outside_dev(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="CLAIMS_API_TOKENS"):
        create_app(Settings(database_url=sqlite_url))


def test_dev_tokens_are_announced(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    create_app(Settings(database_url=sqlite_url, env="dev"))
    assert "DEVELOPMENT TOKENS ARE ACTIVE" in capsys.readouterr().err


# ---------------------------------------------------------------- bad input


def _declare(client: TestClient, body: Any) -> httpx.Response:
    response: httpx.Response = client.post("/api/v1/claims", json=body, headers=auth("handler"))
    return response


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"insured": [{"name": "A", "trip_price": 1200}]}, "insured[0].trip_price"),
        ({"insured": [{"name": "A", "trip_price": "12,5"}]}, "insured[0].trip_price"),
        ({"insured": [{"name": "A", "trip_price": "1e3"}]}, "insured[0].trip_price"),
        ({"insured": [{"name": "A", "trip_price": "-5.00"}]}, "insured[0].trip_price"),
        ({"insured": [{"name": "A", "trip_price": "1.005"}]}, "insured[0].trip_price"),
        ({"insured": [{"name": f"P{i}", "trip_price": "1.00"} for i in range(10)]}, "insured"),
        ({"insured": []}, "insured"),
        ({"event_date": "2026-02-30"}, "event_date"),
        ({"event_date": "02/03/2026"}, "event_date"),
        ({"event_date": 20260302}, "event_date"),
        ({"contract": "NOPE"}, "contract"),
        ({"guarantee": "teleportation"}, "guarantee"),
        ({"guarantee": "baggage"}, "guarantee"),
        ({"cause": {"category": "Z", "code": "x"}}, "cause.category"),
        ({"cause": {"category": "medical", "code": "x"}}, "cause.category"),
        ({"declared_on": "2026-03-01"}, "declared_on"),
        ({"subscription_number": 7}, "subscription_number"),
        ({"unexpected": True}, "unexpected"),
    ],
)
def test_bad_declarations_are_422_naming_the_field(
    api_sqlite: TestClient, overrides: dict[str, Any], field: str
) -> None:
    response = _declare(api_sqlite, declaration_body(**overrides))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_malformed_json_is_a_400(api_sqlite: TestClient) -> None:
    response = api_sqlite.post(
        "/api/v1/claims",
        content=b'{"contract": ',
        headers={**auth("handler"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-json"


def test_an_unknown_document_code_is_422_naming_it(api_sqlite: TestClient) -> None:
    cid = Handler(api_sqlite).declare()["claim_id"]
    response = api_sqlite.post(
        f"/api/v1/claims/{cid}/proof-requests",
        json={"documents": ["horoscope"], "requested_on": "2026-03-05"},
        headers=auth("handler"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "documents[0]"


def test_a_refusal_without_reason_is_422(api_sqlite: TestClient) -> None:
    cid = Handler(api_sqlite).declare()["claim_id"]
    response = api_sqlite.post(
        f"/api/v1/claims/{cid}/assessment",
        json={"decision": "refuse", "decided_on": "2026-03-05"},
        headers=auth("handler"),
    )
    assert response.status_code == 422
    assert "reason" in response.text


def test_unknown_claims_and_routes_are_problem_documents(api_sqlite: TestClient) -> None:
    for url in ("/api/v1/claims/00000000-0000-0000-0000-000000000009", "/api/v1/nothing"):
        response = api_sqlite.get(url, headers=auth("auditor"))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert api_sqlite.get("/api/v1/claims/not-a-uuid", headers=auth("auditor")).status_code == 422


def test_an_unexpected_error_is_a_500_problem_with_a_correlation_id_and_no_details(
    api_sqlite: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.application import ClaimsApplication

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Jeanne Martin hospitalised")

    monkeypatch.setattr(ClaimsApplication, "history", explode)
    response = api_sqlite.get(
        "/api/v1/claims/00000000-0000-0000-0000-000000000009/history",
        headers={**auth("auditor"), "X-Request-ID": "trace-me"},
    )
    assert response.status_code == 500
    body = response.json()
    assert body["correlation_id"] == "trace-me"
    assert "Jeanne" not in response.text
    assert response.headers["X-Request-ID"] == "trace-me"
