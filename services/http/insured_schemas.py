"""Request and response schemas of the insured's side (api.md v2 §3)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from domain.declaration import ClaimDeclaration
from domain.values import (
    DeclarationChannel,
    Guarantee,
    SettlementMode,
)
from services.http.declarations import claim_declaration
from services.http.schemas import (
    CauseIn,
    ClaimCreate,
    Command,
    Day,
    DeclarantIn,
    FeeBracketIn,
    InsuredIn,
    Line,
    Text,
    TripIn,
)

# api.md v2 §3 decision: no subscription register here, only the number's format per contract.
SUBSCRIPTION_FORMATS = {
    "CA2624": (re.compile(r"^[A-Za-z0-9]{6,10}$"), "6 to 10 letters and digits"),
    "MULTIASSISTANCE_PLUS": (re.compile(r"^[A-Za-z0-9]{6,10}$"), "6 to 10 letters and digits"),
    "CORSAIR_7906011": (re.compile(r"^CO[0-9]{6}$"), "CO followed by 6 digits"),
}


class SessionCreate(Command):
    """The insured's log-in: the claim number, the trip's start date, the access code."""

    planned_dates: ClassVar[frozenset[str]] = frozenset({"trip_start"})

    claim_number: Text
    trip_start: Day
    access_code: Text


class SessionPublic(BaseModel):
    token: str
    expires_at: datetime


class BankDetailsIn(Command):
    holder: Text
    iban: Annotated[Line, Field(min_length=1)]


class InsuredDeclarationCreate(Command):
    """A claim as the insured declares it on the portal: v1's body without `declared_on`
    (the day it arrives), with the declarant and the channel."""

    contract: Text
    subscription_number: Text
    guarantee: Guarantee
    cause: CauseIn
    event_date: Day
    known_on: Day | None = None
    booking_date: Day
    subscription_date: Day
    trip: TripIn
    insured: Annotated[list[InsuredIn], Field(min_length=1, max_length=9)]
    settlement_mode: SettlementMode = SettlementMode.CASH
    fee_scale: Annotated[list[FeeBracketIn], Field(min_length=1, max_length=20)] | None = None
    medical_contraindication_on: Day | None = None
    cancelled_on: Day | None = None
    interrupted_on: Day | None = None
    channel: DeclarationChannel = DeclarationChannel.ONLINE
    declarant: DeclarantIn

    @field_validator("subscription_number")
    @classmethod
    def _subscription_number_format(cls, value: str, info: ValidationInfo) -> str:
        contract = info.data.get("contract")
        expected = SUBSCRIPTION_FORMATS.get(contract) if isinstance(contract, str) else None
        if expected is not None and not expected[0].match(value):
            msg = f"for {contract}: {expected[1]}"
            raise ValueError(msg)
        return value


def portal_declaration(body: InsuredDeclarationCreate, today: date) -> ClaimDeclaration:
    """The declaration the portal makes, declared today (Paris): the staff body's fields, made
    into a declaration the one way (`claim_declaration`)."""
    return claim_declaration(ClaimCreate.model_construct(**dict(body), declared_on=today), today)
