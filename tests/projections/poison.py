"""Fault injection for the dead-letter tests: a projection whose fold (or rows) raises for one
claim, patched in with pytest's monkeypatch, and the stored poison events of issue 13 (dates in
year 9999) that the HTTP API refuses but that may already be in a store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.claim import Claim
from domain.declaration import declared_facts
from domain.values import Trip
from projections.base import Projection
from services.application import ClaimsApplication
from tests.domain.gwt import CALENDAR, CATALOGUE, declaration

Heal = Callable[[], None]
FAR = date(9999, 12, 30)


class InjectedFoldError(Exception):
    pass


def poison_fold(
    monkeypatch: pytest.MonkeyPatch,
    projection: type[Projection],
    claim_id: UUID,
    *,
    from_version: int = 1,
    error: type[Exception] = InjectedFoldError,
) -> Heal:
    """From `from_version` on, the projection's fold raises for that claim; call the
    returned function to fix it."""
    original = projection.fold

    def fold(self: Projection, state: Any, event: Any, position: int) -> Any:
        if event.originator_id == claim_id and event.originator_version >= from_version:
            raise error("injected")
        return original(self, state, event, position)

    monkeypatch.setattr(projection, "fold", fold)
    return lambda: monkeypatch.setattr(projection, "fold", original)


def poison_rows(
    monkeypatch: pytest.MonkeyPatch, projection: type[Projection], claim_id: UUID
) -> Heal:
    """The projection's rows for that claim break a NOT NULL column: the database refuses
    the write (a failure at write time, not in the fold)."""
    original = projection.rows

    def rows(self: Projection, claim: UUID, state: Any) -> Any:
        produced = original(self, claim, state)
        if claim != claim_id:
            return produced
        return {name: [(*row[:1], None, *row[2:]) for row in r] for name, r in produced.items()}

    monkeypatch.setattr(projection, "rows", rows)
    return lambda: monkeypatch.setattr(projection, "rows", original)


def declare_in_year_9999(app: ClaimsApplication) -> UUID:
    """A cancellation whose dates are all in December 9999, as round 1 recorded it (today the
    API and the declaration refuse it): its deadlines fall beyond the last date Python can
    represent. The `Declared` event is written as it was, without today's validation."""
    facts = declared_facts(declaration(), CATALOGUE.get("CA2624") or _missing(), CALENDAR)
    trip = Trip(
        departure_date=FAR,
        return_date=date(9999, 12, 31),
        destination="Lisbon",
        transport_price=Decimal("500.00"),
    )
    facts.update(event_date=FAR, known_on=FAR, declared_on=FAR, trip=trip)
    claim = Claim(claim_number="S29999999", **facts, by="h0")
    app.save(claim)
    return claim.id


def _missing() -> Any:
    raise AssertionError("CA2624 is in the catalogue")


def complain_in_year_9999(app: ClaimsApplication, claim_id: UUID) -> None:
    app.open_complaint(
        claim_id, sent_on=FAR, received_on=FAR, channel="email", summary="late", by="h0"
    )
