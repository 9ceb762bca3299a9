"""Bounded requests: a body over its limit gets 413, and a request to a bearer route without a
valid token gets its 401, both before the body is read (services/http/limits.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from starlette.types import Message

from infra.settings import Settings
from services.http.app import create_app
from services.http.auth import TokenRegistry
from services.http.deps import current_principal
from services.http.insured import insured_claim
from services.http.limits import BodyLimits, RequestGuard, needs_bearer
from tests.services.conftest import TOKEN_SPEC, TOKENS, Handler, auth, make_client
from tests.support import PeakMemory, free_port, send_large_body


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's closed stderr.
    structlog.reset_defaults()


NOTE = {"text": "called the insured", "noted_on": "2026-03-05"}
MIB = 1024 * 1024


def _depends_on_the_bearer_token(dependant: Any) -> bool:
    # A staff or portal token (current_principal), or an insured session's (insured_claim).
    return dependant.call in (current_principal, insured_claim) or any(
        _depends_on_the_bearer_token(d) for d in dependant.dependencies
    )


def test_the_guard_checks_the_token_of_exactly_the_routes_that_need_one(sqlite_url: str) -> None:
    app = create_app(Settings(database_url=sqlite_url, api_tokens=SecretStr(TOKEN_SPEC)))
    routes = [
        (str(context.path), context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert len(routes) > 30
    for path, route in routes:
        assert needs_bearer(path) == _depends_on_the_bearer_token(route.dependant), path
    for public in ("/healthz", "/login", "/dashboard", "/docs", "/openapi.json", "/static/a.css"):
        assert not needs_bearer(public)


# ---------------------------------------------------------------- the guard alone


def _run_guard(
    guard: RequestGuard, method: str, path: str, headers: list[tuple[bytes, bytes]]
) -> list[Message]:
    """One request through the guard, whose receive fails the test if anything reads it."""
    sent: list[Message] = []

    async def receive() -> Message:
        raise AssertionError("the body was read")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    asyncio.run(guard(scope, receive, send))
    return sent


async def _app_reads_the_body(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    raise AssertionError("the app was called")


def test_the_guard_answers_from_the_headers_alone() -> None:
    guard = RequestGuard(
        _app_reads_the_body, tokens=TokenRegistry(TOKEN_SPEC), limits=BodyLimits(MIB)
    )
    hundred_mb = [(b"content-length", str(100 * MIB).encode())]

    anonymous = _run_guard(guard, "POST", "/api/v1/claims", hundred_mb)
    start = anonymous[0]
    assert start["status"] == 401
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"www-authenticate"] == b"Bearer"
    assert headers[b"connection"] == b"close"  # the unread body goes with the connection
    assert b"/problems/unauthenticated" in anonymous[1]["body"]

    wrong = [(b"authorization", b"Bearer not-a-real-token-at-all"), *hundred_mb]
    assert _run_guard(guard, "POST", "/api/v1/claims", wrong)[0]["status"] == 401
    chunked = [(b"transfer-encoding", b"chunked")]
    assert _run_guard(guard, "POST", "/readyz", chunked)[0]["status"] == 401

    with_token = [(b"authorization", f"Bearer {TOKENS['handler']}".encode()), *hundred_mb]
    too_large = _run_guard(guard, "POST", "/api/v1/claims", with_token)
    assert too_large[0]["status"] == 413
    assert dict(too_large[0]["headers"])[b"connection"] == b"close"
    assert b"1048576 bytes" in too_large[1]["body"]
    # Not a bearer route: the size still counts.
    assert _run_guard(guard, "POST", "/login", hundred_mb)[0]["status"] == 413


def test_limits_per_path_pattern() -> None:
    limits = BodyLimits(MIB, {"/api/v1/claims/*/documents": 20 * MIB, "/api/v1/imports": 5})
    assert limits.for_path("/api/v1/claims/3f2a/documents") == 20 * MIB
    assert limits.for_path("/api/v1/claims/3f2a/notes") == MIB
    assert limits.for_path("/api/v1/imports") == 5
    assert limits.for_path("/api/v1/imports/x") == MIB


def test_the_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("CLAIMS_MAX_BODY_BYTES_BY_PATH", '{"/api/v1/claims/*/documents": 9000}')
    settings = Settings()
    assert settings.max_body_bytes == 2048
    assert settings.max_body_bytes_by_path == {"/api/v1/claims/*/documents": 9000}
    assert Settings.model_fields["max_body_bytes"].default == MIB
    with pytest.raises(ValidationError, match="max_body_bytes"):
        Settings(max_body_bytes=10)
    with pytest.raises(ValidationError, match="max_body_bytes_by_path"):
        Settings(max_body_bytes_by_path={"api/v1": 10})
    with pytest.raises(ValidationError, match="max_body_bytes_by_path"):
        Settings(max_body_bytes_by_path={"/api/v1": 0})


# ---------------------------------------------------------------- through the app


@pytest.fixture
def small(sqlite_url: str) -> Iterator[TestClient]:
    """Limits small enough to cross cheaply: 2 KiB, 8 KiB for notes."""
    with make_client(
        sqlite_url,
        max_body_bytes=2048,
        max_body_bytes_by_path={"/api/v1/claims/*/notes": 8192},
    ) as client:
        yield client


def _note(text: str) -> bytes:
    return f'{{"text": "{text}", "noted_on": "2026-03-05"}}'.encode()


def test_a_body_over_the_limit_is_refused_with_413_naming_it(small: TestClient) -> None:
    cid = Handler(small).declare()["claim_id"]
    headers = {**auth("handler"), "Content-Type": "application/json"}
    over = small.post(f"/api/v1/claims/{cid}/assignment", content=b" " * 2049, headers=headers)
    assert over.status_code == 413
    assert over.headers["content-type"] == "application/problem+json"
    problem = over.json()
    assert problem["type"] == "/problems/request-too-large"
    assert problem["status"] == 413
    assert "2048 bytes" in problem["detail"]
    # The notes' pattern allows more; past it, the same answer with its limit.
    assert (
        small.post(
            f"/api/v1/claims/{cid}/notes", content=_note("x" * 3000), headers=headers
        ).status_code
        == 200
    )
    refused = small.post(f"/api/v1/claims/{cid}/notes", content=_note("x" * 9000), headers=headers)
    assert refused.status_code == 413
    assert "8192 bytes" in refused.json()["detail"]
    history = small.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).json()
    assert len(history["items"]) == 2  # the declaration and the one note accepted


def test_a_body_at_the_limit_is_read(small: TestClient) -> None:
    cid = Handler(small).declare()["claim_id"]
    body = _note("at the limit")
    body += b" " * (2048 - len(body))
    url = f"/api/v1/claims/{cid}/assignment"
    at_limit = small.post(
        url, content=body, headers={**auth("manager"), "Content-Type": "application/json"}
    )
    assert at_limit.status_code == 422  # read and validated: an assignment names a handler


def test_a_streamed_body_is_cut_off_at_the_limit(small: TestClient) -> None:
    cid = Handler(small).declare()["claim_id"]
    read: list[int] = []

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for n in range(100):
            read.append(n)
            yield b'{"text": "' if n == 0 else b"x" * 1000

    response = small.post(
        f"/api/v1/claims/{cid}/notes",
        content=chunks(),
        headers={**auth("handler"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["type"] == "/problems/request-too-large"
    assert "8192 bytes" in response.json()["detail"]
    assert small.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()["version"] == 1


def test_an_anonymous_body_is_answered_401_like_any_other(small: TestClient) -> None:
    response = small.post(
        "/api/v1/claims",
        content=b"{" + b" " * 100_000,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/unauthenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    # Without a body, the same answer (from the route's dependency), and the connection stays.
    plain = small.get("/api/v1/claims")
    assert (plain.status_code, plain.json()["type"]) == (401, "/problems/unauthenticated")
    assert "connection" not in plain.headers


# ---------------------------------------------------------------- a real server


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[int, int]]:
    """`claims serve` in its own process (its memory is its own): (port, pid)."""
    port = free_port()
    env = {
        **os.environ,
        "CLAIMS_DATABASE_URL": sqlite_url,
        "CLAIMS_API_TOKENS": TOKEN_SPEC,
        "CLAIMS_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("claims")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "claims serve stopped"
        assert time.monotonic() < deadline, "claims serve did not start"
        time.sleep(0.2)
    try:
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_a_100_mb_body_without_a_token_is_refused_before_it_is_read(
    served: tuple[int, int],
) -> None:
    port, pid = served
    time.sleep(0.5)
    with PeakMemory(pid) as peak:
        anonymous = send_large_body(port, "/api/v1/claims", 100 * MIB, {})
        with_token = send_large_body(
            port, "/api/v1/claims", 100 * MIB, {"Authorization": f"Bearer {TOKENS['handler']}"}
        )
    # Each answer came while 99.9 % of the body was unsent, and the rest found the door shut
    # (what socket buffers held before the closed connection told, at most).
    assert anonymous.answer.startswith(b"HTTP/1.1 401 ")
    assert b"/problems/unauthenticated" in anonymous.answer
    assert b"connection: close" in anonymous.answer.lower()
    assert anonymous.taken_after < 32 * MIB
    assert with_token.answer.startswith(b"HTTP/1.1 413 ")
    assert b"/problems/request-too-large" in with_token.answer
    assert with_token.taken_after < 32 * MIB
    assert peak.growth_bytes < 32 * MIB, f"the server's peak memory grew by {peak.growth_bytes}"
    # And it still serves.
    url = f"http://127.0.0.1:{port}/api/v1/claims"
    assert httpx.get(url, headers=auth("auditor")).status_code == 200
