"""Kafka: the relay that publishes the stored log, and the projection workers that consume it.

The event store stays the source of truth. The relay reads the notification log (the event-log
port, `projections.event_log.EventLog`) from its saved position and publishes each claim event
(key = claim id, so a claim's events stay in order in one partition); it saves its position
only after the broker acknowledged the whole batch (`acks=all`, idempotent producer). A crash
re-publishes at most one batch: delivery is at-least-once. Workers assign partitions explicitly
(worker i of n), and store the next offset of each partition in the read-model database in the
same transaction as the views; a re-published event is recognised by its claim version and
skipped: projection is effectively-once. An event that fails a projection is parked in that
projection's dead letters with its partition and offset, in the same transaction as the next
offsets, and the worker goes on (docs/adr/0016-dead-letters.md). See docs/adr/0009-kafka.md.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import structlog
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from infra.events import EnvelopeError, decode, encode, envelope
from projections.base import FaultHook, Projection, ProjectionEngine, Table
from projections.event_log import EventLog
from projections.retry import exponential, run_until_stopped
from projections.store import ReadStore

log = structlog.get_logger(__name__)
# After a failure: 0.4 s, doubling with each failure in a row, up to 5 s.
BACKOFF = exponential(0.2)
RELAY_POSITION = Table(
    "relay_position", (("relay", "TEXT NOT NULL"), ("position", "BIGINT NOT NULL")), ("relay",)
)


def acknowledged_producer(bootstrap: str, client_id: str, timeout_ms: int, **extra: Any) -> Any:
    """A producer whose sends the broker has written to every replica (acks=all), without
    duplicates on retry: what the relay and the notifications publisher both need."""
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        retries=5,
        request_timeout_ms=timeout_ms,
        max_block_ms=timeout_ms,
        client_id=client_id,
        **extra,
    )


def assigned_consumer(bootstrap: str, client_id: str) -> Any:
    """A consumer without a group (joins hang against Tansu): its partitions are assigned
    explicitly and its positions kept in our own database."""
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id=client_id,
        consumer_timeout_ms=1000,
    )


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> int:
    """Create the topic if needed; returns its number of partitions."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="claims-admin")
    try:
        try:
            admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
            log.info("kafka.topic_created", topic=topic, partitions=partitions)
        except TopicAlreadyExistsError:
            pass
        described = admin.describe_topics([topic])
        return len(described[0]["partitions"]) or partitions
    finally:
        admin.close()


