"""Projections as pure per-claim folds, persisted with their position in one transaction.

A projection folds each claim's events into a JSON-ready state (`fold`, pure, unit-tested on
tuples of events) and derives the rows of its tables from that state (`rows`). The engine
applies a batch of events in one transaction: the touched claims' states and rows are replaced
and the projection's position moves to the batch's last notification id. A crash anywhere
before the commit leaves the previous state and position, so no event is applied twice or
skipped.

An event that fails (its fold raises, or its rows cannot be written) must not stop the others:
a failing batch is narrowed, by halving its claims, to the claim and then the event that fails;
that event is parked in `projection_dead_letters` with the claim's later events behind it (so
the claim's order is kept), and everything else commits with the position as usual. A parked
claim's events are parked on arrival until `replay` applies them after a fix. Failures of the
database itself (`store.systemic`) are never parked: the batch fails and is retried whole.
See docs/adr/0016-dead-letters.md. What a projection is: `projections/tables.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

import structlog

from projections.dead_letters import (
    DEAD_LETTER_COLUMNS,
    DEAD_LETTERS,
    DeadLetter,
    Replayed,
    dead_letter_id,
    describe_error,
    held_behind,
    utc_now,
)
from projections.store import ReadStore, Tx, systemic
from projections.tables import (
    KAFKA_OFFSETS,
    SCHEMAS,
    TRACKING,
    Projection,
    Row,
    State,
    Table,
    Totals,
    TotalsKey,
    state_table,
    totals_table,
)

__all__ = [  # what the other modules import from here, wherever it is defined
    "DEAD_LETTERS",
    "KAFKA_OFFSETS",
    "SCHEMAS",
    "TRACKING",
    "DeadLetter",
    "Projection",
    "ProjectionEngine",
    "Replayed",
    "Row",
    "State",
    "Table",
    "Totals",
    "TotalsKey",
    "dead_letter_id",
    "describe_error",
    "totals_table",
]

log = structlog.get_logger(__name__)

CHUNK = 500  # claim ids per IN (...) list: within SQLite's and PostgreSQL's parameter limits
FaultHook = Callable[[str], None]
Sources = Mapping[int, tuple[int, int]]  # position -> (Kafka partition, offset) of its message


def _by_claim(events: Sequence[tuple[int, Any]]) -> list[list[tuple[int, Any]]]:
    """The events grouped by claim, each group in the batch's order, claims sorted."""
    groups: dict[str, list[tuple[int, Any]]] = {}
    for item in events:
        groups.setdefault(str(item[1].originator_id), []).append(item)
    return [groups[claim_id] for claim_id in sorted(groups)]


