"""/docs without a CDN, and the bearer scheme in OpenAPI (the browser check is in
tests/browser/test_docs.py)."""

from __future__ import annotations

import re

import pytest
import structlog
from fastapi.testclient import TestClient


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's closed stderr.
    structlog.reset_defaults()


def test_the_docs_page_loads_only_same_origin_assets(api_sqlite: TestClient) -> None:
    page = api_sqlite.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""", page.text)
    assert urls
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    for url in urls:
        assert api_sqlite.get(url).status_code == 200, url
    assert api_sqlite.get("/redoc").status_code == 404  # dropped: it needs a CDN


def test_openapi_declares_the_bearer_scheme_on_every_authenticated_operation(
    api_sqlite: TestClient,
) -> None:
    spec = api_sqlite.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a token of CLAIMS_API_TOKENS: `Authorization: Bearer <token>`",
    }
    bearer: list[dict[str, list[str]]] = [{"HTTPBearer": []}]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            public = path in ("/healthz", "/api/v1/insured/sessions")  # the insured's log-in
            expected = None if public else bearer
            assert operation.get("security") == expected, (method, path)
