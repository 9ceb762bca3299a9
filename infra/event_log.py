"""The event-log port (`projections.event_log.EventLog`) over an eventsourcing application's
recorder and mapper: reads the notification log and decodes the claims' events with the
application's mapper, so encrypted stores work. `services/wiring.py` builds it; see
docs/adr/0018."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper
from eventsourcing.utils import get_topic

from domain.claim import Claim
from domain.notification import Notification
from projections.event_log import LogSlice

# The topic of every claim event starts with the aggregate's topic ("domain.claim:Claim.").
CLAIM_TOPIC = get_topic(Claim) + "."
# Likewise a notification's events ("domain.notification:Notification."), read when asked.
NOTIFICATION_TOPIC = get_topic(Notification) + "."


class StoredEventLog:
    """The application's notification log, read-only (an `EventLog`)."""

    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> None:
        self._recorder = recorder
        self._mapper = mapper

    def head(self) -> int:
        return int(self._recorder.max_notification_id() or 0)

    def read(
        self, *, start: int, limit: int, stop: int | None = None, notifications: bool = False
    ) -> LogSlice:
        records = self._recorder.select_notifications(start=start, limit=limit, stop=stop)
        if not records:
            return LogSlice([], 0, 0)
        events = [
            (n.id, self._mapper.to_domain_event(n))
            for n in records
            if n.topic.startswith(CLAIM_TOPIC)
        ]
        others = (
            [
                (n.id, self._mapper.to_domain_event(n))
                for n in records
                if n.topic.startswith(NOTIFICATION_TOPIC)
            ]
            if notifications
            else []
        )
        return LogSlice(events, len(records), records[-1].id, others)

    def claim_events(self, claim_id: UUID, versions: Collection[int]) -> list[Any]:
        if not versions:
            return []
        stored = self._recorder.select_events(claim_id, gt=min(versions) - 1, lte=max(versions))
        return [
            self._mapper.to_domain_event(record)
            for record in stored
            if record.originator_version in versions
        ]
