"""FastAPI's interactive documentation, under a Content-Security-Policy of its own.

Swagger UI and Redoc load their code and styles from a CDN, and Swagger UI starts with an inline
script: the strict policy of the pages (services/http/security_headers.py) would block them. Each
documentation page names exactly what it loads, and its inline script by hash, computed from
the page as served. They carry no personal data. FastAPI's OAuth2 redirect page is not served:
the API takes bearer tokens, not OAuth2 flows.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

CDN = "https://cdn.jsdelivr.net"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hash(script: str) -> str:
    """The CSP source expression of one inline script's text."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def inline_scripts(html: str) -> list[str]:
    """The text of every inline `<script>` of a page (those without `src`)."""
    return list(INLINE_SCRIPT.findall(html))


def docs_csp(scripts: Iterable[str]) -> str:
    hashes = "".join(f" '{script_hash(script)}'" for script in scripts)
    return (
        f"default-src 'self'; script-src 'self' {CDN}{hashes}; "
        # Both write inline styles (Redoc's styled components, <style> elements): these pages only.
        f"style-src 'self' {CDN} https://fonts.googleapis.com 'unsafe-inline'; "
        "font-src 'self' https://fonts.gstatic.com; "
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
        "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = docs_csp(inline_scripts(bytes(page.body).decode()))
    return page


def docs_router(title: str, openapi_url: str) -> APIRouter:
    """`/docs` (Swagger UI) and `/redoc`, as FastAPI serves them, with their policy."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(openapi_url=root + openapi_url, title=f"{title} - Swagger UI")
        return _with_policy(page)

    @router.get("/redoc")
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_redoc_html(openapi_url=root + openapi_url, title=f"{title} - ReDoc")
        return _with_policy(page)

    return router
