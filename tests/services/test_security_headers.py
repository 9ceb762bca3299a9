"""Security headers on every page and API answer (services/http/security_headers.py), and pages
that need no inline script or style to work under their policy (the browser tests check that
Chromium reports no violation)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import structlog
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from services.http.docs import inline_scripts, script_hash
from services.http.security_headers import API_CSP, PAGE_CSP
from tests.services.conftest import Handler, auth, page_login


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's closed stderr.
    structlog.reset_defaults()


HTTP = Path(__file__).resolve().parents[2] / "services" / "http"
NOT_PAGES = {
    "/openapi.json",
    "/language",  # a redirect that sets the language cookie
    # A document's bytes, not a page (tests/services/test_api_documents.py checks them); the
    # insured's claim page opens with an insured's session, not a staff login
    # (tests/services/test_insured_pages.py checks its headers).
    "/claims/{claim_number}/documents/{document_id}/content",
    "/insured/claim",
}


def page_routes(client: TestClient) -> set[str]:
    """The app's GET routes outside the OpenAPI document: its pages."""
    return {
        str(context.path)
        for context in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if "GET" in (context.methods or set())
        and not getattr(context, "include_in_schema", True)
        and context.path not in NOT_PAGES
    }


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.url
    if response.url.path not in ("/docs", "/redoc"):
        assert response.headers["Content-Security-Policy"] == PAGE_CSP
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_every_page_carries_the_security_headers(api_sqlite: TestClient) -> None:
    client = api_sqlite
    number = Handler(client).declare()["claim_number"]
    pages = page_routes(client)
    assert {"/login", "/logout", "/dashboard", "/claims/{claim_number}", "/docs"} <= pages
    urls = sorted({path.format(claim_number=number) for path in pages})
    anonymous = [client.get(url, follow_redirects=False) for url in urls]
    assert page_login(client, "handler").status_code == 303
    refused = client.get("/dashboard")  # 403 page: not a handler's
    assert page_login(client, "admin").status_code == 303  # every page
    logged_in = [client.get(url) for url in urls]
    errors = [
        client.get("/dashboard", params={"as_of": "2026-13-45"}),  # 422 page
        client.get("/claims/S29999999"),  # 404 page
        client.get("/dashboard", params={"as_of": "2026-04-01", "breached_after": "nope"}),
        refused,
    ]
    assert [r.status_code for r in errors] == [422, 404, 422, 403]
    assert all(r.status_code == 200 for r in logged_in)
    # Files, not pages: the audit trail's CSV and the favicon.
    downloads = [r for r in logged_in if r.url.path.endswith((".csv", ".ico"))]
    assert len(downloads) == 2
    for response in downloads:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    pages_shown = [r for r in logged_in if r not in downloads]
    shown_anonymously = [
        r for r in anonymous if r.status_code == 200 and r.url.path != "/favicon.ico"
    ]
    for response in pages_shown + errors + shown_anonymously:
        assert_page_headers(response)
    redirects = [r for r in anonymous if r.status_code == 303]
    # Home, the dashboard, the worklist, the claim page, the declaration form, the audit page
    # and its CSV, the search page, the log-out page and the claim's documents send to the
    # log-in page.
    assert len(redirects) == 10
    for response in redirects:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


def test_api_answers_are_not_stored_nor_sniffed(api_sqlite: TestClient) -> None:
    client = api_sqlite
    declared = client.post(
        "/api/v1/claims",
        json={"contract": "CA2624"},  # 422
        headers=auth("handler"),
    )
    claim = Handler(client).declare()
    answers = [
        declared,
        client.get(f"/api/v1/claims/{claim['claim_id']}", headers=auth("auditor")),
        client.get("/api/v1/claims", headers=auth("auditor")),
        client.get(f"/api/v1/claims/{claim['claim_id']}/history", headers=auth("auditor")),
        client.get("/api/v1/claims"),  # 401
        client.get("/api/v1/claims/by-number/S29999999", headers=auth("auditor")),  # 404
        client.get("/api/v1/nothing-here", headers=auth("auditor")),  # 404
        client.get("/healthz"),
        client.get("/readyz", headers=auth("manager")),
        client.get("/metrics", headers=auth("manager")),
        client.get("/openapi.json"),
    ]
    assert [r.status_code for r in answers] == [
        422,
        200,
        200,
        200,
        401,
        404,
        404,
        200,
        200,
        200,
        200,
    ]
    for response in answers:
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url
        assert response.headers["Cache-Control"] == "no-store", response.url
        assert response.headers["Content-Security-Policy"] == API_CSP, response.url


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/static/app.css", "text/css"),
    ],
)
def test_static_assets_are_typed_and_may_be_cached(
    api_sqlite: TestClient, path: str, media_type: str
) -> None:
    response = api_sqlite.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_the_documentation_page_allows_its_own_script_only(api_sqlite: TestClient) -> None:
    page = api_sqlite.get("/docs")
    assert_page_headers(page)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["Content-Security-Policy"].split(";")
    )
    scripts = policy["script-src"].split()
    assert scripts[0] == "'self'"
    assert inline_scripts(page.text)  # Swagger UI starts inline
    assert sorted(scripts[1:]) == sorted(f"'{script_hash(s)}'" for s in inline_scripts(page.text))
    assert policy["style-src"] == "'self'"
    assert "http" not in page.headers["Content-Security-Policy"]  # no other origin
    for gone in ("/redoc", "/docs/oauth2-redirect"):
        assert api_sqlite.get(gone).status_code == 404


@pytest.mark.parametrize(
    "template", sorted((HTTP / "templates").glob("*.html")), ids=lambda p: p.name
)
def test_no_template_has_inline_script_or_style(template: Path) -> None:
    text = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == []
    assert "<style" not in text
    assert re.findall(r"\sstyle=", text) == []
    assert re.findall(r"\son[a-z]+=", text) == []  # event handler attributes
    assert "javascript:" not in text


def test_the_dashboard_charts_need_no_script_nor_inline_style(api_sqlite: TestClient) -> None:
    """The charts are SVG drawn on the server (services/http/charts.py): the rendered page,
    not only its template, has no script at all and no style attribute."""
    assert page_login(api_sqlite).status_code == 303
    page = api_sqlite.get("/dashboard").text
    assert "<script" not in page
    assert "<style" not in page
    assert re.findall(r"\sstyle=", page) == []
    assert re.findall(r"\son[a-z]+=", page) == []
    assert api_sqlite.get("/static/plotly.min.js").status_code == 404
