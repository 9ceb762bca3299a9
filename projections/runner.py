"""Runs the projections over the event store's notification log.

One polling runner for SQLite and PostgreSQL: it reads notifications after the lowest
projection position, decodes the claims' events with the application's mapper (so encrypted
stores work), and gives each projection the events beyond its own position, in one transaction
per batch. See docs/adr/0008-projections.md for why this, and not the library's per-event
`ProjectionRunner`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import structlog

from domain.calendar import FrenchCalendar
from projections.audit_trail.fold import AuditTrailProjection
from projections.base import FaultHook, Projection, ProjectionEngine
from projections.claims_list.fold import ClaimsListProjection
from projections.sla.fold import SlaProjection
from projections.store import ReadStore
from projections.worklist.fold import WorklistProjection
from services.application import ClaimsApplication

log = structlog.get_logger(__name__)
CLAIM_TOPIC = "domain.claim:Claim."
BATCH_SIZE = 500


def all_projections(calendar: FrenchCalendar) -> list[Projection]:
    """Every read model, by name; adding one is adding it here (docs/adr/0008)."""
    return [
        ClaimsListProjection(),
        SlaProjection(calendar),
        WorklistProjection(calendar),
        AuditTrailProjection(),
    ]


class ProjectionRunner:
    def __init__(
        self,
        app: ClaimsApplication,
        store: ReadStore,
        projections: Sequence[Projection],
        *,
        suffix: str = "",
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.app = app
        self.store = store
        self.engines = [ProjectionEngine(store, p, suffix) for p in projections]
        self.batch_size = batch_size
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def setup(self) -> None:
        for engine in self.engines:
            engine.create_tables()

    def positions(self) -> dict[str, int]:
        """Each projection's position, by name (one query)."""
        keys = [engine.tracking_key for engine in self.engines]
        rows = self.store.query(
            "SELECT projection, position FROM projection_tracking "
            f"WHERE projection IN ({', '.join('?' for _ in keys)})",
            keys,
        )
        found = {str(key): int(position) for key, position in rows}
        return {e.projection.name: found.get(e.tracking_key, 0) for e in self.engines}

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def lag(self) -> dict[str, int]:
        head = self.head()
        return {name: head - position for name, position in self.positions().items()}

    def run_once(self, *, stop_at: int | None = None, fault: FaultHook | None = None) -> int:
        """Process one batch, every projection in one transaction; returns the number of
        notifications read (0: caught up)."""
        by_name = self.positions()
        positions = {engine: by_name[engine.projection.name] for engine in self.engines}
        start = min(positions.values()) + 1
        if stop_at is not None and start > stop_at:
            return 0
        notifications = self.app.recorder.select_notifications(
            start=start, limit=self.batch_size, stop=stop_at
        )
        if not notifications:
            return 0
        decoded: list[tuple[int, Any]] = [
            (n.id, self.app.mapper.to_domain_event(n))
            for n in notifications
            if n.topic.startswith(CLAIM_TOPIC)
        ]
        last = notifications[-1].id
        with self.store.transaction() as tx:
            for engine, position in positions.items():
                engine.apply(
                    [(p, e) for p, e in decoded if p > position], position=last, fault=fault, tx=tx
                )
        return len(notifications)

    def catch_up(self, *, stop_at: int | None = None, progress: Any | None = None) -> None:
        while True:
            count = self.run_once(stop_at=stop_at)
            if not count:
                return
            if progress is not None:
                progress(count)

    def wait_for(self, position: int, timeout: float = 2.0) -> bool:
        """Read-your-writes: wait until every projection has applied `position`."""
        deadline = time.monotonic() + timeout
        while min(self.positions().values()) < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    # ------------------------------------------------------------------ background

    def run_forever(self, interval: float = 0.05) -> None:
        """Poll until stopped; a failing batch is logged and retried (it wrote nothing)."""
        failures = 0
        while not self._stop.is_set():
            try:
                count = self.run_once()
            except Exception as exc:
                failures += 1
                log.error("projections.batch_failed", error=type(exc).__name__, failures=failures)
                self._stop.wait(min(5.0, interval * 2 ** min(failures, 6)))
                continue
            failures = 0
            if not count:
                self._stop.wait(interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="projections", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
