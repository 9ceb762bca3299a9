"""Claim ownership through HTTP (docs/adr/0020-claim-ownership.md): a claim assigned to a
handler takes handler commands only from that handler (and admins); an unassigned claim takes
them from any handler; a claim is assigned only to a user with the handler role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.services.conftest import TOKEN_SPEC, Handler, auth, make_client
from tests.services.test_api_contract import COMMAND, MATRIX
from tests.services.test_api_plausibility import command_bodies

SECOND_HANDLER = {"Authorization": "Bearer second-handler-token-0001"}
SPEC = f"{TOKEN_SPEC},second-handler-token-0001=handler-two:handler"
# Managers assign and approve; the reserve is a handler command that managers run too (on
# any claim: tested below).
HANDLER_COMMANDS = sorted(
    url.removeprefix("/api/v1/claims/{claim_id}/")
    for url in command_bodies()
    if url.startswith("/api/v1/claims/")
    and not url.endswith(("/assignment", "/approval", "/reserve"))
)
IDS = {
    "complaint_id": "R1",
    "action_id": "R1-A1",
    "payment_id": "S20000001-P1",
    "recovery_id": "S20000001-RC1",
    "document_id": "S20000001-D1",
}


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's closed stderr.
    structlog.reset_defaults()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url, api_tokens=SecretStr(SPEC)) as api:
        yield api


@pytest.fixture
def client_sqlite(sqlite_url: str) -> Iterator[TestClient]:
    with make_client(sqlite_url, api_tokens=SecretStr(SPEC)) as api:
        yield api


def _assign(client: TestClient, claim_id: str, handler: str, role: str = "manager") -> None:
    Handler(client, role=role).command(claim_id, "assignment", {"handler": handler})


def _post(client: TestClient, claim_id: str, path: str, headers: dict[str, str]) -> int:
    body = command_bodies()[f"/api/v1/claims/{{claim_id}}/{path}"]
    url = f"/api/v1/claims/{claim_id}/{path.format(**IDS)}"
    return int(client.post(url, json=body, headers=headers).status_code)


def _version(client: TestClient, claim_id: str) -> int:
    return int(client.get(f"/api/v1/claims/{claim_id}", headers=auth("auditor")).json()["version"])


def test_ownership_narrows_every_handler_command_of_the_role_matrix() -> None:
    """The role matrix gives these endpoints to handlers and admins; ownership narrows each
    of them further, on an assigned claim, to its handler (and admins)."""
    in_matrix = {
        path.removeprefix("/api/v1/claims/{claim_id}/")
        for (method, path), roles in MATRIX.items()
        if method == "POST" and roles == COMMAND and path != "/api/v1/claims"
    }
    assert set(HANDLER_COMMANDS) == in_matrix
    # 16, 3 of complaint qualification, 7 of money, 3 of documents and the access code
    assert len(HANDLER_COMMANDS) == 29


def test_given_an_unassigned_claim_when_any_handler_acts_then_it_is_done(
    client: TestClient,
) -> None:
    cid = Handler(client).declare()["claim_id"]
    for headers in (auth("handler"), SECOND_HANDLER):
        note = {"text": "called the insured", "noted_on": "2026-03-05"}
        response = client.post(f"/api/v1/claims/{cid}/notes", json=note, headers=headers)
        assert response.status_code == 200, response.text
    assert _version(client, cid) == 3


@pytest.mark.parametrize("path", HANDLER_COMMANDS)
def test_given_a_claim_assigned_to_h1_when_h2_runs_a_handler_command_then_403_not_your_claim(
    client_sqlite: TestClient, path: str
) -> None:
    cid = Handler(client_sqlite).declare()["claim_id"]
    _assign(client_sqlite, cid, "handler-user")
    body = command_bodies()[f"/api/v1/claims/{{claim_id}}/{path}"]
    url = f"/api/v1/claims/{cid}/{path.format(**IDS)}"
    for headers in (SECOND_HANDLER, {**SECOND_HANDLER, "Idempotency-Key": "k-1"}):
        response = client_sqlite.post(url, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/not-your-claim"
        assert "handler-user" in response.json()["detail"]
    assert _version(client_sqlite, cid) == 2  # nothing written
    # The assigned handler and an admin are not refused (the rules of the claim's state may
    # still answer 409: only ownership is asked here).
    for role in ("handler", "admin"):
        assert _post(client_sqlite, cid, path, auth(role)) != 403, role
    assert _post(client_sqlite, cid, path, auth("manager")) == 403  # the role matrix's


def test_given_a_claim_assigned_to_h1_then_h1_and_admins_act_and_h2_is_refused(
    client: TestClient,
) -> None:
    cid = Handler(client).declare()["claim_id"]
    _assign(client, cid, "handler-user")
    request = {"documents": ["medical_certificate"], "requested_on": "2026-03-05"}
    url = f"/api/v1/claims/{cid}/proof-requests"
    assert client.post(url, json=request, headers=SECOND_HANDLER).status_code == 403
    assert client.post(url, json=request, headers=auth("handler")).status_code == 200
    proof = {"document": "medical_certificate", "received_on": "2026-03-06"}
    received = client.post(f"/api/v1/claims/{cid}/proofs", json=proof, headers=auth("admin"))
    assert received.status_code == 200, received.text
    history = client.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).json()
    assert [i["actor"] for i in history["items"]] == [
        "handler-user",
        "manager-user",
        "handler-user",
        "admin-user",
    ]


def test_a_reassignment_moves_the_claim_to_the_new_handler(client_sqlite: TestClient) -> None:
    cid = Handler(client_sqlite).declare()["claim_id"]
    _assign(client_sqlite, cid, "handler-user")
    _assign(client_sqlite, cid, "handler-two", role="admin")
    note = {"text": "called the insured", "noted_on": "2026-03-05"}
    url = f"/api/v1/claims/{cid}/notes"
    assert client_sqlite.post(url, json=note, headers=auth("handler")).status_code == 403
    assert client_sqlite.post(url, json=note, headers=SECOND_HANDLER).status_code == 200


def test_managers_assign_but_do_not_run_handler_commands(client_sqlite: TestClient) -> None:
    cid = Handler(client_sqlite).declare()["claim_id"]
    note = {"text": "called the insured", "noted_on": "2026-03-05"}
    refused = client_sqlite.post(f"/api/v1/claims/{cid}/notes", json=note, headers=auth("manager"))
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/forbidden"
    _assign(client_sqlite, cid, "handler-two")


@pytest.mark.parametrize("who", ["marie", "manager-user", "admin-user", "auditor-user", ""])
def test_an_assignment_to_a_user_without_the_handler_role_is_422_naming_handler(
    client: TestClient, who: str
) -> None:
    cid = Handler(client).declare()["claim_id"]
    response = client.post(
        f"/api/v1/claims/{cid}/assignment", json={"handler": who}, headers=auth("manager")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "handler" in [e["field"] for e in response.json()["errors"]]
    assert _version(client, cid) == 1


def test_the_handler_role_is_read_from_the_configured_tokens(sqlite_url: str) -> None:
    # The same user id may hold several tokens; one with the handler role is enough.
    spec = f"{TOKEN_SPEC},other-token-00000001=manager-user:handler"
    with make_client(sqlite_url, api_tokens=SecretStr(spec)) as api:
        cid = Handler(api).declare()["claim_id"]
        _assign(api, cid, "manager-user")


def test_the_reserve_is_owner_checked_for_handlers_and_open_to_managers(
    client: TestClient,
) -> None:
    """Managers approve and reserve (docs/adr/0020-claim-ownership.md), on any claim."""
    cid = Handler(client).declare()["claim_id"]
    _assign(client, cid, "handler-user")
    body = {"amount": "800.00", "set_on": "2026-03-05", "reason": "first estimate"}
    url = f"/api/v1/claims/{cid}/reserve"
    refused = client.post(url, json=body, headers=SECOND_HANDLER)
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/not-your-claim"
    assert _version(client, cid) == 2
    for role, amount in (("handler", "800.00"), ("manager", "900.00"), ("admin", "0.00")):
        done = client.post(url, json={**body, "amount": amount}, headers=auth(role))
        assert done.status_code == 200, done.text
        assert done.json()["financials"]["reserve"] == amount
    assert client.post(url, json=body, headers=auth("auditor")).status_code == 403
    history = client.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).json()
    assert [i["type"] for i in history["items"][2:]] == [
        "ReserveSet",
        "ReserveAdjusted",
        "ReserveReleased",
    ]
