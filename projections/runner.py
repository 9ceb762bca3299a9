"""Runs the projections over the event store's notification log.

One polling runner for SQLite and PostgreSQL: it reads the claims' events after the lowest
projection position from the event log (`projections.event_log.EventLog`, over the
application's recorder and mapper, so encrypted stores work), and gives each projection the
events beyond its own position, in one transaction per batch. See docs/adr/0008-projections.md
for why this, and not the library's per-event `ProjectionRunner`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import structlog

from domain.calendar import FrenchCalendar
from projections.audit_trail.fold import AuditTrailProjection
from projections.base import (
    DeadLetter,
    FaultHook,
    Projection,
    ProjectionEngine,
    Replayed,
)
from projections.claims_list.fold import ClaimsListProjection
from projections.event_log import EventLog
from projections.financials.fold import FinancialsProjection
from projections.reporting.fold import ReportingProjection
from projections.retention.fold import RetentionProjection
from projections.retry import exponential, run_until_stopped
from projections.search.fold import NameHasher, SearchProjection
from projections.sla.fold import SlaProjection
from projections.store import ReadStore
from projections.worklist.fold import WorklistProjection

log = structlog.get_logger(__name__)
BATCH_SIZE = 500


def all_projections(
    calendar: FrenchCalendar, name_hasher: NameHasher | None = None
) -> list[Projection]:
    """Every read model, by name; adding one is adding it here (docs/adr/0008). Without a
    name hasher (services/wiring.py gives it), the search read model keeps no names."""
    return [
        ClaimsListProjection(),
        SlaProjection(calendar),
        WorklistProjection(calendar),
        AuditTrailProjection(),
        FinancialsProjection(),
        RetentionProjection(calendar),
        SearchProjection(name_hasher),
        ReportingProjection(),
    ]


class ProjectionRunner:
    def __init__(
        self,
        event_log: EventLog,
        store: ReadStore,
        projections: Sequence[Projection],
        *,
        suffix: str = "",
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.event_log = event_log
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
        return self.event_log.head()

    def lag(self) -> dict[str, int]:
        head = self.head()
        return {name: head - position for name, position in self.positions().items()}

    # ------------------------------------------------------------------ dead letters

    def dead_letter_counts(self) -> dict[str, int]:
        """Each projection's parked events, by name (one query)."""
        keys = {engine.tracking_key: engine.projection.name for engine in self.engines}
        rows = self.store.query(
            "SELECT projection, COUNT(*) FROM projection_dead_letters "
            f"WHERE projection IN ({', '.join('?' for _ in keys)}) GROUP BY projection",
            list(keys),
        )
        found = {keys[str(key)]: int(count) for key, count in rows}
        return {name: found.get(name, 0) for name in keys.values()}

    def dead_letters(
        self, *, projection: str | None = None, claim_id: str | None = None
    ) -> list[DeadLetter]:
        """The parked events of these projections (or one), by projection, claim and
        position."""
        return [
            letter
            for engine in self.engines
            if projection in (None, engine.projection.name)
            for letter in engine.dead_letters(claim_id=claim_id)
        ]

    def dead_letter(self, dead_letter_id: str) -> tuple[ProjectionEngine, DeadLetter] | None:
        """The dead letter of that id, with its projection's engine (None: unknown)."""
        engines = {engine.tracking_key: engine for engine in self.engines}
        rows = self.store.query(
            "SELECT projection, claim_id FROM projection_dead_letters WHERE id = ?",
            (dead_letter_id,),
        )
        for key, claim_id in rows:
            engine = engines.get(str(key))
            if engine is None:
                continue  # a rebuild's table set
            for letter in engine.dead_letters(claim_id=str(claim_id)):
                if letter.id == dead_letter_id:
                    return engine, letter
        return None

    def retry(self, dead_letter_id: str) -> Replayed | None:
        """Replay, in order, every parked event of the dead letter's claim in its projection,
        read again from the event store (None: no such dead letter)."""
        found = self.dead_letter(dead_letter_id)
        if found is None:
            return None
        engine, letter = found
        return engine.replay(letter.claim_id, self._stored_events)

    def _stored_events(self, letters: list[DeadLetter]) -> list[tuple[int, Any]]:
        """The (position, event) of each dead letter, from the event store."""
        positions = {letter.claim_version: letter.position for letter in letters}
        stored = self.event_log.claim_events(UUID(letters[0].claim_id), positions.keys())
        return [(positions[event.originator_version], event) for event in stored]

    # ------------------------------------------------------------------ batches

    def run_once(self, *, stop_at: int | None = None, fault: FaultHook | None = None) -> int:
        """Process one batch, every projection in one transaction; returns the number of
        notifications read (0: caught up). An event that fails a projection is parked there
        and the batch goes on (docs/adr/0016-dead-letters.md)."""
        by_name = self.positions()
        positions = {engine: by_name[engine.projection.name] for engine in self.engines}
        start = min(positions.values()) + 1
        if stop_at is not None and start > stop_at:
            return 0
        wanted = any(engine.projection.reads_notifications for engine in self.engines)
        read = self.event_log.read(
            start=start, limit=self.batch_size, stop=stop_at, notifications=wanted
        )
        if not read.count:
            return 0
        with self.store.transaction() as tx:
            for engine, position in positions.items():
                events = read.events
                if engine.projection.reads_notifications and read.notifications:
                    events = sorted([*events, *read.notifications], key=lambda item: item[0])
                engine.apply(
                    [(p, e) for p, e in events if p > position],
                    position=read.last,
                    fault=fault,
                    tx=tx,
                )
        return read.count

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
        """Poll until stopped; a failing batch (the database's failure: events that fail are
        parked) is logged and retried (it wrote nothing), after a pause that doubles with each
        failure in a row, up to 5 s."""
        run_until_stopped(
            self.run_once,
            stop=self._stop,
            backoff=exponential(interval, doublings=6),
            idle=interval,
            on_failure=_batch_failed,
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="projections", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _batch_failed(exc: Exception, failures: int) -> None:
    log.error("projections.batch_failed", error=type(exc).__name__, failures=failures)
