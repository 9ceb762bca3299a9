"""The notifications' tables in the read-model database (docs/adr/0034-notifications.md).

The Notification aggregates in the event store are the truth. Beside them, in the read-model
database, are: an index of them (codes and ids only, never a recipient or a parameter: those
stay sealed in the store) by claim, by state and by whether they went to Kafka; the policy's
position in the log; and the proof requests the reminders are computed from. Every write is
idempotent (`ON CONFLICT`), so replaying the log after a crash re-writes the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from projections.base import Table
from projections.store import ReadStore, Tx

INDEX = Table(
    "notification_index",
    (
        ("notification_id", "TEXT NOT NULL"),
        ("claim_id", "TEXT NOT NULL"),
        ("template", "TEXT NOT NULL"),
        ("channel", "TEXT NOT NULL"),
        ("trigger_event", "TEXT NOT NULL"),
        ("trigger_type", "TEXT NOT NULL"),
        ("reminder_day", "INTEGER"),
        ("state", "TEXT NOT NULL"),
        ("position", "BIGINT NOT NULL"),
        ("published", "INTEGER NOT NULL"),
    ),
    ("notification_id",),
    (("claim_id",), ("state", "position"), ("published", "position")),
)
POSITIONS = Table(
    "notification_positions",
    (("name", "TEXT NOT NULL"), ("position", "BIGINT NOT NULL")),
    ("name",),
)
PROOF_REQUESTS = Table(
    "notification_proof_requests",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("trigger_event", "TEXT NOT NULL"),
        ("requested_on", "TEXT NOT NULL"),
        ("complete", "INTEGER NOT NULL"),
    ),
    ("claim_id",),
    (("complete", "requested_on"),),
)
TABLES = (INDEX, POSITIONS, PROOF_REQUESTS)


@dataclass(frozen=True)
class IndexRow:
    notification_id: str
    claim_id: str
    template: str
    channel: str
    trigger_event: str
    trigger_type: str
    reminder_day: int | None
    state: str
    position: int


@dataclass(frozen=True)
class ProofRequest:
    claim_id: str
    trigger_event: str
    requested_on: date


# The SQL below is built from these constant names only, never from input.
_COLUMNS = (
    "notification_id, claim_id, template, channel, trigger_event, trigger_type, reminder_day, "
    "state, position"
)


def _row(values: tuple[object, ...]) -> IndexRow:
    nid, claim, template, channel, trigger, kind, day, state, position = values
    return IndexRow(
        str(nid),
        str(claim),
        str(template),
        str(channel),
        str(trigger),
        str(kind),
        None if day is None else int(str(day)),
        str(state),
        int(str(position)),
    )


class NotificationIndex:
    """The notifications' rows in the read-model database."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store

    def setup(self) -> None:
        with self.store.transaction() as tx:
            for table in TABLES:
                for statement in table.ddl(""):
                    tx.execute(statement)

    # ------------------------------------------------------------------ the index

    def add(self, row: IndexRow, tx: Tx | None = None) -> None:
        """Index a requested notification (again: nothing changes)."""
        sql = (
            f"INSERT INTO notification_index ({_COLUMNS}, published) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (notification_id) DO NOTHING"
        )
        params = (
            row.notification_id,
            row.claim_id,
            row.template,
            row.channel,
            row.trigger_event,
            row.trigger_type,
            row.reminder_day,
            row.state,
            row.position,
        )
        if tx is not None:
            tx.execute(sql, params)
            return
        with self.store.transaction() as own:
            own.execute(sql, params)

    def set_state(self, notification_id: str, state: str) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE notification_index SET state = ? WHERE notification_id = ?",
                (state, notification_id),
            )

    def get(self, notification_id: str) -> IndexRow | None:
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM notification_index WHERE notification_id = ?",  # noqa: S608
            (notification_id,),
        )
        return _row(rows[0]) if rows else None

    def for_claim(self, claim_id: str) -> list[IndexRow]:
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM notification_index WHERE claim_id = ? "  # noqa: S608
            "ORDER BY position, notification_id",
            (claim_id,),
        )
        return [_row(r) for r in rows]

    def pending(self, limit: int = 100) -> list[IndexRow]:
        """Notifications not yet reported, oldest first."""
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM notification_index WHERE state = 'requested' "  # noqa: S608
            "ORDER BY position, notification_id LIMIT ?",
            (limit,),
        )
        return [_row(r) for r in rows]

    def unpublished(self, limit: int = 500) -> list[IndexRow]:
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM notification_index WHERE published = 0 "  # noqa: S608
            "ORDER BY position, notification_id LIMIT ?",
            (limit,),
        )
        return [_row(r) for r in rows]

    def mark_published(self, notification_ids: list[str]) -> None:
        with self.store.transaction() as tx:
            tx.executemany(
                "UPDATE notification_index SET published = 1 WHERE notification_id = ?",
                [(nid,) for nid in notification_ids],
            )

    # ------------------------------------------------------------------ positions

    def position(self, name: str) -> int:
        rows = self.store.query(
            "SELECT position FROM notification_positions WHERE name = ?", (name,)
        )
        return int(rows[0][0]) if rows else 0

    def save_position(self, name: str, position: int, tx: Tx) -> None:
        tx.execute(
            "INSERT INTO notification_positions (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (name, position),
        )

    # ------------------------------------------------------------------ proof requests

    def track_proof_request(self, request: ProofRequest, tx: Tx) -> None:
        """The claim's latest proof request, still to be completed."""
        tx.execute(
            "INSERT INTO notification_proof_requests (claim_id, trigger_event, requested_on, "
            "complete) VALUES (?, ?, ?, 0) ON CONFLICT (claim_id) DO UPDATE SET "
            "trigger_event = excluded.trigger_event, requested_on = excluded.requested_on, "
            "complete = 0",
            (request.claim_id, request.trigger_event, request.requested_on.isoformat()),
        )

    def proofs_completed(self, claim_id: str, tx: Tx | None = None) -> None:
        sql = "UPDATE notification_proof_requests SET complete = 1 WHERE claim_id = ?"
        if tx is not None:
            tx.execute(sql, (claim_id,))
            return
        with self.store.transaction() as own:
            own.execute(sql, (claim_id,))

    def proofs_reopened(self, claim_id: str, tx: Tx) -> None:
        """A proof is outstanding again (a document rejected): the reminders resume."""
        tx.execute(
            "UPDATE notification_proof_requests SET complete = 0 WHERE claim_id = ?", (claim_id,)
        )

    def open_proof_requests(self, requested_by: date, limit: int = 1000) -> list[ProofRequest]:
        """Proof requests not known complete, made on or before `requested_by`."""
        rows = self.store.query(
            "SELECT claim_id, trigger_event, requested_on FROM notification_proof_requests "
            "WHERE complete = 0 AND requested_on <= ? ORDER BY requested_on, claim_id LIMIT ?",
            (requested_by.isoformat(), limit),
        )
        return [ProofRequest(str(c), str(t), date.fromisoformat(str(r))) for c, t, r in rows]
