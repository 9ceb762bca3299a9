"""Requesting notifications and recording their delivery: the Notification aggregates, saved in
the claims' event store in their own streams, and their index (infra/notification_index.py).

The recipient and the parameters are sealed with the field cipher (purpose "notification")
before they reach the aggregate, as an IBAN is (docs/adr/0027, 0034); only the sender opens
them. A request names its notification by a uuid5 of what it is for, so asking again for the
same one writes nothing and is no error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.errors import ConcurrentUpdate
from domain.notification import (
    Channel,
    Notification,
    Outcome,
    Template,
    UnknownNotification,
    notification_id,
)
from infra.field_cipher import FieldCipher
from infra.notification_index import IndexRow, NotificationIndex
from projections.retry import attempts, jittered
from services.application import ClaimsApplication

POLICY_ACTOR = "notification-policy"


@dataclass(frozen=True)
class Recipient:
    """Where one message goes: a name and one address (an e-mail or a mobile number)."""

    name: str
    address: str


@dataclass(frozen=True)
class Opened:
    """A notification with its recipient and parameters opened, for the sender only."""

    notification: Notification
    recipient: Recipient
    params: dict[str, Any]


class Notifications:
    """Requests and delivery reports of notifications."""

    def __init__(
        self, app: ClaimsApplication, index: NotificationIndex, cipher: FieldCipher
    ) -> None:
        self.app = app
        self.index = index
        self.cipher = cipher

    def request(
        self,
        *,
        template: Template,
        channel: Channel,
        recipient: Recipient,
        params: dict[str, Any],
        trigger: str,
        trigger_type: str,
        claim_id: UUID,
        reminder_day: int | None = None,
        by: str = POLICY_ACTOR,
    ) -> tuple[UUID, bool]:
        """Record the request (sealed) and index it; (its id, whether it is new). A request
        already recorded is left as it is (rule 1 of api.md v2 §5)."""
        nid = notification_id(trigger, template, channel, reminder_day)
        created = False
        if not self._exists(nid):
            notification = Notification.request(
                template=template,
                channel=channel,
                recipient=self.cipher.seal(
                    json.dumps({"name": recipient.name, "address": recipient.address})
                ),
                params=self.cipher.seal(json.dumps(params, sort_keys=True)),
                trigger=trigger,
                trigger_type=trigger_type,
                claim_id=claim_id,
                reminder_day=reminder_day,
                by=by,
            )
            try:
                self.app.save(notification)
                created = True
            except IntegrityError:
                pass  # another process recorded it first: the same notification
        self.index.add(
            IndexRow(
                str(nid),
                str(claim_id),
                template.value,
                channel.value,
                trigger,
                trigger_type,
                reminder_day,
                "requested",
                self.app.recorder.max_notification_id() or 0,
            )
        )
        return nid, created

    def _exists(self, nid: UUID) -> bool:
        try:
            self.app.repository.get(nid)
        except AggregateNotFoundError:
            return False
        return True

    def get(self, nid: UUID) -> Notification:
        try:
            found: object = self.app.repository.get(nid)
        except AggregateNotFoundError:
            raise UnknownNotification(f"no notification {nid}") from None
        if not isinstance(found, Notification):
            raise UnknownNotification(f"no notification {nid}")
        return found

    def open(self, notification: Notification) -> Opened:
        recipient = json.loads(self.cipher.open(notification.recipient))
        return Opened(
            notification,
            Recipient(str(recipient["name"]), str(recipient["address"])),
            dict(json.loads(self.cipher.open(notification.params))),
        )

    def report(
        self, nid: UUID, *, outcome: Outcome, at: datetime, reason: str | None, by: str
    ) -> Notification:
        """Record a delivery's outcome: NotificationSent or NotificationFailed; the same
        outcome again writes nothing; another one is refused (notification-already-reported)."""
        for _ in attempts(5, jittered(0.002)):
            notification = self.get(nid)
            if not notification.report(outcome=outcome, at=at, reason=reason, by=by):
                self.index.set_state(str(nid), notification.state.value)
                return notification
            try:
                self.app.save(notification)
            except IntegrityError:
                continue  # another report was saved first: look again
            self.index.set_state(str(nid), notification.state.value)
            return notification
        raise ConcurrentUpdate(f"could not record the report of notification {nid}")

    def for_claim(self, claim_id: UUID) -> list[dict[str, Any]]:
        """The claim's notifications: their state read from their own streams."""
        items = []
        for row in self.index.for_claim(str(claim_id)):
            state = self.get(UUID(row.notification_id)).state.value
            items.append(
                {
                    "notification_id": row.notification_id,
                    "template": row.template,
                    "channel": row.channel,
                    "state": state,
                    "trigger": row.trigger_type,
                    "trigger_event": row.trigger_event,
                    "reminder_day": row.reminder_day,
                }
            )
        return items
