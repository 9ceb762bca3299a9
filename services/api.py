"""The HTTP entry point: a FastAPI app whose lifespan wires the application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from infra.settings import Settings
from services.wiring import build_application

log = structlog.get_logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the claims application is created at start-up, not at import."""
    resolved = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        application = build_application(resolved)
        app.state.claims = application
        log.info(
            "claims.started", env=resolved.env.value, store=application.factory.__class__.__module__
        )
        try:
            yield
        finally:
            application.close()

    app = FastAPI(title="Claims back office", version="1", lifespan=lifespan)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
