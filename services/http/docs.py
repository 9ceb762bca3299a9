"""The API docs (`/docs`, Swagger UI) served from an installed package's own assets, so they
work without internet and load nothing from another origin; there is no ReDoc page.

Swagger UI starts with an inline script, which the pages' Content-Security-Policy refuses
(services/http/security_headers.py): the page names it in a policy of its own, by its hash,
computed from the page as served (docs/adr/0022-security-headers-and-request-limits.md)."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/docs"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hash(script: str) -> str:
    """The CSP source expression of one inline script's text."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def inline_scripts(html: str) -> list[str]:
    """The text of every inline `<script>` of a page (those without `src`)."""
    return list(INLINE_SCRIPT.findall(html))


def docs_csp(html: str) -> str:
    """The pages' policy, with the page's own inline scripts allowed by hash, and data: images
    (Swagger UI's icons)."""
    hashes = "".join(f" '{script_hash(script)}'" for script in inline_scripts(html))
    return (
        f"default-src 'self'; script-src 'self'{hashes}; style-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def install_docs(app: FastAPI) -> None:
    """`GET /docs` and its assets: Swagger UI 5 as shipped by the `fastapi-offline` package
    (its `static/` folder), for an app created with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} — API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No call to the public schema validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = docs_csp(bytes(page.body).decode())
        return page
