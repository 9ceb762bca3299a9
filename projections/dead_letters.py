"""Dead letters: the events a projection parks because they fail it
(docs/adr/0016-dead-letters.md)."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid5

from projections.tables import Row, Table

_ROOT = Path(__file__).resolve().parents[1]
_DEAD_LETTER_IDS = UUID("7d0c5c0e-3f7b-4d43-9a43-1f0f4f1b7a01")


DEAD_LETTERS = Table(
    "projection_dead_letters",
    (
        ("projection", "TEXT NOT NULL"),
        ("claim_id", "TEXT NOT NULL"),
        ("position", "BIGINT NOT NULL"),
        ("id", "TEXT NOT NULL"),
        ("claim_version", "INTEGER NOT NULL"),
        ("event_type", "TEXT NOT NULL"),
        ("error", "TEXT NOT NULL"),
        ("first_attempt", "TEXT NOT NULL"),
        ("last_attempt", "TEXT NOT NULL"),
        ("attempts", "INTEGER NOT NULL"),
        # Where the event came from when a Kafka worker parked it (NULL: the store's log).
        ("topic_partition", "INTEGER"),
        ("kafka_offset", "BIGINT"),
    ),
    ("projection", "claim_id", "position"),
    (("id",),),
)
DEAD_LETTER_COLUMNS = ", ".join(DEAD_LETTERS.column_names)


@dataclass(frozen=True)
class DeadLetter:
    """A parked event: the one that failed (`attempts` >= 1, `error` says how) or one held
    behind it (`error` names the position it waits for)."""

    projection: str
    claim_id: str
    position: int
    id: str
    claim_version: int
    event_type: str
    error: str
    first_attempt: str
    last_attempt: str
    attempts: int
    topic_partition: int | None
    kafka_offset: int | None

    @classmethod
    def from_row(cls, row: Row) -> DeadLetter:
        return cls(*row)


@dataclass(frozen=True)
class Replayed:
    """The outcome of replaying a claim's parked events: how many were applied, and the
    dead letters that remain (the event that still fails and those behind it)."""

    projection: str
    claim_id: str
    applied: int
    remaining: list[DeadLetter]


def dead_letter_id(projection: str, claim_id: str, position: int) -> str:
    """Stable across retries, re-deliveries and rebuilds of the projection."""
    return str(uuid5(_DEAD_LETTER_IDS, f"{projection}/{claim_id}/{position}"))


def describe_error(exc: BaseException) -> str:
    """The error's type and where it was raised, never its message: a message may quote the
    event's data, and dead letters are read models (no personal data)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    path = Path(frames[-1].filename)
    if "site-packages" in path.parts:  # a library's: from its package folder
        where = Path(*path.parts[path.parts.index("site-packages") + 1 :])
    else:
        where = path.relative_to(_ROOT) if path.is_relative_to(_ROOT) else Path(path.name)
    return f"{type(exc).__name__} at {where.as_posix()}:{frames[-1].lineno}"


def held_behind(position: int) -> str:
    return f"held: waits for the parked event at position {position}"


def utc_now() -> str:
    return datetime.now(UTC).isoformat()
