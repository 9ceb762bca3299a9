"""Security headers on every answer (docs/adr/0022-security-headers-and-request-limits.md).

- Pages (`text/html`): a strict Content-Security-Policy — scripts, styles and everything else
  from this origin only, no inline script or style, no framing — `X-Frame-Options: DENY` for
  browsers without `frame-ancestors`, and `Referrer-Policy: no-referrer` (a claim page's URL
  names the claim).
- The API docs (`/docs`, services/http/docs.py) start Swagger UI with an inline script: that
  page sets a policy of its own, the same with its script allowed by hash.
- Everything else: `default-src 'none'` (a JSON answer loads nothing).
- `X-Content-Type-Options: nosniff` everywhere.
- `Cache-Control: no-store` on every answer except the static assets (`/static/`): pages and
  API answers carry personal data, and the few that do not (health, metrics, the OpenAPI
  document) lose nothing by not being cached. An answer that sets its own `Cache-Control`
  keeps it.

A plain ASGI middleware, like `RequestContext` (Starlette's `BaseHTTPMiddleware` is slow).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class SecurityHeaders:
    """Adds the headers above to every HTTP answer, before it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", PAGE_CSP)  # docs: their own
                    headers["X-Frame-Options"] = "DENY"
                    headers["Referrer-Policy"] = "no-referrer"
                else:
                    headers.setdefault("Content-Security-Policy", API_CSP)
                if not path.startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
