"""Kafka for notifications: the topic `claims.notifications` (CLAIMS_NOTIFICATIONS_TOPIC), key the
claim id, and a message that carries only `notification_id`, `claim_id`, `template` and
`channel`: the sender reads the recipient and the parameters from the store, sealed
(api.md v2 §5, docs/adr/0034-notifications.md).

The publisher reads the notification index's rows not yet published and marks them published
once the broker acknowledged the batch (at-least-once, as the relay). The consumer assigns its
partitions explicitly and keeps its next offsets in the read-model database; a message
delivered twice names a notification already reported, which the sender skips.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import structlog
from kafka import TopicPartition

from infra.kafka import acknowledged_producer, assigned_consumer, ensure_topic
from infra.notification_index import NotificationIndex
from projections.base import Table

log = structlog.get_logger(__name__)
MESSAGE_FIELDS = ("notification_id", "claim_id", "template", "channel")
OFFSETS = Table(
    "notification_consumer_offsets",
    (
        ("consumer", "TEXT NOT NULL"),
        ("partition_no", "INTEGER NOT NULL"),
        ("next_offset", "BIGINT NOT NULL"),
    ),
    ("consumer", "partition_no"),
)


class NotificationPublisher:
    """Publishes each requested notification's ids to the notifications topic."""

    def __init__(
        self,
        index: NotificationIndex,
        *,
        bootstrap: str,
        topic: str,
        partitions: int = 6,
        batch_size: int = 500,
        timeout_ms: int = 10_000,
    ) -> None:
        self.index = index
        self.bootstrap = bootstrap
        self.topic = topic
        self.partitions = partitions
        self.batch_size = batch_size
        self.timeout_ms = timeout_ms
        self._producer: Any = None

    def _connect(self) -> Any:
        if self._producer is None:
            ensure_topic(self.bootstrap, self.topic, self.partitions)
            self._producer = acknowledged_producer(
                self.bootstrap, "claims-notifications", self.timeout_ms
            )
        return self._producer

    def run_once(self) -> int:
        """Publish one batch; returns the messages published (0: nothing new)."""
        rows = self.index.unpublished(self.batch_size)
        if not rows:
            return 0
        producer = self._connect()
        futures = []
        for row in rows:
            message = {
                "notification_id": row.notification_id,
                "claim_id": row.claim_id,
                "template": row.template,
                "channel": row.channel,
            }
            futures.append(
                producer.send(
                    self.topic,
                    key=row.claim_id.encode(),
                    value=json.dumps(message, sort_keys=True).encode(),
                )
            )
        wait = self.timeout_ms / 1000 * 3
        producer.flush(timeout=wait)
        for future in futures:
            future.get(timeout=wait)  # raises unless the broker acknowledged it
        self.index.mark_published([row.notification_id for row in rows])
        log.info("notifications.published", messages=len(rows))
        return len(rows)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=1)
            self._producer = None


@dataclass(frozen=True)
class NotificationMessage:
    notification_id: str
    claim_id: str
    template: str
    channel: str
    partition: int
    offset: int


class NotificationConsumer:
    """Reads the notifications topic from its stored offsets (worker `index` of `workers`)."""

    def __init__(
        self,
        index: NotificationIndex,
        *,
        bootstrap: str,
        topic: str,
        name: str = "sender",
        worker: int = 0,
        workers: int = 1,
        partitions: int = 6,
    ) -> None:
        self.store = index.store
        self.name = name
        with self.store.transaction() as tx:
            for statement in OFFSETS.ddl(""):
                tx.execute(statement)
        total = ensure_topic(bootstrap, topic, partitions)
        self.assigned = [TopicPartition(topic, p) for p in range(total) if p % workers == worker]
        self.consumer = assigned_consumer(bootstrap, f"claims-notify-{worker}")
        self.consumer.assign(self.assigned)
        stored = self._stored()
        for tp in self.assigned:
            self.consumer.seek(tp, stored.get(tp.partition, 0))

    def _stored(self) -> dict[int, int]:
        rows = self.store.query(
            "SELECT partition_no, next_offset FROM notification_consumer_offsets "
            "WHERE consumer = ?",
            (self.name,),
        )
        return {int(p): int(o) for p, o in rows}

    def poll(self, timeout_ms: int = 500) -> list[NotificationMessage]:
        messages = []
        for tp, records in self.consumer.poll(timeout_ms=timeout_ms, max_records=500).items():
            for record in records:
                try:
                    body = json.loads(record.value)
                    messages.append(
                        NotificationMessage(
                            notification_id=str(body["notification_id"]),
                            claim_id=str(body["claim_id"]),
                            template=str(body["template"]),
                            channel=str(body["channel"]),
                            partition=tp.partition,
                            offset=record.offset,
                        )
                    )
                except (ValueError, KeyError, TypeError):
                    log.warning(
                        "notifications.message_skipped",
                        partition=tp.partition,
                        offset=record.offset,
                    )
                    self.commit(tp.partition, record.offset + 1)
        return messages

    def commit(self, partition: int, next_offset: int) -> None:
        """Remember that everything before `next_offset` of the partition was handled."""
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO notification_consumer_offsets (consumer, partition_no, next_offset) "
                "VALUES (?, ?, ?) ON CONFLICT (consumer, partition_no) DO UPDATE SET "
                "next_offset = excluded.next_offset",
                (self.name, partition, next_offset),
            )

    def close(self) -> None:
        self.consumer.close()
