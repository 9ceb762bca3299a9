"""The declaration: the command that opens a claim, and its validation (rules.md
"Declaration"). `declared_facts` checks what the insured declared against the contract and
returns the facts the `Declared` event records, irregular dates flagged for the handler."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.calendar import FrenchCalendar
from domain.catalogue import ContractTerms
from domain.deadlines import declaration_due
from domain.declarant import Declarant
from domain.errors import DatesOutOfOrder, InvalidClaimData, TooManyInsured
from domain.validation import not_before, require_code, require_money, require_text
from domain.values import (
    Cause,
    CauseCategory,
    DeclarationChannel,
    DeclarationFlag,
    FeeBracket,
    Guarantee,
    Insured,
    SettlementMode,
    Trip,
)


@dataclass(frozen=True)
class ClaimDeclaration:
    """The command that opens a claim: what the insured declared, as the handler entered it."""

    contract: str
    subscription_number: str
    guarantee: str
    cause: Cause
    event_date: date
    declared_on: date
    booking_date: date
    subscription_date: date
    trip: Trip
    insured: tuple[Insured, ...]
    known_on: date | None = None
    settlement_mode: str = SettlementMode.CASH
    fee_scale: tuple[FeeBracket, ...] | None = None
    medical_contraindication_on: date | None = None
    cancelled_on: date | None = None
    interrupted_on: date | None = None
    channel: str = DeclarationChannel.ONLINE
    # Who declared and how to reach them, sealed by the service layer (domain/declarant.py).
    declarant: Declarant | None = None


def validated_fee_scale(
    scale: tuple[FeeBracket, ...] | None,
) -> list[FeeBracket] | None:
    if scale is None:
        return None
    if not scale:
        raise InvalidClaimData("fee_scale", "must list at least one bracket")
    brackets: list[FeeBracket] = []
    for index, bracket in enumerate(scale):
        where = f"fee_scale[{index}]"
        if bracket.min_days_before < 0:
            raise InvalidClaimData(f"{where}.min_days_before", "must not be negative")
        if (
            bracket.max_days_before is not None
            and bracket.max_days_before < bracket.min_days_before
        ):
            raise InvalidClaimData(f"{where}.max_days_before", "must not be below min_days_before")
        percent = Decimal(bracket.percent)
        if not Decimal(0) <= percent <= Decimal(100):
            raise InvalidClaimData(f"{where}.percent", "must be between 0 and 100")
        minimum = bracket.minimum_per_person
        if minimum is not None:
            minimum = require_money(f"{where}.minimum_per_person", minimum)
        brackets.append(replace(bracket, percent=percent, minimum_per_person=minimum))
    return brackets


def declared_facts(
    declaration: ClaimDeclaration, terms: ContractTerms, calendar: FrenchCalendar
) -> dict[str, Any]:
    """The `Declared` event's facts (all but the claim number and the actor)."""
    d = declaration
    if d.contract != terms.code:
        raise InvalidClaimData("contract", f"terms of {terms.code} given for {d.contract}")
    guarantee = require_code("guarantee", d.guarantee, Guarantee)
    if guarantee not in terms.guarantees:
        raise InvalidClaimData("guarantee", f"{terms.code} does not cover {guarantee}")
    category = require_code("cause.category", d.cause.category, CauseCategory)
    if category not in terms.cause_categories:
        allowed = ", ".join(terms.cause_categories)
        raise InvalidClaimData("cause.category", f"{terms.code} categories are {allowed}")
    cause = Cause(
        category=category,
        code=require_text("cause.code", d.cause.code),
        description=d.cause.description.strip(),
    )
    if category in terms.voucher_categories and not cause.description:
        # 001 category D: no proof, but the stated reason is mandatory.
        raise InvalidClaimData("cause.description", "the reason must be stated")
    mode = require_code("settlement_mode", d.settlement_mode, SettlementMode)
    if mode == SettlementMode.VOUCHER and category not in terms.voucher_categories:
        raise InvalidClaimData(
            "settlement_mode",
            "a voucher is offered only for categories "
            + (", ".join(terms.voucher_categories) or "none"),
        )

    if not d.insured:
        raise InvalidClaimData("insured", "at least one insured person is required")
    if len(d.insured) > terms.max_insured_per_file:
        raise TooManyInsured(
            "insured",
            f"at most {terms.max_insured_per_file} insured persons per file, got {len(d.insured)}",
        )
    insured: list[Insured] = []
    for index, person in enumerate(d.insured):
        name = require_text(f"insured[{index}].name", person.name)
        if any(other.name == name for other in insured):
            raise InvalidClaimData(f"insured[{index}].name", f"{name!r} is listed twice")
        price = require_money(f"insured[{index}].trip_price", person.trip_price, positive=True)
        insured.append(Insured(name=name, trip_price=price, subject_id=person.subject_id))
    transport = d.trip.transport_price
    if transport is not None:
        transport = require_money("trip.transport_price", transport)
    trip = replace(d.trip, destination=d.trip.destination.strip(), transport_price=transport)

    known_on = d.known_on or d.event_date
    not_before("subscription_date", d.subscription_date, "booking_date", d.booking_date)
    not_before("known_on", known_on, "event_date", d.event_date)
    not_before("declared_on", d.declared_on, "known_on", known_on)
    not_before("trip.departure_date", trip.departure_date, "booking_date", d.booking_date)
    not_before("trip.return_date", trip.return_date, "trip.departure_date", trip.departure_date)
    if guarantee == Guarantee.CANCELLATION and d.event_date > trip.departure_date:
        raise DatesOutOfOrder(
            "event_date",
            "an event after departure is not a cancellation (declare an interruption)",
        )
    if d.cancelled_on is not None:
        not_before("cancelled_on", d.cancelled_on, "event_date", d.event_date)
    if guarantee == Guarantee.INTERRUPTION:
        if d.interrupted_on is None:
            raise InvalidClaimData("interrupted_on", "required for an interruption")
        not_before("interrupted_on", d.interrupted_on, "trip.departure_date", trip.departure_date)
        if d.interrupted_on > trip.return_date:
            raise DatesOutOfOrder("interrupted_on", "after the return date")
    channel = require_code("channel", d.channel, DeclarationChannel)
    medical = category in terms.medical_categories
    if d.medical_contraindication_on is not None:
        if not medical:
            raise InvalidClaimData("medical_contraindication_on", "only for a medical cause")
        not_before(
            "medical_contraindication_on",
            d.medical_contraindication_on,
            "booking_date",
            d.booking_date,
        )

    # rules.md "Declaration": the contract's jours ouvrés from the date of knowledge; late is
    # flagged, the handler decides.
    try:
        due = declaration_due(known_on, calendar, terms.declaration_working_days)
    except OverflowError:
        raise InvalidClaimData("known_on", "its deadline is beyond the calendar") from None
    days_late = calendar.working_days_between(due, d.declared_on) if d.declared_on > due else 0
    flags: list[str] = []
    if days_late:
        flags.append(DeclarationFlag.LATE_DECLARATION)
    if d.event_date < d.subscription_date:
        flags.append(DeclarationFlag.EVENT_BEFORE_SUBSCRIPTION)
    window = terms.subscription_within_hours_of_booking
    if window is not None and d.subscription_date > d.booking_date + timedelta(
        days=-(-window // 24)
    ):
        flags.append(DeclarationFlag.SUBSCRIPTION_AFTER_WINDOW)

    return dict(
        contract=terms.code,
        subscription_number=require_text("subscription_number", d.subscription_number),
        guarantee=guarantee,
        cause=cause,
        event_date=d.event_date,
        known_on=known_on,
        declared_on=d.declared_on,
        booking_date=d.booking_date,
        subscription_date=d.subscription_date,
        trip=trip,
        insured=insured,
        settlement_mode=mode,
        fee_scale=validated_fee_scale(d.fee_scale),
        medical_contraindication_on=d.medical_contraindication_on,
        cancelled_on=d.cancelled_on,
        interrupted_on=d.interrupted_on,
        medical_cause=medical,
        late_declaration=bool(days_late),
        declaration_working_days_late=days_late,
        flags=flags,
        card_insurer_position_required=terms.requires_card_insurer_position(
            [person.trip_price for person in insured]
        ),
        channel=channel,
        declarant=d.declarant,
    )
