"""The notifications topic against a real broker: only ids and codes in the message, key the
claim id; the sender delivers what it consumes, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from uuid import UUID

import pytest

from domain.notification import Channel, NotificationState, Template
from infra.events import NOTIFICATION_MESSAGE
from infra.field_cipher import FieldCipher
from infra.notification_kafka import NotificationConsumer, NotificationPublisher
from infra.settings import Settings
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.notifications.runner import NotifyPass
from services.notifications.sender import DirectReporter
from services.notifications.service import Notifications, Recipient
from services.notifications.wiring import build_notifications, build_policy, build_sender
from tests.domain.gwt import declaration
from tests.kafka.conftest import Broker
from tests.notifications.support import (  # noqa: F401 - smtp_server is a fixture
    FakeClock,
    SmtpServer,
    both_channels,
    email_only,
    smtp_server,
)
from tests.support import read_topic

pytestmark = pytest.mark.kafka
PARTITIONS = 3


@pytest.fixture
def notifications(app: ClaimsApplication, database_url: str) -> Iterator[Notifications]:
    store = ReadStore(Settings(database_url=database_url).resolved_read_model_url)
    try:
        yield build_notifications(app, store, FieldCipher(None, purpose="notification"))
    finally:
        store.close()


def test_the_message_carries_only_ids_and_codes_and_the_sender_delivers_it_once(
    app: ClaimsApplication,
    notifications: Notifications,
    broker: Broker,
    topic: str,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
) -> None:
    claim = app.declare(declaration(), by="handler-1")
    policy = build_policy(app, notifications, both_channels)
    publisher = NotificationPublisher(
        notifications.index,
        bootstrap=broker.bootstrap,
        topic=topic,
        partitions=PARTITIONS,
        timeout_ms=3000,
    )
    consumer = NotificationConsumer(
        notifications.index, bootstrap=broker.bootstrap, topic=topic, partitions=PARTITIONS
    )
    settings = Settings(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none"
    )
    sender = build_sender(
        settings,
        notifications,
        DirectReporter(notifications),
        recipients=email_only,
        clock=FakeClock(),
        sleep=lambda _s: None,
    )
    work = NotifyPass(policy, sender, lambda: date(2026, 3, 4), publisher, consumer)
    try:
        work.run_once()
        deadline = 20
        while len(smtp_server.handler.messages) < 1 and deadline:
            work.run_once()
            deadline -= 1

        records = read_topic(broker.bootstrap, topic, PARTITIONS)
        assert len(records) == 2  # the receipt, by e-mail and by SMS
        for record in records:
            message = json.loads(record.value)
            assert set(message) == {"notification_id", "claim_id", "template", "channel"}
            # As docs/asyncapi.json publishes it.
            payload = NOTIFICATION_MESSAGE["payload"]
            assert set(message) == set(payload["properties"]) == set(payload["required"])
            assert message["channel"] in payload["properties"]["channel"]["enum"]
            assert record.key == str(claim.id).encode()
            assert message["template"] == "declaration_receipt"
            raw = record.value.decode().lower()
            assert "jeanne" not in raw
            assert "example.org" not in raw
            assert "+336" not in raw
            assert claim.claim_number.lower() not in raw
        (mail,) = smtp_server.handler.messages  # e-mail only: no SMS gateway configured
        assert claim.claim_number in smtp_server.text_of(mail)
        states = {i["channel"]: i["state"] for i in notifications.for_claim(claim.id)}
        assert states == {"email": NotificationState.SENT.value, "sms": "requested"}

        # Read again from the stored offsets (a restart): nothing is sent twice.
        consumer.close()
        again = NotificationConsumer(
            notifications.index, bootstrap=broker.bootstrap, topic=topic, partitions=PARTITIONS
        )
        work.consumer = again
        work.run_once()
        assert len(smtp_server.handler.messages) == 1
        assert publisher.run_once() == 0  # everything published once
    finally:
        publisher.close()
        (work.consumer or consumer).close()


def test_a_request_recorded_twice_is_published_once(
    app: ClaimsApplication, notifications: Notifications, broker: Broker, topic: str
) -> None:
    claim = app.declare(declaration(), by="handler-1")
    for _ in range(2):
        notifications.request(
            template=Template.PROOFS_COMPLETE,
            channel=Channel.EMAIL,
            recipient=Recipient("Jeanne Martin", "jeanne.martin@example.org"),
            params={"claim_number": claim.claim_number},
            trigger=f"{claim.id}:3",
            trigger_type="ProofReceived",
            claim_id=claim.id,
        )
    publisher = NotificationPublisher(
        notifications.index, bootstrap=broker.bootstrap, topic=topic, partitions=PARTITIONS
    )
    try:
        assert publisher.run_once() == 1
        assert publisher.run_once() == 0
    finally:
        publisher.close()
    (record,) = read_topic(broker.bootstrap, topic, PARTITIONS)
    assert UUID(json.loads(record.value)["claim_id"]) == claim.id
