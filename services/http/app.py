"""The FastAPI app: one lifespan wires the application, tokens and metrics."""

from __future__ import annotations

import json
import sys
import time
import traceback
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.access_register import AccessRegister
from infra.health import StallWatch
from infra.settings import Environment, Settings
from services.http import (
    admin,
    audit_pages,
    claim_pages,
    claims,
    dashboard_pages,
    document_pages,
    documents,
    erasure,
    financials,
    insured,
    insured_pages,
    money,
    notifications,
    pages,
    read_models,
    report_downloads,
    reports,
    search,
    search_pages,
    worklist_pages,
)
from services.http.auth import DEV_TOKENS, TokenRegistry
from services.http.deps import AnyRole, Claims
from services.http.docs import install_docs
from services.http.insured_sessions import InsuredSessions
from services.http.limits import BodyLimits, RequestGuard, RequestTooLarge, too_large_handler
from services.http.problems import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    install_problem_handlers,
    problem_response,
)
from services.http.security_headers import SecurityHeaders
from services.http.sessions import PageSessions
from services.notifications.wiring import build_notifications, notification_cipher
from services.wiring import (
    attach_insured_side,
    build_application,
    build_name_hasher,
    build_private_store,
    build_runner,
)

log = structlog.get_logger(__name__)


class Metrics:
    """Prometheus metrics of one app (its own registry, so apps in tests don't collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "claims_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "claims_http_request_seconds",
            "HTTP request duration",
            ["method", "route"],
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "claims_projection_dead_letters",
            "Events parked because they fail the projection (docs/adr/0016-dead-letters.md)",
            ["projection"],
            registry=self.registry,
        )


def token_registry(settings: Settings) -> TokenRegistry:
    spec = settings.api_tokens.get_secret_value()
    if not spec.strip():
        if settings.env != Environment.DEV:
            msg = "CLAIMS_API_TOKENS is empty: set token=user_id:role,... (or CLAIMS_ENV=dev)"
            raise ValueError(msg)
        banner = (
            "\n*** CLAIMS_ENV=dev: DEVELOPMENT TOKENS ARE ACTIVE — never use this in production"
            "\n*** Bearer dev-handler-token (handler), dev-manager-token (manager),"
            "\n*** dev-auditor-token (auditor), dev-admin-token (admin),"
            "\n*** dev-medical-adviser-token (medical_adviser), dev-portal-token (portal),"
            "\n*** dev-notifier-token (notifier: notification delivery reports)\n"
        )
        print(banner, file=sys.stderr, flush=True)
        log.warning("auth.development_tokens_active")
        spec = DEV_TOKENS
    return TokenRegistry(spec)


operations = APIRouter(tags=["operations"])


@operations.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers (no authentication)."""
    return {"status": "ok"}


READY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {
        "description": "Ready, or degraded: events are parked but every projection advances",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string", "enum": ["ready", "degraded"]},
                        "store_position": {"type": "integer"},
                        "projection_lag": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                        "dead_letters": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                    },
                }
            }
        },
    },
    503: {
        "description": "Not ready: the store does not answer, or a projection is stalled",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    },
}


@operations.get("/readyz", responses=READY_RESPONSES)
def readyz(request: Request, app: Claims, _who: AnyRole) -> Response:
    """Readiness: the event store answers and no projection is stalled; each projection's lag
    (events behind the store) and dead letters (events parked: "degraded", still 200)."""
    try:
        head = app.recorder.max_notification_id() or 0
        runner = request.app.state.runner
        positions = runner.positions()
        lag = {name: head - position for name, position in positions.items()}
        dead_letters = runner.dead_letter_counts()
    except Exception as exc:  # any store failure means "not ready"
        log.warning("readyz.store_unreachable", error=type(exc).__name__)
        return problem_response(
            503,
            "store-unreachable",
            "Store unreachable",
            "the event store or the read models do not answer",
        )
    watch: StallWatch = request.app.state.stall_watch
    readiness = watch.assess(positions, lag, dead_letters)
    if readiness.stalled:
        log.warning("readyz.projections_stalled", stalled=list(readiness.stalled))
        seconds = watch.stall_seconds
        body: dict[str, Any] = {
            "type": "/problems/projections-stalled",
            "title": "Projections stalled",
            "status": 503,
            "detail": f"behind the store and not advancing for {seconds:g} s: "
            + ", ".join(readiness.stalled),
            "stalled": list(readiness.stalled),
            "store_position": head,
            "projection_lag": lag,
            "dead_letters": dead_letters,
        }
        return Response(json.dumps(body), status_code=503, media_type=PROBLEM_JSON)
    body = {
        "status": readiness.status,
        "store_position": head,
        "projection_lag": lag,
        "dead_letters": dead_letters,
    }
    return Response(content=json.dumps(body), media_type="application/json")


@operations.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
    },
)
def metrics(request: Request, _who: AnyRole) -> Response:
    """Prometheus metrics (text format), with the dead letters per projection."""
    metrics_ = request.app.state.metrics
    try:
        for name, count in request.app.state.runner.dead_letter_counts().items():
            metrics_.dead_letters.labels(name).set(count)
    except Exception as exc:  # the read models do not answer: the other metrics still do
        log.warning("metrics.read_models_unreachable", error=type(exc).__name__)
    return Response(generate_latest(metrics_.registry), media_type=CONTENT_TYPE_LATEST)