class ProjectionEngine:
    """Applies batches of events to one projection's table set (live, or a rebuild's)."""

    def __init__(self, store: ReadStore, projection: Projection, suffix: str = "") -> None:
        self.store = store
        self.projection = projection
        self.suffix = suffix
        self.tracking_key = projection.name + suffix
        self.state_table = state_table(projection)

    @property
    def all_tables(self) -> tuple[Table, ...]:
        totals = (totals_table(self.projection),) if self.projection.keeps_totals else ()
        return (*self.projection.tables, *totals, self.state_table)

    def create_tables(self) -> None:
        """Create the tables; when their definition changed since they were created, drop
        them so that the projection rebuilds from position zero."""
        definition = [s for t in self.all_tables for s in t.ddl("")]
        if self.projection.rules_version > 1:  # (version 1 keeps the fingerprints of before)
            definition.append(f"-- rules version {self.projection.rules_version}")
        fingerprint = hashlib.sha256("\n".join(definition).encode()).hexdigest()
        with self.store.transaction() as tx:
            for table in (TRACKING, KAFKA_OFFSETS, SCHEMAS, DEAD_LETTERS):
                for statement in table.ddl(""):
                    tx.execute(statement)
            found = tx.query(
                "SELECT fingerprint FROM projection_schema WHERE projection = ?",
                (self.tracking_key,),
            )
        if not found or found[0][0] != fingerprint:  # new, changed, or from before fingerprints
            self.drop_tables()
        with self.store.transaction() as tx:
            for table in self.all_tables:
                for statement in table.ddl(self.suffix):
                    tx.execute(statement)
            tx.execute(
                "INSERT INTO projection_schema (projection, fingerprint) VALUES (?, ?) "
                "ON CONFLICT (projection) DO UPDATE SET fingerprint = excluded.fingerprint",
                (self.tracking_key, fingerprint),
            )

    def drop_tables(self) -> None:
        with self.store.transaction() as tx:
            for table in self.all_tables:
                tx.execute(f"DROP TABLE IF EXISTS {table.name}{self.suffix}")
            tx.execute("DELETE FROM projection_tracking WHERE projection = ?", (self.tracking_key,))
            tx.execute("DELETE FROM kafka_offsets WHERE projection = ?", (self.tracking_key,))
            tx.execute("DELETE FROM projection_schema WHERE projection = ?", (self.tracking_key,))
            tx.execute(
                "DELETE FROM projection_dead_letters WHERE projection = ?", (self.tracking_key,)
            )

    def position(self, tx: Tx | None = None) -> int:
        sql = "SELECT position FROM projection_tracking WHERE projection = ?"
        rows = (
            tx.query(sql, (self.tracking_key,))
            if tx
            else self.store.query(sql, (self.tracking_key,))
        )
        return int(rows[0][0]) if rows else 0

    def offsets(self) -> dict[int, int]:
        """Kafka partition -> next offset to apply, for this projection."""
        rows = self.store.query(
            "SELECT topic_partition, next_offset FROM kafka_offsets WHERE projection = ?",
            (self.tracking_key,),
        )
        return {int(partition): int(offset) for partition, offset in rows}

    def apply(
        self,
        events: Sequence[tuple[int, Any]],
        *,
        position: int | None = None,
        offsets: Mapping[int, int] | None = None,
        sources: Sources | None = None,
        fault: FaultHook | None = None,
        tx: Tx | None = None,
    ) -> None:
        """Apply (position, event) pairs and record where the source stands, in one
        transaction (the caller's `tx`, shared with other projections, or its own): the
        notification `position` (store source; may lie beyond the last event, as other
        aggregates' notifications move it too) or the next Kafka `offsets` (`sources` gives
        each event's message, kept with it if it is parked). Events a claim has already
        folded (by version) are skipped; events that fail are parked (see the module)."""
        if tx is not None:
            self._apply(tx, events, position, offsets, sources or {}, fault)
            return
        with self.store.transaction() as own:
            self._apply(own, events, position, offsets, sources or {}, fault)

    def _apply(
        self,
        tx: Tx,
        events: Sequence[tuple[int, Any]],
        position: int | None,
        offsets: Mapping[int, int] | None,
        sources: Sources,
        fault: FaultHook | None,
    ) -> None:
        hit = fault or (lambda _step: None)
        self.lock(tx)
        if position is not None:
            current = self.position(tx)
            if position <= current:
                return  # already applied (a concurrent runner, or a replayed batch)
            events = [(p, e) for p, e in events if p > current]
        parked = self._parked_claims(tx)
        held = [(p, e) for p, e in events if str(e.originator_id) in parked]
        if held:
            events = [(p, e) for p, e in events if str(e.originator_id) not in parked]
        hit("before_view_write")
        if events:
            try:
                with tx.savepoint():
                    self._fold_and_write(tx, events)
            except Exception as exc:
                if systemic(exc):
                    raise
                log.warning(
                    "projections.batch_narrowed",
                    projection=self.tracking_key,
                    events=len(events),
                    error=describe_error(exc),
                )
                self._narrow(tx, _by_claim(events), sources)
        if held:
            self._hold(tx, held, sources)
        hit("after_view_write")
        if position is not None:
            tx.execute(
                "INSERT INTO projection_tracking (projection, position) VALUES (?, ?) "
                "ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
                (self.tracking_key, position),
            )
        for partition, next_offset in (offsets or {}).items():
            tx.execute(
                "INSERT INTO kafka_offsets (projection, topic_partition, next_offset) "
                "VALUES (?, ?, ?) ON CONFLICT (projection, topic_partition) "
                "DO UPDATE SET next_offset = excluded.next_offset",
                (self.tracking_key, partition, next_offset),
            )
        hit("before_commit")

    def lock(self, tx: Tx) -> None:
        """One writer per projection at a time on PostgreSQL (a runner's batch, a Kafka
        worker's, a replay of dead letters), so that whether a claim is parked cannot change
        under a batch; SQLite's write transactions are serialised already."""
        if tx.postgres:
            tx.query(
                "SELECT projection FROM projection_schema WHERE projection = ? FOR UPDATE",
                (self.tracking_key,),
            )

    def _fold_and_write(self, tx: Tx, events: Sequence[tuple[int, Any]]) -> None:
        """Fold the events into their claims' stored states and write the claims' rows."""
        states = self._load_states(tx, {str(e.originator_id) for _, e in events})
        # Each claim's share of the totals before this batch (folds may change states in place).
        before = (
            {c: self.projection.totals(s) for c, (_, s) in states.items() if s is not None}
            if self.projection.keeps_totals
            else {}
        )
        touched: set[str] = set()
        for _position, event in events:
            claim_id = str(event.originator_id)
            version, state = states[claim_id]
            if event.originator_version <= version:
                continue  # a duplicate: this claim has folded it already
            new_state = self.projection.fold(state, event, _position)
            if new_state is not None:
                states[claim_id] = (event.originator_version, new_state)
                touched.add(claim_id)
        self._write_claims(tx, {c: states[c] for c in sorted(touched)})
        if self.projection.keeps_totals:
            self._write_totals(tx, before, {c: states[c][1] for c in touched})

    def _narrow(self, tx: Tx, claims: list[list[tuple[int, Any]]], sources: Sources) -> None:
        """The batch of these claims' events failed: apply each half on its own, and narrow
        again the halves that fail, down to one claim, whose failing event is then found."""
        if len(claims) == 1:
            self._isolate(tx, claims[0], sources)
            return
        middle = len(claims) // 2
        for half in (claims[:middle], claims[middle:]):
            try:
                with tx.savepoint():
                    self._fold_and_write(tx, [item for group in half for item in group])
            except Exception as exc:
                if systemic(exc):
                    raise
                self._narrow(tx, half, sources)

    def _isolate(self, tx: Tx, events: list[tuple[int, Any]], sources: Sources) -> None:
        """One claim's events, one at a time: park the first that fails, and the claim's
        events after it."""
        for index, (position, event) in enumerate(events):
            try:
                with tx.savepoint():
                    self._fold_and_write(tx, [(position, event)])
            except Exception as exc:
                if systemic(exc):
                    raise
                self._park(tx, [(position, event)], describe_error(exc), sources)
                self._park(tx, events[index + 1 :], held_behind(position), sources)
                return

    def _hold(self, tx: Tx, events: list[tuple[int, Any]], sources: Sources) -> None:
        """Park the events of claims that have a parked event, behind it (a duplicate of an
        event the claim has folded is skipped, one already parked is left as it is)."""
        states = self._load_states(tx, {str(e.originator_id) for _, e in events})
        first = {
            claim_id: position
            for claim_id, position in tx.query(
                "SELECT claim_id, MIN(position) FROM projection_dead_letters "
                "WHERE projection = ? GROUP BY claim_id",
                (self.tracking_key,),
            )
        }
        for position, event in events:
            claim_id = str(event.originator_id)
            if event.originator_version > states[claim_id][0]:
                self._park(tx, [(position, event)], held_behind(first[claim_id]), sources)

    def _park(
        self, tx: Tx, events: Sequence[tuple[int, Any]], error: str, sources: Sources
    ) -> None:
        now = utc_now()
        name = self.projection.name
        rows = []
        for position, event in events:
            claim_id = str(event.originator_id)
            partition, offset = sources.get(position, (None, None))
            rows.append(
                (
                    self.tracking_key,
                    claim_id,
                    position,
                    dead_letter_id(name, claim_id, position),
                    event.originator_version,
                    type(event).__name__,
                    error,
                    now,
                    now,
                    1,
                    partition,
                    offset,
                )
            )
            log.warning(
                "projections.event_parked",
                projection=self.tracking_key,
                claim_id=claim_id,
                position=position,
                event_type=type(event).__name__,
                error=error,
            )
        tx.executemany(
            f"INSERT INTO projection_dead_letters ({DEAD_LETTER_COLUMNS}) "
            f"VALUES ({', '.join('?' for _ in DEAD_LETTERS.columns)}) "
            "ON CONFLICT (projection, claim_id, position) DO NOTHING",
            rows,
        )

    def _parked_claims(self, tx: Tx) -> set[str]:
        rows = tx.query(
            "SELECT DISTINCT claim_id FROM projection_dead_letters WHERE projection = ?",
            (self.tracking_key,),
        )
        return {str(claim_id) for (claim_id,) in rows}

    def dead_letter_count(self) -> int:
        rows = self.store.query(
            "SELECT COUNT(*) FROM projection_dead_letters WHERE projection = ?",
            (self.tracking_key,),
        )
        return int(rows[0][0])

    def dead_letters(
        self, tx: Tx | None = None, *, claim_id: str | None = None
    ) -> list[DeadLetter]:
        """This projection's parked events (of one claim), by claim and position."""
        sql = f"SELECT {DEAD_LETTER_COLUMNS} FROM projection_dead_letters WHERE projection = ?"
        params: list[Any] = [self.tracking_key]
        if claim_id is not None:
            sql += " AND claim_id = ?"
            params.append(claim_id)
        sql += " ORDER BY claim_id, position"
        rows = tx.query(sql, params) if tx else self.store.query(sql, params)
        return [DeadLetter.from_row(row) for row in rows]

    def replay(
        self,
        claim_id: str,
        events_of: Callable[[list[DeadLetter]], list[tuple[int, Any]]],
    ) -> Replayed:
        """Apply a claim's parked events again, in order, after a fix (`events_of` gives the
        (position, event) of each dead letter): those that now apply leave the dead-letter
        table; the first that still fails stays with its new error and attempt, and the
        events behind it stay held."""
        with self.store.transaction() as tx:
            self.lock(tx)
            letters = self.dead_letters(tx, claim_id=claim_id)
            events = events_of(letters) if letters else []
            applied = 0
            for index, (position, event) in enumerate(events):
                try:
                    with tx.savepoint():
                        self._fold_and_write(tx, [(position, event)])
                except Exception as exc:
                    if systemic(exc):
                        raise
                    self._still_failing(tx, claim_id, events[index:], describe_error(exc))
                    break
                tx.execute(
                    "DELETE FROM projection_dead_letters "
                    "WHERE projection = ? AND claim_id = ? AND position = ?",
                    (self.tracking_key, claim_id, position),
                )
                applied += 1
            remaining = self.dead_letters(tx, claim_id=claim_id)
        name = self.projection.name
        log.info("projections.dead_letters_replayed", projection=name, applied=applied)
        return Replayed(name, claim_id, applied, remaining)

    def _still_failing(
        self, tx: Tx, claim_id: str, events: list[tuple[int, Any]], error: str
    ) -> None:
        failing = events[0][0]
        now = utc_now()
        tx.execute(
            "UPDATE projection_dead_letters SET error = ?, last_attempt = ?, "
            "attempts = attempts + 1 WHERE projection = ? AND claim_id = ? AND position = ?",
            (error, now, self.tracking_key, claim_id, failing),
        )
        tx.executemany(
            "UPDATE projection_dead_letters SET error = ? "
            "WHERE projection = ? AND claim_id = ? AND position = ?",
            [(held_behind(failing), self.tracking_key, claim_id, p) for p, _ in events[1:]],
        )

    def _load_states(self, tx: Tx, claim_ids: set[str]) -> dict[str, tuple[int, Any | None]]:
        """The stored (version, thawed state) of each claim, (0, None) for a new one."""
        states: dict[str, tuple[int, Any | None]] = dict.fromkeys(claim_ids, (0, None))
        thaw = self.projection.thaw
        ordered = sorted(claim_ids)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for claim_id, version, state in tx.query(
                f"SELECT claim_id, version, state FROM {self.state_table.name}{self.suffix} "
                f"WHERE claim_id IN ({marks})",
                chunk,
            ):
                states[str(claim_id)] = (int(version), thaw(json.loads(state)))
        return states

    def _write_claims(self, tx: Tx, states: dict[str, tuple[int, Any | None]]) -> None:
        """Replace the states and rows of the given claims (or add the new rows of an
        append-only projection), a few statements per batch."""
        suffix = self.suffix
        projection = self.projection
        rows: dict[str, list[Row]] = {table.name: [] for table in projection.tables}
        for claim_id, (_version, state) in states.items():
            assert state is not None
            for name, claim_rows in projection.rows(UUID(claim_id), state).items():
                rows[name].extend(claim_rows)
        tx.executemany(
            f"INSERT INTO {self.state_table.name}{suffix} (claim_id, version, state) "
            "VALUES (?, ?, ?) ON CONFLICT (claim_id) DO UPDATE SET "
            "version = excluded.version, state = excluded.state",
            [
                (claim_id, version, json.dumps(projection.freeze(state), sort_keys=True))
                for claim_id, (version, state) in states.items()
            ],
        )
        ordered = list(states)
        for table in projection.tables:
            replaced = [] if projection.append_only else ordered
            for start in range(0, len(replaced), CHUNK):
                chunk = replaced[start : start + CHUNK]
                marks = ", ".join("?" for _ in chunk)
                tx.execute(f"DELETE FROM {table.name}{suffix} WHERE claim_id IN ({marks})", chunk)
            names = table.column_names
            tx.executemany(
                f"INSERT INTO {table.name}{suffix} ({', '.join(names)}) "
                f"VALUES ({', '.join('?' for _ in names)})",
                rows[table.name],
            )

    def _write_totals(self, tx: Tx, before: dict[str, Totals], after: dict[str, Any]) -> None:
        """Add the touched claims' changes to the totals; totals back at zero are removed (a
        rebuild would not have them)."""
        change: Counter[TotalsKey] = Counter()
        for claim_id, state in after.items():
            change.update(self.projection.totals(state))
            change.subtract(before.get(claim_id, {}))
        moved = sorted((key, amount) for key, amount in change.items() if amount)
        if not moved:
            return
        table = f"{self.projection.name}_totals{self.suffix}"
        tx.executemany(
            f"INSERT INTO {table} (measure, value, day, amount) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (measure, value, day) DO UPDATE SET "
            f"amount = {table}.amount + excluded.amount",
            [(*key, amount) for key, amount in moved],
        )
        tx.executemany(
            f"DELETE FROM {table} WHERE measure = ? AND value = ? AND day = ? AND amount = 0",
            [key for key, _ in moved],
        )

    def dump(self, table: Table, tx: Tx | None = None) -> list[Row]:
        """Every row of a table in key order (for verification)."""
        sql = (
            f"SELECT {', '.join(table.column_names)} FROM {table.name}{self.suffix} "
            f"ORDER BY {', '.join(table.key)}"
        )
        return tx.query(sql) if tx else self.store.query(sql)
