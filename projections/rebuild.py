"""Rebuild a projection from position zero into a fresh table set, and verify it.

`rebuild(..., verify=True)` replays the whole log into `<table>__rebuild` tables, brings them
to the live projection's position, and compares both row by row; without `verify` the rebuilt
tables replace the live ones in one transaction. An event that fails is parked, as in the live
projection, and reported (`parked`); verification counts every dead letter of either table set
as a difference, and a live projection that is behind the store and did not move while it was
verified as stalled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from projections.base import DEAD_LETTERS, DeadLetter, Projection, ProjectionEngine
from projections.event_log import EventLog
from projections.runner import ProjectionRunner
from projections.store import ReadStore, Tx

REBUILD_SUFFIX = "__rebuild"
REBUILD_BATCH = 2000  # notifications per transaction when replaying the whole log


@dataclass
class Difference:
    table: str
    key: tuple[object, ...]
    live: tuple[object, ...] | None
    rebuilt: tuple[object, ...] | None


@dataclass
class RebuildReport:
    projection: str
    position: int
    rows: int = 0
    differences: list[Difference] = field(default_factory=list)
    parked: list[DeadLetter] = field(default_factory=list)  # by the rebuild
    stalled_behind: int = 0  # verify: events the live projection lags and is not applying

    @property
    def matches(self) -> bool:
        return not self.differences and not self.stalled_behind


def _compare_dead_letters(
    live: list[DeadLetter], rebuilt: list[DeadLetter], report: RebuildReport
) -> None:
    """Every dead letter is a difference: the view lacks that claim's later events."""
    by_key = {(d.claim_id, d.position): d for d in live}
    new_by_key = {(d.claim_id, d.position): d for d in rebuilt}
    for key in sorted(by_key.keys() | new_by_key.keys()):
        old, new = by_key.get(key), new_by_key.get(key)
        report.differences.append(
            Difference(
                DEAD_LETTERS.name,
                key,
                (old.event_type, old.error) if old else None,
                (new.event_type, new.error) if new else None,
            )
        )


def _compare(
    live: ProjectionEngine, rebuilt: ProjectionEngine, report: RebuildReport, tx: Tx
) -> None:
    for table in live.all_tables:
        key_width = len(table.key)
        live_rows = {row[:key_width]: row for row in live.dump(table, tx)}
        new_rows = {row[:key_width]: row for row in rebuilt.dump(table, tx)}
        report.rows += len(new_rows)
        for key in sorted(live_rows.keys() | new_rows.keys(), key=repr):
            if live_rows.get(key) != new_rows.get(key):
                report.differences.append(
                    Difference(table.name, key, live_rows.get(key), new_rows.get(key))
                )


def rebuild(
    event_log: EventLog,
    store: ReadStore,
    projection: Projection,
    *,
    verify: bool,
    progress: Callable[[int], object] | None = None,
    attempts: int = 5,
) -> RebuildReport:
    live = ProjectionEngine(store, projection)
    live.create_tables()
    fresh = ProjectionRunner(
        event_log, store, [projection], suffix=REBUILD_SUFFIX, batch_size=REBUILD_BATCH
    )
    (rebuilt,) = fresh.engines
    rebuilt.drop_tables()
    rebuilt.create_tables()
    try:
        started_at = live.position()
        target = started_at if verify else fresh.head()
        fresh.catch_up(stop_at=target, progress=progress)
        if not verify:
            parked = rebuilt.dead_letters()
            _swap(store, live, rebuilt, target)
            return RebuildReport(projection.name, target, parked=parked)
        for _ in range(attempts):
            # The live projection may move on while we rebuild: follow it, and compare both
            # table sets in one snapshot where they stand at the same position.
            fresh.catch_up(stop_at=live.position())
            with store.transaction() as tx:
                if store.postgres:
                    tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                position = live.position(tx)
                if rebuilt.position(tx) == position:
                    report = RebuildReport(projection.name, position)
                    _compare(live, rebuilt, report, tx)
                    report.parked = rebuilt.dead_letters(tx)
                    _compare_dead_letters(live.dead_letters(tx), report.parked, report)
                    behind = fresh.head() - position
                    if behind > 0 and position == started_at:
                        report.stalled_behind = behind
                    return report
        msg = "the live projection kept moving; stop its runner or retry"
        raise RuntimeError(msg)
    finally:
        if verify:
            rebuilt.drop_tables()


def _swap(
    store: ReadStore, live: ProjectionEngine, rebuilt: ProjectionEngine, position: int
) -> None:
    with store.transaction() as tx:
        live.lock(tx)
        for table in live.all_tables:
            tx.execute(f"DROP TABLE IF EXISTS {table.name}")
            tx.execute(f"ALTER TABLE {table.name}{REBUILD_SUFFIX} RENAME TO {table.name}")
            for index in table.indexes:
                tx.execute(
                    f"DROP INDEX IF EXISTS ix_{table.name}{REBUILD_SUFFIX}_{'_'.join(index)}"
                )
            for statement in table.ddl("")[1:]:
                tx.execute(statement)
        tx.execute("DELETE FROM projection_tracking WHERE projection = ?", (rebuilt.tracking_key,))
        # The rebuilt tables' dead letters replace the live ones (same ids: docs/adr/0013).
        tx.execute("DELETE FROM projection_dead_letters WHERE projection = ?", (live.tracking_key,))
        tx.execute(
            "UPDATE projection_dead_letters SET projection = ? WHERE projection = ?",
            (live.tracking_key, rebuilt.tracking_key),
        )
        # Fed by Kafka workers? Their offsets described the replaced tables: reset them, so
        # that the workers go back and apply what the rebuilt tables lack (docs/adr/0009).
        tx.execute("DELETE FROM kafka_offsets WHERE projection = ?", (live.tracking_key,))
        tx.execute(
            "INSERT INTO projection_tracking (projection, position) VALUES (?, ?) "
            "ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
            (live.tracking_key, position),
        )
