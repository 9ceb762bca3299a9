"""Bounded requests: the bearer token and the body's size are checked before a byte of the
body is read (docs/adr/0022-security-headers-and-request-limits.md).

FastAPI reads and parses a body before it runs the dependencies that authenticate, so an
anonymous client could make the server hold any body it sends. `RequestGuard`, a plain ASGI
middleware like `RequestContext`, decides from the headers alone: a request to a bearer route
without a valid token gets its 401 at once, a `Content-Length` over the path's limit its 413,
and a body streamed without `Content-Length` is counted as the app reads it and cut off with a
413 past the limit. A refused request's body is never read: the answer carries
`Connection: close`, so the server drops the rest instead of draining it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import translate

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.http.auth import TokenRegistry
from services.http.deps import UNAUTHENTICATED, bearer_principal
from services.http.problems import problem_response
from services.http.uploads import MAX_UPLOAD_BODY, too_large

# The routes that authenticate with a bearer token (tests/services/test_request_limits.py
# checks this against every route's dependencies): the API and the operations behind a token.
BEARER_PREFIXES = ("/api/",)
BEARER_PATHS = frozenset({"/readyz", "/metrics"})
# The insured's log-in takes no token; the insured's own paths take an insured session's
# token (services/http/insured.py), whose signature is checked here without the database.
PUBLIC_API_PATHS = frozenset({"/api/v1/insured/sessions"})
# Document uploads (api.md v2 §3 rule 3): 10 MiB and the form around it; beyond, the answer
# names the document's own rule. A pattern of CLAIMS_MAX_BODY_BYTES_BY_PATH comes first.
DOCUMENT_PATHS = (
    "/api/v1/claims/*/documents",
    "/api/v1/insured/claim/documents",
    "/insured/claim/document",  # the insured's page
    "/claims/*/documents",  # the handler's page
)


def needs_bearer(path: str) -> bool:
    if path in PUBLIC_API_PATHS:
        return False
    return path in BEARER_PATHS or path.startswith(BEARER_PREFIXES)


class BodyLimits:
    """The largest body accepted for a path: the limit of the first pattern of `by_path` that
    matches it (`*` matches any characters, `/` included), else `default`."""

    def __init__(self, default: int, by_path: Mapping[str, int] | None = None) -> None:
        self.default = default
        self._by_path = [(re.compile(translate(p)), n) for p, n in (by_path or {}).items()]
        self._by_path += [(re.compile(translate(p)), MAX_UPLOAD_BODY) for p in DOCUMENT_PATHS]
        self._documents = [re.compile(translate(p)) for p in DOCUMENT_PATHS]

    def for_path(self, path: str) -> int:
        for pattern, limit in self._by_path:
            if pattern.match(path):
                return limit
        return self.default

    def is_document_path(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self._documents)


class RequestTooLarge(StarletteHTTPException):
    """The body streamed past its limit while the app read it. An HTTPException, so that
    FastAPI's body parsing lets it through to `too_large_handler` untouched."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds the limit of {limit} bytes")
        self.limit = limit


def too_large_response(limit: int, *, document: bool = False) -> JSONResponse:
    if document:
        return too_large().response()
    return problem_response(
        413,
        "request-too-large",
        "Request body too large",
        f"the request body exceeds the limit of {limit} bytes for this path "
        "(CLAIMS_MAX_BODY_BYTES)",
        headers={"Connection": "close"},
    )


async def too_large_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestTooLarge)
    return too_large_response(exc.limit)


def _unauthenticated(*, close: bool) -> JSONResponse:
    # The same answer as services.http.deps.current_principal's, which still checks every
    # request it sees: this guard only makes sure that no body is read first.
    headers = {"WWW-Authenticate": "Bearer"}
    if close:
        headers["Connection"] = "close"  # the body is left unread: drop it with the connection
    return problem_response(*UNAUTHENTICATED, headers=headers)


class RequestGuard:
    """Authentication and the body limit, decided from the headers before the app runs."""

    def __init__(self, app: ASGIApp, *, tokens: TokenRegistry, limits: BodyLimits) -> None:
        self.app = app
        self.tokens = tokens
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization: bytes | None = None
        content_length: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-length":
                content_length = value
            elif name == b"transfer-encoding":
                chunked = True
        length = _content_length(content_length)
        has_body = chunked or (content_length is not None and length != 0)
        path: str = scope["path"]
        if needs_bearer(path) and not self._authenticated(scope, path, authorization):
            await _unauthenticated(close=has_body)(scope, receive, send)
            return
        if not has_body:
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(path)
        document = self.limits.is_document_path(path)
        if length is not None and length > limit:
            await too_large_response(limit, document=document)(scope, receive, send)
            return
        # Streamed (or of a length the server will hold it to): count what the app reads.
        received = 0
        response_started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except RequestTooLarge as exc:  # raised where no exception handler answered it
            if response_started:
                raise
            await too_large_response(exc.limit, document=document)(scope, receive, send)

    def _authenticated(self, scope: Scope, path: str, authorization: bytes | None) -> bool:
        """A configured token, or an insured session's token whose signature holds (its own
        paths answer the rest; elsewhere the route answers 403: api.md v2)."""
        if authorization is None:
            return False
        header = authorization.decode("latin-1")
        if bearer_principal(self.tokens, header) is not None:
            return True
        app = scope.get("app")
        sessions = getattr(getattr(app, "state", None), "insured_sessions", None)
        scheme, _, token = header.partition(" ")
        return (
            sessions is not None
            and scheme.lower() == "bearer"
            and sessions.session_id_of(token.strip()) is not None
        )


def _content_length(value: bytes | None) -> int | None:
    """The declared length; None when absent or not a number (the body is then counted)."""
    return int(value) if value is not None and value.strip().isdigit() else None
