"""An API client over a real store (SQLite and PostgreSQL), with one token per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from infra.settings import Settings
from services.http.app import create_app

TOKENS = {
    "handler": "handler-token-0001",
    "manager": "manager-token-0001",
    "auditor": "auditor-token-0001",
    "admin": "admin-token-00001",
    "medical_adviser": "medical-token-0001",
    "portal": "portal-token-00001",
}
TOKEN_SPEC = ",".join(f"{token}={role}-user:{role}" for role, token in TOKENS.items())


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


def declaration_body(**overrides: Any) -> dict[str, Any]:
    """The README's example declaration."""
    body: dict[str, Any] = {
        "contract": "CA2624",
        "subscription_number": "NQ7LVFB",
        "guarantee": "cancellation",
        "cause": {"category": "A", "code": "serious_illness", "description": "hospitalised"},
        "event_date": "2026-03-02",
        "known_on": "2026-03-02",
        "declared_on": "2026-03-04",
        "booking_date": "2026-01-10",
        "subscription_date": "2026-01-10",
        "trip": {
            "departure_date": "2026-03-20",
            "return_date": "2026-03-27",
            "destination": "Lisbon",
            "transport_price": "500.00",
        },
        "insured": [{"name": "Jeanne Martin", "trip_price": "1200.00"}],
        "settlement_mode": "cash",
    }
    body.update(overrides)
    return body


SITE = "https://testserver"  # the pages' cookies are Secure: the test client speaks https
ORIGIN = {"Origin": SITE}  # what a browser sends with a form POST from the site's own page
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_client(database_url: str, token_spec: str = TOKEN_SPEC, **settings: Any) -> TestClient:
    settings.setdefault("api_tokens", SecretStr(token_spec))
    return TestClient(
        create_app(Settings(database_url=database_url, **settings)),
        base_url=SITE,
        raise_server_exceptions=False,
    )


def csrf_of(page: str) -> str:
    """The CSRF token of the (first) form of a page."""
    found = CSRF.search(page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def page_login(
    client: TestClient, role: str = "manager", target: str = "/dashboard"
) -> httpx.Response:
    """Log in through the login form, as a browser does; the answer is not followed."""
    form = client.get("/login", params={"next": target})
    response: httpx.Response = client.post(
        "/login",
        data={"token": TOKENS[role], "csrf": csrf_of(form.text), "next": target},
        headers=ORIGIN,
        follow_redirects=False,
    )
    return response


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url) as client:
        yield client


@pytest.fixture
def api_sqlite(sqlite_url: str) -> Iterator[TestClient]:
    """For tests whose subject is the HTTP layer itself, not the store."""
    with make_client(sqlite_url) as client:
        yield client


class Handler:
    """Drives one claim through the API as a handler would."""

    def __init__(self, client: TestClient, role: str = "handler") -> None:
        self.client = client
        self.headers = auth(role)

    def declare(self, **overrides: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/claims", json=declaration_body(**overrides), headers=self.headers
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def command(
        self, claim_id: str, path: str, body: dict[str, Any], expect: int = 200, **headers: str
    ) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/claims/{claim_id}/{path}", json=body, headers={**self.headers, **headers}
        )
        assert response.status_code == expect, response.text
        return dict(response.json())
