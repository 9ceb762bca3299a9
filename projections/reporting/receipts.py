"""The declaration receipts the bordereau dates `acknowledged_on` with (docs/adr/0029, 0034).

A notification lives in its own stream (`domain/notification.py`): the reporting projection
folds its events by notification id, as a claim's by claim id. A `declaration_receipt`
request keeps the claim it is for; its `NotificationSent` adds one row to
`reporting_receipts`: the claim, the notification, the Paris date it was sent and the time it
was recorded, so that the bordereau reads the first receipt known at a month's cut-off under
the same rule as every other value of a row. Ids and dates only: the recipient and the
parameters stay sealed in the event store.
"""

from __future__ import annotations

from typing import Any

from domain.notification import Notification, Template
from domain.reporting import paris_day, utc_text
from projections.base import State, Table

REPORTING_RECEIPTS = Table(
    "reporting_receipts",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("notification_id", "TEXT NOT NULL"),
        ("day", "TEXT NOT NULL"),
        ("recorded_at", "TEXT NOT NULL"),
    ),
    ("claim_id", "notification_id"),
)


def is_notification_event(event: Any) -> bool:
    return isinstance(event, Notification.NotificationRequested | Notification.NotificationSent)


def fold_receipt(state: State | None, event: Any) -> State | None:
    """Pure: a notification's state after the event (None: not a declaration receipt, or
    nothing to keep); its sending's row goes to `new`."""
    if isinstance(event, Notification.NotificationRequested):
        if event.template != Template.DECLARATION_RECEIPT.value:
            return None
        return {"receipt_of": str(event.claim_id), "new": []}
    if state is None or not isinstance(event, Notification.NotificationSent):
        return None
    state["new"].append([paris_day(event.at).isoformat(), utc_text(event.timestamp)])
    return state
