"""`claims notify`: one pass (or passes until stopped) of the notifications' work.

Each pass: the policy reads the log it has not read; the reminders due as of the day are
recorded; with Kafka (CLAIMS_KAFKA_BOOTSTRAP) the new requests are published to the
notifications topic and the sender delivers what it consumes from it; without Kafka it reads
the requests from the store directly. Reports go to the application in-process, or to the
API (`--report-to`, with CLAIMS_NOTIFIER_TOKEN).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import structlog

from domain.notification import UnknownNotification
from infra.access_code_outbox import AccessCodeOutbox
from infra.notification_kafka import NotificationConsumer, NotificationPublisher
from infra.settings import Settings
from projections.retry import exponential, run_until_stopped
from services.notifications.policy import NotificationPolicy
from services.notifications.sender import (
    AccessCodes,
    DirectReporter,
    HttpReporter,
    Reporter,
    Sender,
)
from services.notifications.service import Notifications
from services.notifications.wiring import (
    build_notifications,
    build_policy,
    build_sender,
    notification_cipher,
)
from services.wiring import build_application, build_private_store, build_read_store

log = structlog.get_logger(__name__)


@dataclass
class NotifyPass:
    """The policy, the sender and, with Kafka, the publisher and the consumer."""

    policy: NotificationPolicy
    sender: Sender
    today: Callable[[], date]
    publisher: NotificationPublisher | None = None
    consumer: NotificationConsumer | None = None

    def run_once(self, as_of: date | None = None) -> int:
        """One pass; returns the log notifications read plus the deliveries made."""
        work = 0
        while read := self.policy.run_once():
            work += read
        work += self.sender.remind(as_of or self.today())
        if self.publisher is None or self.consumer is None:
            return work + self.sender.deliver_pending()
        while self.publisher.run_once():
            pass
        for message in self.consumer.poll():
            try:
                self.sender.deliver(UUID(message.notification_id))
            except UnknownNotification:
                log.warning("notification.unknown", notification_id=message.notification_id)
            self.consumer.commit(message.partition, message.offset + 1)
            work += 1
        return work

    def run_until_stopped(self, stop: threading.Event, interval: float) -> None:
        run_until_stopped(
            self.run_once,
            stop=stop,
            backoff=exponential(interval),
            idle=interval,
            on_failure=_failed,
        )


def _failed(exc: Exception, failures: int) -> None:
    log.error("notify.pass_failed", error=type(exc).__name__, failures=failures)


def notify(
    settings: Settings,
    *,
    once: bool,
    as_of: date | None,
    today: Callable[[], date],
    report_to: str | None = None,
    interval: float = 5.0,
    stop: threading.Event | None = None,
    access_codes: AccessCodes | None = None,
) -> int:
    """Run `claims notify`; returns the exit status."""
    app = build_application(settings)
    store = build_read_store(settings)
    private = build_private_store(settings)
    publisher: NotificationPublisher | None = None
    consumer: NotificationConsumer | None = None
    try:
        notifications: Notifications = build_notifications(
            app, store, notification_cipher(settings)
        )
        key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
        reporter: Reporter = DirectReporter(notifications)
        if report_to:
            if settings.notifier_token is None:
                log.error("notify.no_token", setting="CLAIMS_NOTIFIER_TOKEN")
                return 2
            reporter = HttpReporter(report_to, settings.notifier_token.get_secret_value())
        if settings.kafka_bootstrap:
            publisher = NotificationPublisher(
                notifications.index,
                bootstrap=settings.kafka_bootstrap,
                topic=settings.notifications_topic,
                partitions=settings.kafka_partitions,
            )
            consumer = NotificationConsumer(
                notifications.index,
                bootstrap=settings.kafka_bootstrap,
                topic=settings.notifications_topic,
                partitions=settings.kafka_partitions,
            )
        work = NotifyPass(
            build_policy(app, notifications),
            build_sender(
                settings,
                notifications,
                reporter,
                access_codes=access_codes or AccessCodeOutbox.from_encryption_key(private, key),
            ),
            today,
            publisher,
            consumer,
        )
        log.info(
            "notify.started",
            email=settings.smtp_host is not None,
            sms=settings.sms_gateway_url is not None,
            kafka=settings.kafka_bootstrap is not None,
        )
        if once:
            work.run_once(as_of)
            return 0
        work.run_until_stopped(stop or threading.Event(), interval)
        return 0
    finally:
        if publisher is not None:
            publisher.close()
        if consumer is not None:
            consumer.close()
        store.close()
        private.close()
        app.close()
