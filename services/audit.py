"""Audit replay of `ClaimsApplication`: a claim's history as auditors read it, the claim as
recorded at a moment, and its SLA clocks as of a business day."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import AggregateEvent, CanMutateAggregate

from domain.calendar import FrenchCalendar
from domain.claim import Claim
from domain.errors import ClaimNotFound, InvalidClaimData
from domain.sla import ClockStatus, business_date, clocks_as_of

_EVENT_METADATA = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp", "by"}
)


@dataclass(frozen=True)
class HistoryEntry:
    """One stored event as auditors read it: who, what, the business data, when recorded."""

    version: int
    type: str
    recorded_at: datetime
    actor: str
    business_date: date
    data: dict[str, Any]


# Sealed fields: never shown, not even sealed (the history shows the masked value beside).
# An access code's hash neither (docs/adr/0033-insured-access.md).
_SEALED = frozenset({"iban_ciphertext", "code_hash"})


def _event_data(domain_event: CanMutateAggregate[UUID]) -> dict[str, Any]:
    return {
        f.name: getattr(domain_event, f.name)
        for f in fields(domain_event)  # type: ignore[arg-type]
        if f.name not in _EVENT_METADATA and f.name not in _SEALED
    }


class AuditReplay(Application[UUID]):
    """What `ClaimsApplication` adds for auditors; `get_claim` is its own."""

    calendar: FrenchCalendar

    def get_claim(self, claim_id: UUID, *, version: int | None = None) -> Claim:
        raise NotImplementedError

    def claim_as_of(self, claim_id: UUID, at: datetime) -> Claim:
        """The claim as it was recorded at a moment (audit replay by recording time)."""
        if at.tzinfo is None:
            raise InvalidClaimData("as_of", "needs a time-zone offset", claim_id=claim_id)
        version = None
        for stored in self._events_of(claim_id):
            if stored.timestamp > at:
                break
            version = stored.originator_version
        if version is None:
            raise ClaimNotFound(
                f"claim {claim_id} did not exist at {at.isoformat()}", claim_id=claim_id
            )
        return self.get_claim(claim_id, version=version)

    def history(self, claim_id: UUID) -> list[HistoryEntry]:
        """Every event of the claim in order, with actor, business data and recording time."""
        return [
            HistoryEntry(
                version=stored.originator_version,
                type=type(stored).__name__,
                recorded_at=stored.timestamp,
                actor=getattr(stored, "by", ""),
                business_date=business_date(stored),
                data=_event_data(stored),
            )
            for stored in self._events_of(claim_id)
        ]

    def sla_clocks(self, claim_id: UUID, *, as_of: date) -> list[ClockStatus]:
        """The claim's SLA clocks and their states at the end of a business day."""
        return clocks_as_of(self._events_of(claim_id), as_of, self.calendar)

    def _events_of(self, claim_id: UUID) -> list[AggregateEvent]:
        """The claim's stored events in order; ClaimNotFound for anything but a claim."""
        stored = list(self.events.get(claim_id))
        events: list[AggregateEvent] = [
            e for e in stored if isinstance(e, Claim.Declared | Claim.Event)
        ]
        if not events or len(events) != len(stored):
            raise ClaimNotFound(f"no claim {claim_id}", claim_id=claim_id)
        return events