class Relay:
    """Publishes every stored claim event to Kafka, from a saved position."""

    def __init__(
        self,
        event_log: EventLog,
        store: ReadStore,
        *,
        bootstrap: str,
        topic: str,
        partitions: int = 6,
        exclude_health_data: bool = False,
        batch_size: int = 500,
        name: str = "kafka",
        timeout_ms: int = 10_000,
    ) -> None:
        self.event_log = event_log
        self.store = store
        self.bootstrap = bootstrap
        self.topic = topic
        self.partitions = partitions
        self.exclude_health_data = exclude_health_data
        self.batch_size = batch_size
        self.name = name
        self.timeout_ms = timeout_ms
        self._producer: Any = None
        self._stop = threading.Event()
        with store.transaction() as tx:
            for statement in RELAY_POSITION.ddl(""):
                tx.execute(statement)

    def position(self) -> int:
        rows = self.store.query("SELECT position FROM relay_position WHERE relay = ?", (self.name,))
        return int(rows[0][0]) if rows else 0

    def status(self) -> dict[str, int]:
        head = self.event_log.head()
        position = self.position()
        return {"position": position, "head": head, "behind": head - position}

    def _save(self, position: int) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO relay_position (relay, position) VALUES (?, ?) "
                "ON CONFLICT (relay) DO UPDATE SET position = excluded.position",
                (self.name, position),
            )

    def _connect(self) -> Any:
        if self._producer is None:
            ensure_topic(self.bootstrap, self.topic, self.partitions)
            self._producer = acknowledged_producer(
                self.bootstrap, f"claims-relay-{self.name}", self.timeout_ms, linger_ms=5
            )
        return self._producer

    def run_once(self) -> int:
        """Publish one batch; returns the number of notifications read (0: caught up)."""
        position = self.position()
        read = self.event_log.read(start=position + 1, limit=self.batch_size)
        if not read.count:
            return 0
        producer = self._connect()
        futures = []
        for notification_id, event in read.events:
            message = envelope(event, notification_id, exclude_health_data=self.exclude_health_data)
            futures.append(
                producer.send(
                    self.topic,
                    key=message["claim_id"].encode(),
                    value=encode(message),
                    headers=[
                        ("type", message["type"].encode()),
                        ("correlation_id", message["event_id"].encode()),
                    ],
                )
            )
        wait = self.timeout_ms / 1000 * 3
        producer.flush(timeout=wait)
        for future in futures:
            future.get(timeout=wait)  # raises unless the broker acknowledged it
        self._save(read.last)  # only after every message of the batch was acknowledged
        log.info("relay.published", messages=len(futures), position=read.last)
        return read.count

    def run_forever(self, interval: float = 0.05) -> None:
        """Publish until stopped; after a failure, reconnect and retry with back-off."""
        run_until_stopped(
            self.run_once, stop=self._stop, backoff=BACKOFF, idle=interval, on_failure=self._failed
        )

    def _failed(self, exc: Exception, failures: int) -> None:
        log.warning("relay.retry", error=type(exc).__name__, failures=failures)
        self._reset()

    def _reset(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:
                log.warning("relay.close_failed")
            self._producer = None

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._reset()


class KafkaProjectionWorker:
    """Worker `index` of `workers`: folds its share of the partitions into the read models."""

    def __init__(
        self,
        store: ReadStore,
        projections: Sequence[Projection],
        *,
        bootstrap: str,
        topic: str,
        index: int = 0,
        workers: int = 1,
        partitions: int = 6,
    ) -> None:
        if not 0 <= index < workers:
            msg = f"worker index {index} is not in 0..{workers - 1}"
            raise ValueError(msg)
        self.store = store
        self.engines = [ProjectionEngine(store, p) for p in projections]
        for engine in self.engines:
            engine.create_tables()
        self.topic = topic
        total = ensure_topic(bootstrap, topic, partitions)
        self.partitions = [p for p in range(total) if p % workers == index]
        self.consumer = assigned_consumer(bootstrap, f"claims-worker-{index}")
        self._assigned = [TopicPartition(topic, p) for p in self.partitions]
        self.consumer.assign(self._assigned)
        self._stop = threading.Event()
        self._resync = False
        self.skipped = 0
        self._seek()

    def _stored_offsets(self) -> dict[int, int]:
        """Per partition, the lowest next offset any projection stored with its views."""
        offsets = [engine.offsets() for engine in self.engines]
        return {tp.partition: min(o.get(tp.partition, 0) for o in offsets) for tp in self._assigned}

    def _seek(self) -> None:
        """Resume each partition at the lowest next offset of any projection."""
        stored = self._stored_offsets()
        for tp in self._assigned:
            self.consumer.seek(tp, stored[tp.partition])

    def _rewind(self) -> None:
        """Never skip a message: where the stored offsets are behind the consumer (a batch
        failed before its commit, or a rebuild was swapped in and reset them), go back and
        apply from there; what a claim has already folded is skipped by its version."""
        stored = self._stored_offsets()
        for tp in self._assigned:
            applied, position = stored[tp.partition], self.consumer.position(tp)
            if applied < position:
                applied = max(applied, self.consumer.beginning_offsets([tp])[tp])
            if applied < position:
                log.warning("worker.rewind", partition=tp.partition, to=applied, was=position)
                self.consumer.seek(tp, applied)

    def positions(self) -> dict[int, int]:
        """Per partition, the next offset every projection has applied up to."""
        return self._stored_offsets()

    def dead_letter_counts(self) -> dict[str, int]:
        """Each projection's parked events, by name."""
        return {engine.projection.name: engine.dead_letter_count() for engine in self.engines}

    def lag(self) -> dict[int, int]:
        """Messages not yet applied by every projection, per partition."""
        ends = self.consumer.end_offsets(self._assigned)
        stored = self._stored_offsets()
        return {tp.partition: max(0, ends[tp] - stored[tp.partition]) for tp in self._assigned}

    def run_once(self, *, timeout_ms: int = 200, fault: FaultHook | None = None) -> int:
        self._rewind()
        batches = self.consumer.poll(timeout_ms=timeout_ms, max_records=1000)
        count = 0
        for tp, records in batches.items():
            events: list[tuple[int, int, Any]] = []
            for record in records:
                try:
                    position, event = decode(record.value)
                except EnvelopeError as exc:
                    # A poison message must not stop the worker: log it, move past it.
                    self.skipped += 1
                    log.warning(
                        "worker.message_skipped",
                        partition=tp.partition,
                        offset=record.offset,
                        reason=str(exc),
                    )
                    continue
                events.append((record.offset, position, event))
            next_offset = records[-1].offset + 1
            sources = {p: (tp.partition, offset) for offset, p, _ in events}
            for engine in self.engines:
                done = engine.offsets().get(tp.partition, 0)
                engine.apply(
                    [(p, e) for offset, p, e in events if offset >= done],
                    offsets={tp.partition: next_offset},
                    sources=sources,
                    fault=fault,
                )
            count += len(records)
        return count

    def run_until_idle(self, idle_polls: int = 3) -> None:
        idle = 0
        while idle < idle_polls:
            idle = 0 if self.run_once() else idle + 1

    def run_forever(self) -> None:
        """Poll until stopped; after a failure, go back to the stored offsets and retry with
        back-off."""
        run_until_stopped(
            self._poll, stop=self._stop, backoff=BACKOFF, idle=0, on_failure=self._failed
        )

    def _poll(self) -> int:
        if self._resync:
            self._seek()  # the consumer moved past the failed batch: go back
            self._resync = False
        return self.run_once(timeout_ms=500)

    def _failed(self, exc: Exception, failures: int) -> None:
        log.warning("worker.retry", error=type(exc).__name__, failures=failures)
        self._resync = True

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.consumer.close()
