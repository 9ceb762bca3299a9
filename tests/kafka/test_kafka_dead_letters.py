"""Kafka workers park the events that fail, beside their offsets, and go on."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from infra.health import StallWatch
from projections.base import ProjectionEngine
from projections.claims_list.fold import ClaimsListProjection
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log
from tests.kafka.conftest import Broker
from tests.kafka.test_kafka import (
    STORE_ONLY,
    assert_same_views,
    drain,
    publish_all,
    relay_for,
    workers,
)
from tests.projections.poison import poison_fold
from tests.projections.workload import random_workload

pytestmark = pytest.mark.kafka


def assert_same_views_but(
    reference: ProjectionRunner, kafka_store: ReadStore, poisoned: UUID
) -> None:
    """Every view row of every claim but the poisoned one equals the store's views (the
    reference is caught up by the caller, without the fault: it is patched on the class)."""
    for projection in [engine.projection for engine in reference.engines]:
        mine = ProjectionEngine(reference.store, projection)
        theirs = ProjectionEngine(kafka_store, projection)
        for table in projection.tables:
            expected = [r for r in mine.dump(table) if r[0] != str(poisoned)]
            assert bool(expected) is (table.name not in STORE_ONLY), table.name
            assert [r for r in theirs.dump(table) if r[0] != str(poisoned)] == expected, table.name


def test_a_fold_that_raises_for_one_claim_parks_its_messages_and_the_workers_go_on(
    app: ClaimsApplication,
    store_views: ProjectionRunner,
    kafka_store: ReadStore,
    broker: Broker,
    topic: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the reference views built from the store, and a workload published to Kafka
    random_workload(app, claims=30, commands=200, seed=89, receipts=False)
    store_views.catch_up()
    poisoned = app.claim_id_for_number("S20000006")
    relay = relay_for(app, store_views.store, broker, topic)
    publish_all(relay)

    # When the workers run with a claims-list fold that raises for one claim
    heal = poison_fold(monkeypatch, ClaimsListProjection, poisoned, from_version=2)
    pool = workers(kafka_store, app, broker, topic)
    drain(pool)

    # Then they applied everything else: no lag, the other claims' views equal the store's
    assert all(not any(w.lag().values()) for w in pool)
    assert_same_views_but(store_views, kafka_store, poisoned)
    live = ProjectionEngine(kafka_store, ClaimsListProjection())
    letters = live.dead_letters()
    versions = [d.claim_version for d in letters]
    assert versions == list(range(2, len(app.history(poisoned)) + 1))
    assert letters[0].error.startswith("InjectedFoldError at tests/projections/poison.py:")
    # each parked message is stored with its partition and offset
    (partition,) = {d.topic_partition for d in letters}
    assert partition is not None
    offsets = [d.kafka_offset for d in letters if d.kafka_offset is not None]
    assert len(offsets) == len(letters)
    assert offsets == sorted(offsets)
    counts = {name: n for w in pool for name, n in w.dead_letter_counts().items()}
    assert counts == {
        "claims_list": len(letters),
        "sla": 0,
        "worklist": 0,
        "audit_trail": 0,
        "financials": 0,
        "retention": 0,
        "claim_search": 0,
        "reporting": 0,
    }
    (owner,) = [w for w in pool if partition in w.partitions]
    health = StallWatch(0.01).assess(
        {str(p): o for p, o in owner.positions().items()},
        {str(p): n for p, n in owner.lag().items()},
        owner.dead_letter_counts(),
    )
    assert (health.status, health.http_status) == ("degraded", 200)

    # Later messages of the claim are held behind the parked one; others are applied
    app.add_note(poisoned, text="later", noted_on=date(2026, 6, 3), by="h1")
    app.add_note(
        app.claim_id_for_number("S20000007"), text="later", noted_on=date(2026, 6, 3), by="h1"
    )
    publish_all(relay)
    drain(pool)
    assert len(live.dead_letters()) == len(letters) + 1

    # After the fix, a retry (as the API does it, from the event store) clears the claim
    heal()
    store_views.catch_up()
    assert_same_views_but(store_views, kafka_store, poisoned)
    retrying = ProjectionRunner(build_event_log(app), kafka_store, all_projections(app.calendar))
    replayed = retrying.retry(letters[0].id)
    assert replayed is not None
    assert (replayed.applied, replayed.remaining) == (len(letters) + 1, [])
    assert live.dead_letters() == []

    # and the workers carry on with the claim as with any other
    app.add_note(poisoned, text="after the retry", noted_on=date(2026, 6, 4), by="h1")
    publish_all(relay)
    relay.close()
    drain(pool)
    for worker in pool:
        worker.close()
    assert live.dead_letters() == []
    assert_same_views(store_views, kafka_store)
