"""Notifications (api.md v2 §5): the sender's delivery reports and a claim's notifications.

`POST /api/v1/notifications/{nid}/delivery` (notifier) records NotificationSent or
NotificationFailed in the notification's own stream; the same report again answers 200 and
writes nothing; a contradicting one is 409 notification-already-reported; an unknown id 404
unknown-notification. `GET /api/v1/claims/{id}/notifications` (staff) lists a claim's
notifications with their state (docs/adr/0034-notifications.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel

from domain.notification import Outcome
from services.http.auth import Principal, Role
from services.http.deps import AnyRole, Claims, require
from services.http.problems import COMMAND_RESPONSES, PROBLEM_RESPONSES, invalid_input
from services.http.schemas import Command, LongText
from services.notifications.service import Notifications

router = APIRouter(prefix="/api/v1", tags=["notifications"])
NotifierPrincipal = Annotated[Principal, Depends(require(Role.NOTIFIER))]
# A report's time may run ahead of the server's clock by this much, no more.
CLOCK_SKEW = timedelta(minutes=5)


def get_notifications(request: Request) -> Notifications:
    return cast("Notifications", request.app.state.notifications)


NotificationsDep = Annotated[Notifications, Depends(get_notifications)]


class DeliveryReport(Command):
    outcome: Outcome
    at: AwareDatetime
    reason: LongText | None = None


class NotificationPublic(BaseModel):
    notification_id: UUID
    claim_id: UUID
    template: str
    channel: str
    state: str
    trigger: str
    trigger_event: str
    reminder_day: int | None
    reported_at: datetime | None
    reason: str | None


class NotificationItem(BaseModel):
    notification_id: UUID
    template: str
    channel: str
    state: str
    trigger: str
    trigger_event: str
    reminder_day: int | None


class NotificationsPublic(BaseModel):
    items: list[NotificationItem]


@router.post(
    "/notifications/{notification_id}/delivery",
    responses=COMMAND_RESPONSES,
    response_model=NotificationPublic,
)
def report_delivery(
    notification_id: UUID,
    body: DeliveryReport,
    notifications: NotificationsDep,
    principal: NotifierPrincipal,
) -> dict[str, Any]:
    """Record how the delivery of a notification ended: sent, or failed with its reason."""
    if body.at > datetime.now(UTC) + CLOCK_SKEW:
        raise invalid_input("at", "is in the future", body.at.isoformat(), where="body")
    if body.outcome == Outcome.FAILED and not (body.reason or "").strip():
        raise invalid_input("reason", "a failed delivery needs its reason", None, where="body")
    notification = notifications.report(
        notification_id,
        outcome=body.outcome,
        at=body.at.astimezone(UTC),
        reason=body.reason if body.outcome == Outcome.FAILED else None,
        by=principal.user_id,
    )
    return {
        "notification_id": notification.id,
        "claim_id": notification.claim_id,
        "template": notification.template,
        "channel": notification.channel,
        "state": notification.state.value,
        "trigger": notification.trigger_type,
        "trigger_event": notification.trigger,
        "reminder_day": notification.reminder_day,
        "reported_at": notification.reported_at,
        "reason": notification.reason,
    }


@router.get(
    "/claims/{claim_id}/notifications",
    responses={
        **PROBLEM_RESPONSES,
        404: COMMAND_RESPONSES[404],
    },
    response_model=NotificationsPublic,
)
def claim_notifications(
    claim_id: UUID, app: Claims, notifications: NotificationsDep, _who: AnyRole
) -> dict[str, Any]:
    """The claim's notifications, oldest first, with their state."""
    app.get_claim(claim_id)  # 404 for an unknown claim
    return {"items": notifications.for_claim(claim_id)}
