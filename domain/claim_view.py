"""What the claim body shows that no decision reads, folded from the claim's events.

The `Claim` aggregate keeps what its decisions need; the claim body (services/http/views.py)
takes that state from the aggregate and these display facts from a fold of the same events
(docs/adr/0028-claim-in-parts.md): the declaration's details (subscription number and dates,
channel, lateness, flags), the reason of the current refusal, the proofs received. Pure: the
events are given, in version order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from domain.claim import Claim
from domain.values import Document


@dataclass(frozen=True)
class ClaimDisplay:
    """The display facts of a claim at one version (the fold of its events up to it)."""

    version: int
    subscription_number: str
    known_on: date
    booking_date: date
    subscription_date: date
    channel: str
    late_declaration: bool
    declaration_working_days_late: int
    flags: tuple[str, ...]
    refusal_reason: str | None = None  # of the current refusal
    proofs_received: tuple[str, ...] = ()  # in order of first receipt

    def received(self, document: str) -> ClaimDisplay:
        if document in self.proofs_received:
            return self
        return replace(self, proofs_received=(*self.proofs_received, document))


def declared(event: Claim.Declared) -> ClaimDisplay:
    return ClaimDisplay(
        version=event.originator_version,
        subscription_number=event.subscription_number,
        known_on=event.known_on,
        booking_date=event.booking_date,
        subscription_date=event.subscription_date,
        channel=event.channel,
        late_declaration=event.late_declaration,
        declaration_working_days_late=event.declaration_working_days_late,
        flags=tuple(event.flags),
    )


def evolve(display: ClaimDisplay, event: Claim.Event) -> ClaimDisplay:
    """The display after one more event of the claim."""
    after = replace(display, version=event.originator_version)
    if isinstance(event, Claim.Refused):
        return replace(after, refusal_reason=event.reason)
    if isinstance(event, Claim.Accepted | Claim.Reopened):
        return replace(after, refusal_reason=None)
    if isinstance(event, Claim.ProofReceived):
        return after.received(event.document)
    if isinstance(event, Claim.CardInsurerPositionReceived):
        return after.received(Document.CARD_INSURER_POSITION.value)
    return after


def fold_display(events: Iterable[object]) -> ClaimDisplay:
    """The display facts folded from a claim's events, its declaration first."""
    display: ClaimDisplay | None = None
    for event in events:
        if isinstance(event, Claim.Declared):
            display = declared(event)
        elif display is None or not isinstance(event, Claim.Event):
            raise ValueError(f"not a claim's events in order: {type(event).__name__}")
        else:
            display = evolve(display, event)
    if display is None:
        raise ValueError("no declaration among the claim's events")
    return display
