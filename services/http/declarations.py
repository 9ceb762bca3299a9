"""From a declaration's body (`POST /claims`, the portal's) to the domain's declaration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.declaration import ClaimDeclaration
from domain.values import Cause, FeeBracket, Insured, Trip
from services.http.schemas import ClaimCreate


def claim_declaration(body: ClaimCreate, today: date) -> ClaimDeclaration:
    """The declaration a body makes; without `declared_on`, declared today (Paris)."""
    return ClaimDeclaration(
        contract=body.contract,
        subscription_number=body.subscription_number,
        guarantee=body.guarantee,
        cause=Cause(body.cause.category, body.cause.code, body.cause.description),
        event_date=body.event_date,
        known_on=body.known_on,
        declared_on=body.declared_on or today,
        booking_date=body.booking_date,
        subscription_date=body.subscription_date,
        trip=Trip(
            body.trip.departure_date,
            body.trip.return_date,
            body.trip.destination,
            body.trip.transport_price,
        ),
        insured=tuple(Insured(p.name, p.trip_price) for p in body.insured),
        settlement_mode=body.settlement_mode,
        fee_scale=None
        if body.fee_scale is None
        else tuple(
            FeeBracket(
                b.min_days_before, b.max_days_before, Decimal(b.percent), b.minimum_per_person
            )
            for b in body.fee_scale
        ),
        medical_contraindication_on=body.medical_contraindication_on,
        cancelled_on=body.cancelled_on,
        interrupted_on=body.interrupted_on,
        channel=body.channel.value,
    )
