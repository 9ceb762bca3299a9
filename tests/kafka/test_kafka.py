"""Publishing every event to Kafka and projecting from it, against a real broker."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from infra.events import decode, encode
from infra.kafka import KafkaProjectionWorker, Relay
from projections.base import ProjectionEngine
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log
from tests.kafka.conftest import Broker
from tests.projections.workload import random_workload
from tests.support import read_topic

pytestmark = pytest.mark.kafka
PARTITIONS = 4
# Read-model tables fed by the notifications' streams, which the relay does not publish (it
# publishes the claims' events: docs/adr/0029, Consequences): the workloads here record no
# notification (`receipts=False`), and these tables stay empty on both sides.
STORE_ONLY = frozenset({"reporting_receipts"})


def relay_for(app: ClaimsApplication, store: ReadStore, broker: Broker, topic: str) -> Relay:
    return Relay(
        build_event_log(app),
        store,
        bootstrap=broker.bootstrap,
        topic=topic,
        partitions=PARTITIONS,
        timeout_ms=3000,
    )


def publish_all(relay: Relay) -> None:
    while relay.run_once():
        pass


def messages(broker: Broker, topic: str) -> list[Any]:
    return read_topic(broker.bootstrap, topic, PARTITIONS)


def workers(
    kafka_store: ReadStore, app: ClaimsApplication, broker: Broker, topic: str, count: int = 2
) -> list[KafkaProjectionWorker]:
    return [
        KafkaProjectionWorker(
            kafka_store,
            all_projections(app.calendar),
            bootstrap=broker.bootstrap,
            topic=topic,
            index=i,
            workers=count,
            partitions=PARTITIONS,
        )
        for i in range(count)
    ]


def drain(pool: list[KafkaProjectionWorker], timeout: float = 120) -> None:
    """Run each worker until it has applied everything published (idle polls alone can end
    early on a loaded machine)."""
    deadline = time.monotonic() + timeout
    for worker in pool:
        worker.run_until_idle()
        while any(worker.lag().values()) and time.monotonic() < deadline:
            worker.run_until_idle()


def run_workers(pool: list[KafkaProjectionWorker], timeout: float = 120) -> None:
    drain(pool, timeout)
    for worker in pool:
        worker.close()


def assert_same_views(reference: ProjectionRunner, kafka_store: ReadStore) -> None:
    reference.catch_up()
    for projection in [engine.projection for engine in reference.engines]:
        mine = ProjectionEngine(reference.store, projection)
        theirs = ProjectionEngine(kafka_store, projection)
        for table in mine.all_tables:
            expected = mine.dump(table)
            assert bool(expected) is (table.name not in STORE_ONLY), table.name
            assert theirs.dump(table) == expected, table.name


def test_ordering_per_claim_and_views_equal_to_the_store(
    app: ClaimsApplication,
    store_views: ProjectionRunner,
    kafka_store: ReadStore,
    broker: Broker,
    topic: str,
) -> None:
    random_workload(app, claims=500, commands=2500, seed=11, receipts=False)
    claims = [app.claim_id_for_number(f"S2{n:07d}") for n in range(1, 501)]
    rng = random.Random(5)
    total = sum(len(app.history(c)) for c in claims)

    for _ in range(10_000 - total):  # top up to 10,000 events with notes
        app.add_note(rng.choice(claims), text="follow-up", noted_on=date(2026, 6, 1), by="h")
    relay = relay_for(app, store_views.store, broker, topic)
    publish_all(relay)
    relay.close()

    records = messages(broker, topic)
    assert len(records) == 10_000
    versions: dict[str, list[int]] = defaultdict(list)
    for record in records:
        _, event = decode(record.value)
        assert record.key == str(event.originator_id).encode()
        assert dict(record.headers)["type"] == type(event).__name__.encode()
        versions[str(event.originator_id)].append(event.originator_version)
    assert len(versions) == 500
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())

    run_workers(workers(kafka_store, app, broker, topic))
    assert_same_views(store_views, kafka_store)


def test_relay_killed_ten_times_still_publishes_every_event(
    app: ClaimsApplication,
    database_url: str,
    store_views: ProjectionRunner,
    kafka_store: ReadStore,
    broker: Broker,
    topic: str,
) -> None:
    random_workload(app, claims=100, commands=1500, seed=13, receipts=False)
    env = {
        **os.environ,
        "CLAIMS_DATABASE_URL": database_url,
        "CLAIMS_KAFKA_BOOTSTRAP": broker.bootstrap,
        "CLAIMS_KAFKA_TOPIC": topic,
        "CLAIMS_KAFKA_PARTITIONS": str(PARTITIONS),
    }
    claims = str(Path(sys.executable).with_name("claims"))
    rng = random.Random(17)
    for _ in range(10):
        relay = subprocess.Popen(
            [claims, "relay"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.5, 2.0))
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=30)
    status = subprocess.run(
        [claims, "relay", "--status"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert '"head"' in status.stdout
    finish = relay_for(app, store_views.store, broker, topic)
    publish_all(finish)
    finish.close()

    published = {decode(r.value)[0] for r in messages(broker, topic)}
    stored = {
        n.id
        for n in app.recorder.select_notifications(start=1, limit=100_000)
        if n.topic.startswith("domain.claim:Claim.")
    }
    assert stored <= published
    run_workers(workers(kafka_store, app, broker, topic))
    assert_same_views(store_views, kafka_store)


def test_broker_down_commands_continue_and_the_relay_catches_up(
    app: ClaimsApplication,
    store_views: ProjectionRunner,
    kafka_store: ReadStore,
    broker: Broker,
    topic: str,
) -> None:
    if broker.process is None:
        pytest.skip("needs the test's own broker to stop it")
    random_workload(app, claims=20, commands=100, seed=19, receipts=False)
    relay = relay_for(app, store_views.store, broker, topic)
    thread = threading.Thread(target=relay.run_forever, daemon=True)
    thread.start()
    try:
        broker.pause()
        try:
            # the store keeps accepting
            random_workload(app, claims=20, commands=200, seed=23, receipts=False)
            time.sleep(1)
        finally:
            broker.resume()
        deadline = time.monotonic() + 90
        while relay.status()["behind"] > 0:
            assert time.monotonic() < deadline, relay.status()
            time.sleep(0.2)
    finally:
        relay.stop()
        thread.join(timeout=30)
        relay.close()
    run_workers(workers(kafka_store, app, broker, topic))
    assert_same_views(store_views, kafka_store)


def test_a_worker_crash_between_view_write_and_commit_applies_nothing_twice(
    app: ClaimsApplication,
    store_views: ProjectionRunner,
    kafka_store: ReadStore,
    broker: Broker,
    topic: str,
) -> None:
    random_workload(app, claims=30, commands=300, seed=29, receipts=False)
    relay = relay_for(app, store_views.store, broker, topic)
    publish_all(relay)
    relay.close()

    class InjectedCrashError(Exception):
        pass

    def crash(step: str) -> None:
        if step == "after_view_write":
            raise InjectedCrashError(step)

    (crashing,) = workers(kafka_store, app, broker, topic, count=1)

    def consume_until_the_crash() -> None:
        while True:
            crashing.run_once(fault=crash)

    with pytest.raises(InjectedCrashError):
        consume_until_the_crash()
    crashing.close()
    run_workers(workers(kafka_store, app, broker, topic, count=1))  # the restart
    assert_same_views(store_views, kafka_store)


def test_bad_messages_are_skipped_without_stopping_the_worker(
    app: ClaimsApplication,
    store_views: ProjectionRunner,
    kafka_store: ReadStore,
    broker: Broker,
    topic: str,
) -> None:
    random_workload(app, claims=10, commands=60, seed=31, receipts=False)
    relay = relay_for(app, store_views.store, broker, topic)
    publish_all(relay)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    bad = [
        b"not json",
        encode({"schema": "claims.event", "schema_version": 1, "type": "Teleported", "data": {}}),
        encode(
            {
                "schema": "claims.event",
                "schema_version": 1,
                "type": "NoteAdded",
                "claim_id": "x",
                "data": {"text": "t"},
            }
        ),
    ]
    for value in bad:
        producer.send(topic, key=b"k", value=value)
    producer.flush()
    producer.close()
    # good messages after the bad ones
    random_workload(app, claims=5, commands=30, seed=37, receipts=False)
    publish_all(relay)
    relay.close()

    pool = workers(kafka_store, app, broker, topic, count=1)
    pool[0].run_until_idle()
    assert pool[0].skipped == len(bad)
    pool[0].close()
    assert_same_views(store_views, kafka_store)


def test_a_rebuild_swapped_in_under_running_workers_loses_nothing(
    app: ClaimsApplication,
    store_views: ProjectionRunner,
    kafka_store: ReadStore,
    broker: Broker,
    topic: str,
) -> None:
    random_workload(app, claims=40, commands=200, seed=3, receipts=False)
    relay = relay_for(app, store_views.store, broker, topic)
    publish_all(relay)
    pool = workers(kafka_store, app, broker, topic)
    drain(pool)
    claims = [app.claim_id_for_number(f"S2{n:07d}") for n in range(1, 41)]
    rng = random.Random(8)

    def meanwhile(_count: int) -> None:
        # While the rebuild replays the log, more events are published and applied: the
        # workers are ahead of the rebuilt tables when they are swapped in.
        for _ in range(30):
            app.add_note(rng.choice(claims), text="later", noted_on=date(2026, 6, 2), by="h")
        publish_all(relay)
        drain(pool)

    for projection in all_projections(app.calendar):
        rebuild(build_event_log(app), kafka_store, projection, verify=False, progress=meanwhile)
    drain(pool)
    run_workers(pool)
    relay.close()
    assert_same_views(store_views, kafka_store)