contracts = APIRouter(prefix="/api/v1/contracts", tags=["contracts"])


@contracts.get("", responses=PROBLEM_RESPONSES)
def list_contracts(app: Claims, _who: AnyRole) -> dict[str, Any]:
    """The contract catalogue: guarantees, caps, deductibles, fee scales."""
    return {"items": [terms.model_dump(mode="json") for terms in app.catalogue.contracts.values()]}


class RequestContext:
    """Correlation id, one log line and metrics per request; never bodies. A plain ASGI
    middleware: Starlette's `BaseHTTPMiddleware` streams every response through a task and a
    queue, which cost the command path a measurable share of its time (docs/benchmarks.md)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        correlation_id = given.decode("latin-1")[:128] or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["correlation_id"] = correlation_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        response_started = False
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal response_started, status
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = correlation_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # The type and where it was raised, never the message: it may carry personal data.
            frames = traceback.extract_tb(exc.__traceback__)
            where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown"
            log.error("request.failed", error=type(exc).__name__, where=where)
            if response_started:
                raise
            response = problem_response(
                500,
                "internal-error",
                "Internal error",
                "an unexpected error occurred; quote the correlation id",
                correlation_id=correlation_id,
            )
            await response(scope, receive, send_with_id)
        elapsed = time.perf_counter() - started
        method = scope["method"]
        log.info(
            "http.request",
            method=method,
            path=scope["path"],
            status=status,
            duration_ms=round(elapsed * 1000, 2),
            actor=state.get("actor"),
        )
        route = getattr(scope.get("route"), "path", "unmatched")
        metrics_ = scope["app"].state.metrics
        metrics_.requests.labels(method, route, str(status)).inc()
        metrics_.latency.labels(method, route).observe(elapsed)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the claims application is created at start-up, not at import."""
    resolved = settings or Settings()
    tokens = token_registry(resolved)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        application = build_application(resolved)
        app.state.claims = application
        app.state.name_hasher = build_name_hasher(resolved)
        runner = build_runner(resolved, application)
        app.state.runner = runner
        app.state.sessions = PageSessions.from_settings(resolved, runner.store)
        app.state.notifications = build_notifications(
            application, runner.store, notification_cipher(resolved)
        )
        # The insured's side (docs/adr/0032, 0033): outbox, documents, sessions, register.
        private = build_private_store(resolved)
        attach_insured_side(resolved, application, private)
        secret = resolved.session_secret.get_secret_value() if resolved.session_secret else None
        app.state.insured_sessions = InsuredSessions(private, secret=secret)
        app.state.insured_sessions.setup()
        app.state.access_register = AccessRegister(private)
        app.state.access_register.setup()
        if resolved.projections == "inprocess":
            runner.start()
        log.info(
            "claims.started",
            env=resolved.env.value,
            store=application.factory.__class__.__module__,
            encrypted=resolved.encryption_key is not None,
            tokens=len(tokens),
        )
        try:
            yield
        finally:
            runner.stop()
            runner.store.close()
            private.close()
            application.close()

    # Docs from local assets (services/http/docs.py), not FastAPI's CDN pages; no ReDoc.
    app = FastAPI(
        title="Claims back office",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = resolved
    app.state.tokens = tokens
    app.state.metrics = Metrics()
    app.state.stall_watch = StallWatch(resolved.projection_stall_seconds)
    install_problem_handlers(app)
    app.include_router(operations)
    app.include_router(contracts)
    app.include_router(read_models.router)
    app.include_router(search.router)  # before /api/v1/claims/{claim_id}
    app.include_router(financials.router)
    # The pages: each module has its router (the claim pages' /claims/new before /claims/{n}).
    for page_router in (
        pages.router,
        dashboard_pages.router,
        worklist_pages.router,
        claim_pages.router,
        audit_pages.router,
        search_pages.router,
    ):
        app.include_router(page_router)
    app.include_router(claims.router)
    app.include_router(money.router)
    app.include_router(admin.router)
    app.include_router(reports.router)
    app.include_router(report_downloads.router)
    app.include_router(documents.router)
    app.include_router(documents.register_router)
    app.include_router(insured.router)
    app.include_router(insured_pages.router)
    app.include_router(document_pages.router)
    app.include_router(notifications.router)
    app.include_router(erasure.router)
    install_docs(app)  # mounts /static/docs: before the pages' /static
    app.mount("/static", pages.static_files(), name="static")
    app.add_exception_handler(RequestTooLarge, too_large_handler)

    # Outermost last: security headers on every answer (a 500 of RequestContext's included),
    # then the request's log line and metrics, then the guard, before anything reads a body.
    limits = BodyLimits(resolved.max_body_bytes, resolved.max_body_bytes_by_path)
    app.add_middleware(RequestGuard, tokens=tokens, limits=limits)
    app.add_middleware(RequestContext)
    app.add_middleware(SecurityHeaders)
    return app
