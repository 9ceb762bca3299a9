"""The event-log port: what the read side needs of the event store (docs/adr/0018).

The projection runner, its rebuild, the dead-letter retry and the Kafka relay read the store's
notification log through this narrow interface, which `services/wiring.py` builds over the
application's recorder and mapper (`infra/event_log.py`). They never import the application:
projections and infra stay below services.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True)
class LogSlice:
    """Consecutive notifications of the log, as read: the claims' events among them, decoded
    (other aggregates' notifications, claim numbers and idempotency records, are left out),
    and how far the read went. When asked (`notifications=True`), the events of the
    `Notification` aggregates among them too, decoded, apart (docs/adr/0034: the reporting
    read model dates the declaration receipts with them)."""

    events: list[tuple[int, Any]]  # (position, claim event), in log order
    count: int  # notifications read (0: none after the start)
    last: int  # position of the last notification read (0 when none)
    # (position, notification event), in log order; empty unless asked for
    notifications: list[tuple[int, Any]] = field(default_factory=list)


class EventLog(Protocol):
    """The store's notification log, read-only."""

    def head(self) -> int:
        """The position of the last stored notification (0: an empty log)."""
        ...

    def read(
        self, *, start: int, limit: int, stop: int | None = None, notifications: bool = False
    ) -> LogSlice:
        """At most `limit` notifications from position `start` on (up to `stop`, inclusive);
        with `notifications`, the `Notification` aggregates' events among them as well."""
        ...

    def claim_events(self, claim_id: UUID, versions: Collection[int]) -> list[Any]:
        """The claim's stored events of these versions, decoded, in version order."""
        ...
