"""A notification to the declarant of a claim: its own aggregate and stream, so that notifying
never moves a claim's version (docs/adr/0034-notifications.md).

Its id is a uuid5 of what it is for (the trigger event, the template, the channel and, for a
reminder, the day): asking twice for the same notification names the same aggregate, which
the store records once. The recipient and the template's parameters are personal data: the
service layer seals them (`infra/field_cipher.py`) before they reach the aggregate, which
keeps only their ciphertexts. Time and actor are arguments, as everywhere in the domain.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import ClaimError, InvalidClaimData, UnknownItem

# Fixed forever: changing it would change every notification's id.
NOTIFICATION_NAMESPACE = UUID("5b1e7c1e-3a4f-5d0e-9c61-6f0a3e2b7d34")
REMINDER_DAYS = (15, 30)  # after a proof request, while proofs are missing (api.md v2 §5)


class Template(StrEnum):
    DECLARATION_RECEIPT = "declaration_receipt"
    PROOFS_REQUESTED = "proofs_requested"
    PROOFS_REMINDER = "proofs_reminder"
    PROOFS_COMPLETE = "proofs_complete"
    DECISION = "decision"
    PAYMENT_ISSUED = "payment_issued"
    COMPLAINT_ACKNOWLEDGEMENT = "complaint_acknowledgement"
    COMPLAINT_ANSWER = "complaint_answer"
    # A handler's new access code (api.md v2 §3: "the new code is only notified").
    ACCESS_CODE = "access_code"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class NotificationState(StrEnum):
    REQUESTED = "requested"
    SENT = "sent"
    FAILED = "failed"


class UnknownNotification(UnknownItem):
    rule = "unknown-notification"


class NotificationAlreadyReported(ClaimError):  # noqa: N818 - named like the other rules
    """A delivery report that contradicts the one already recorded (409)."""

    rule = "notification-already-reported"


def notification_id(
    trigger: str, template: Template, channel: Channel, reminder_day: int | None = None
) -> UUID:
    """One notification per (trigger event, template, channel, reminder day): api.md v2 §5
    rule 1. `trigger` names the event: `<claim id>:<claim version>`."""
    day = "" if reminder_day is None else str(reminder_day)
    return uuid5(NOTIFICATION_NAMESPACE, f"{trigger}|{template.value}|{channel.value}|{day}")


class Notification(Aggregate):
    """A message to send once, and what became of it."""

    class NotificationRequested(Aggregate.Created):
        template: str
        channel: str
        recipient: str  # sealed
        params: str  # sealed
        trigger: str
        trigger_type: str
        claim_id: UUID
        reminder_day: int | None
        by: str

    @classmethod
    def request(
        cls,
        *,
        template: Template,
        channel: Channel,
        recipient: str,
        params: str,
        trigger: str,
        trigger_type: str,
        claim_id: UUID,
        reminder_day: int | None,
        by: str,
    ) -> Notification:
        if (template == Template.PROOFS_REMINDER) != (reminder_day is not None):
            raise InvalidClaimData("reminder_day", "a reminder, and only a reminder, has a day")
        if reminder_day is not None and reminder_day not in REMINDER_DAYS:
            raise InvalidClaimData("reminder_day", f"must be one of {REMINDER_DAYS}")
        return cls._create(
            cls.NotificationRequested,
            id=notification_id(trigger, template, channel, reminder_day),
            template=template.value,
            channel=channel.value,
            recipient=recipient,
            params=params,
            trigger=trigger,
            trigger_type=trigger_type,
            claim_id=claim_id,
            reminder_day=reminder_day,
            by=by,
        )

    @event(NotificationRequested)
    def __init__(
        self,
        *,
        template: str,
        channel: str,
        recipient: str,
        params: str,
        trigger: str,
        trigger_type: str,
        claim_id: UUID,
        reminder_day: int | None,
        by: str,
    ) -> None:
        self.template = template
        self.channel = channel
        self.recipient = recipient
        self.params = params
        self.trigger = trigger
        self.trigger_type = trigger_type
        self.claim_id = claim_id
        self.reminder_day = reminder_day
        self.state = NotificationState.REQUESTED
        self.reported_at: datetime | None = None
        self.reason: str | None = None

    class NotificationSent(Aggregate.Event):
        at: datetime
        by: str

    class NotificationFailed(Aggregate.Event):
        at: datetime
        reason: str
        by: str

    def report(self, *, outcome: Outcome, at: datetime, reason: str | None, by: str) -> bool:
        """Record the delivery's outcome; False when this very outcome is already recorded
        (the same report again changes nothing); another outcome is refused."""
        if at.tzinfo is None:
            raise InvalidClaimData("at", "a timestamp with its offset")
        if self.state != NotificationState.REQUESTED:
            if self.state.value == outcome.value:
                return False
            raise NotificationAlreadyReported(
                f"notification {self.id} is already reported {self.state.value}"
            )
        if outcome == Outcome.SENT:
            self._sent(at=at, by=by)
        else:
            if not (reason or "").strip():
                raise InvalidClaimData("reason", "a failed delivery needs its reason")
            self._failed(at=at, reason=str(reason), by=by)
        return True

    @event(NotificationSent)
    def _sent(self, *, at: datetime, by: str) -> None:
        self.state = NotificationState.SENT
        self.reported_at = at

    @event(NotificationFailed)
    def _failed(self, *, at: datetime, reason: str, by: str) -> None:
        self.state = NotificationState.FAILED
        self.reported_at = at
        self.reason = reason
