"""What a projection is (`Projection`: a pure per-claim fold and the rows it derives) and the
tables the engine keeps for it (docs/adr/0008-projections.md)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast
from uuid import UUID

State = dict[str, Any]
Row = tuple[Any, ...]
TotalsKey = tuple[str, str, str]  # (measure, value, day as ISO date)
Totals = Mapping[TotalsKey, int]


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
    # Raised when the fold's rules change what it derives from the same events: the tables'
    # fingerprint changes with it, so the projection rebuilds itself from position zero.
    rules_version: ClassVar[int] = 1
    # True when the projection also folds the `Notification` aggregates' events (each in its
    # own stream: the engine keeps their states by notification id, as a claim's by claim id).
    reads_notifications: ClassVar[bool] = False

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


def state_table(projection: Projection) -> Table:
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
