"""Projections as pure per-claim folds, persisted with their position in one transaction.

A projection folds each claim's events into a JSON-ready state (`fold`, pure, unit-tested on
tuples of events) and derives the rows of its tables from that state (`rows`). The engine
applies a batch of events in one transaction: the touched claims' states and rows are replaced
and the projection's position moves to the batch's last notification id. A crash anywhere
before the commit leaves the previous state and position, so no event is applied twice or
skipped.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast
from uuid import UUID

from projections.store import ReadStore, Tx

State = dict[str, Any]
CHUNK = 500  # claim ids per IN (...) list: within SQLite's and PostgreSQL's parameter limits
Row = tuple[Any, ...]
TotalsKey = tuple[str, str, str]  # (measure, value, day as ISO date)
Totals = Mapping[TotalsKey, int]
FaultHook = Callable[[str], None]


@dataclass(frozen=True)
class Table:
    """A view table: its name, columns (the first ones form the key) and indexes."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    def ddl(self, suffix: str) -> list[str]:
        cols = ", ".join(f"{name} {sqltype}" for name, sqltype in self.columns)
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.name}{suffix} "
            f"({cols}, PRIMARY KEY ({', '.join(self.key)}))"
        ]
        statements += [
            f"CREATE INDEX IF NOT EXISTS ix_{self.name}{suffix}_{'_'.join(index)} "
            f"ON {self.name}{suffix} ({', '.join(index)})"
            for index in self.indexes
        ]
        return statements

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


class Projection(ABC):
    """One read model: a fold per claim and the rows derived from it.

    The engine keeps each claim's state in a JSON column between batches. Within a batch it
    works on the `thaw`ed form (by default the JSON itself) and owns it: a fold may change the
    state it is given and return it, which spares a projection with a rich state (the SLA
    clocks) converting it on every event. `freeze` gives the JSON to store."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    # True when an event only ever adds rows (the audit trail): `rows` then returns the rows of
    # the events folded since the state was thawed, and the engine deletes none.
    append_only: ClassVar[bool] = False
    # True when the projection keeps totals across claims (`<name>_totals`): each claim adds
    # its `totals` to them, and the engine applies the difference when the claim changes.
    keeps_totals: ClassVar[bool] = False

    @abstractmethod
    def fold(self, state: Any | None, event: Any, position: int) -> Any | None:
        """The claim's new state after `event` (None: the event changes nothing)."""

    @abstractmethod
    def rows(self, claim_id: UUID, state: Any) -> dict[str, list[Row]]:
        """Every row of the claim (or its new rows, if append-only), by table name; rows
        start with claim_id."""

    def totals(self, state: Any) -> Totals:
        """The claim's share of the totals: (measure, value, day) -> amount. A total read
        "as of day d" is the sum of the amounts of days up to d."""
        return {}

    def thaw(self, stored: State) -> Any:
        """The working state from the stored JSON."""
        return stored

    def freeze(self, state: Any) -> State:
        """The JSON to store from the working state."""
        return cast(State, state)


TRACKING = Table(
    "projection_tracking",
    (("projection", "TEXT NOT NULL"), ("position", "BIGINT NOT NULL")),
    ("projection",),
)


KAFKA_OFFSETS = Table(
    "kafka_offsets",
    (
        ("projection", "TEXT NOT NULL"),
        ("topic_partition", "INTEGER NOT NULL"),
        ("next_offset", "BIGINT NOT NULL"),
    ),
    ("projection", "topic_partition"),
)


SCHEMAS = Table(
    "projection_schema",
    (("projection", "TEXT NOT NULL"), ("fingerprint", "TEXT NOT NULL")),
    ("projection",),
)


def totals_table(projection: Projection) -> Table:
    return Table(
        f"{projection.name}_totals",
        (
            ("measure", "TEXT NOT NULL"),
            ("value", "TEXT NOT NULL"),
            ("day", "TEXT NOT NULL"),
            ("amount", "BIGINT NOT NULL"),
        ),
        ("measure", "value", "day"),
        (("day",),),
    )


def _state_table(projection: Projection) -> Table:
    # `version` is the claim version last folded: a duplicate delivery (Kafka) is skipped.
    return Table(
        f"{projection.name}_state",
        (
            ("claim_id", "TEXT NOT NULL"),
            ("version", "INTEGER NOT NULL"),
            ("state", "TEXT NOT NULL"),
        ),
        ("claim_id",),
    )


class ProjectionEngine:
    """Applies batches of events to one projection's table set (live, or a rebuild's)."""

    def __init__(self, store: ReadStore, projection: Projection, suffix: str = "") -> None:
        self.store = store
        self.projection = projection
        self.suffix = suffix
        self.tracking_key = projection.name + suffix
        self.state_table = _state_table(projection)

    @property
    def all_tables(self) -> tuple[Table, ...]:
        totals = (totals_table(self.projection),) if self.projection.keeps_totals else ()
        return (*self.projection.tables, *totals, self.state_table)

    def create_tables(self) -> None:
        """Create the tables; when their definition changed since they were created, drop
        them so that the projection rebuilds from position zero."""
        fingerprint = hashlib.sha256(
            "\n".join(s for t in self.all_tables for s in t.ddl("")).encode()
        ).hexdigest()
        with self.store.transaction() as tx:
            for table in (TRACKING, KAFKA_OFFSETS, SCHEMAS):
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
        fault: FaultHook | None = None,
        tx: Tx | None = None,
    ) -> None:
        """Apply (position, event) pairs and record where the source stands, in one
        transaction (the caller's `tx`, shared with other projections, or its own): the
        notification `position` (store source; may lie beyond the last event, as other
        aggregates' notifications move it too) or the next Kafka `offsets`. Events a claim has
        already folded (by version) are skipped."""
        if tx is not None:
            self._apply(tx, events, position, offsets, fault)
            return
        with self.store.transaction() as own:
            self._apply(own, events, position, offsets, fault)

    def _apply(
        self,
        tx: Tx,
        events: Sequence[tuple[int, Any]],
        position: int | None,
        offsets: Mapping[int, int] | None,
        fault: FaultHook | None,
    ) -> None:
        hit = fault or (lambda _step: None)
        if position is not None:
            current = self.position(tx)
            if position <= current:
                return  # already applied (a concurrent runner, or a replayed batch)
            events = [(p, e) for p, e in events if p > current]
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
        hit("before_view_write")
        self._write_claims(tx, {c: states[c] for c in sorted(touched)})
        if self.projection.keeps_totals:
            self._write_totals(tx, before, {c: states[c][1] for c in touched})
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
