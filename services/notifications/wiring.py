"""Builds the notifications' pieces from the settings (as services/wiring.py does the rest)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from domain.claim import Claim
from domain.notification import Channel
from infra.field_cipher import FieldCipher, FieldCipherError
from infra.notification_index import NotificationIndex
from infra.settings import Settings
from projections.retry import exponential
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.notifications.policy import NotificationPolicy, RecipientLookup
from services.notifications.sender import AccessCodes, Reporter, Sender
from services.notifications.service import Notifications, Recipient
from services.notifications.transports import SmsGateway, SmtpTransport, Transport
from services.wiring import build_event_log

NOTIFICATION_PURPOSE = "notification"


def notification_cipher(settings: Settings) -> FieldCipher:
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    return FieldCipher.from_encryption_key(key, purpose=NOTIFICATION_PURPOSE)


def build_notifications(
    app: ClaimsApplication, store: ReadStore, cipher: FieldCipher
) -> Notifications:
    index = NotificationIndex(store)
    index.setup()
    return Notifications(app, index, cipher)


def declarant_recipients(app: ClaimsApplication) -> RecipientLookup:
    """The claim's declarant, opened with the application's personal cipher: by e-mail and by
    SMS when given; nobody without a declarant, or when the values cannot be read (erased,
    another key)."""

    def recipients(claim: Claim) -> Sequence[tuple[Channel, Recipient]]:
        declarant = getattr(claim, "declarant", None)
        if declarant is None:
            return ()
        try:
            name = app.personal_cipher.open(declarant.name)
            found: list[tuple[Channel, Recipient]] = []
            if declarant.email:
                found.append(
                    (Channel.EMAIL, Recipient(name, app.personal_cipher.open(declarant.email)))
                )
            if declarant.mobile:
                found.append(
                    (Channel.SMS, Recipient(name, app.personal_cipher.open(declarant.mobile)))
                )
        except FieldCipherError:
            return ()
        return found

    return recipients


def build_policy(
    app: ClaimsApplication,
    notifications: Notifications,
    recipients: RecipientLookup | None = None,
) -> NotificationPolicy:
    return NotificationPolicy(
        build_event_log(app), app, notifications, recipients or declarant_recipients(app)
    )


def build_transports(settings: Settings) -> dict[Channel, Transport]:
    transports: dict[Channel, Transport] = {}
    if settings.smtp_host:
        transports[Channel.EMAIL] = SmtpTransport(settings)
    if settings.sms_gateway_url:
        transports[Channel.SMS] = SmsGateway(settings)
    return transports


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_sender(
    settings: Settings,
    notifications: Notifications,
    reporter: Reporter,
    *,
    recipients: RecipientLookup | None = None,
    access_codes: AccessCodes | None = None,
    transports: dict[Channel, Transport] | None = None,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], object] | None = None,
) -> Sender:
    extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    return Sender(
        notifications,
        build_transports(settings) if transports is None else transports,
        reporter,
        recipients or declarant_recipients(notifications.app),
        access_codes=access_codes,
        clock=clock,
        attempts=settings.notify_attempts,
        backoff=exponential(settings.notify_backoff_seconds / 2, cap=60.0),
        **extra,
    )
