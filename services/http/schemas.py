"""Request and response schemas of api.md, one family per resource.

Money is a decimal *string* with at most two places (`"1200.00"`); dates are ISO `YYYY-MM-DD`;
request bodies are strict (no coercion from numbers) and refuse unknown fields.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    model_validator,
)

from domain.values import (
    CardInsurerDecision,
    CauseCategory,
    ComplaintChannel,
    ComplaintOutcome,
    DeclarationChannel,
    Document,
    Guarantee,
    MediationOutcome,
    PrescriptionAct,
    SettlementMode,
)

_MONEY = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
MONEY_PATTERN = r"^\d{1,10}(\.\d{1,2})?$"


def _parse_money(value: Any) -> Decimal:
    if not isinstance(value, str) or not _MONEY.fullmatch(value):
        msg = 'money is a string of digits with at most two decimals, e.g. "1200.00"'
        raise ValueError(msg)
    return Decimal(value).quantize(Decimal("0.01"))


MoneyIn = Annotated[
    Decimal,
    PlainValidator(_parse_money),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["1200.00"]}),
]
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$"}),
]
Text = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=4000)]


def _parse_day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        msg = "a date is a string YYYY-MM-DD"
        raise ValueError(msg)
    try:
        return date.fromisoformat(value)
    except ValueError:
        msg = f"{value} is not a calendar date"
        raise ValueError(msg) from None


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Day = Annotated[
    date,
    PlainValidator(_parse_day),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-03-04"]}),
]


class Command(BaseModel):
    """Request bodies: unknown fields refused; numbers and booleans never coerced."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------- declaration


class CauseIn(Command):
    category: CauseCategory
    code: Text
    description: Annotated[str, Field(max_length=2000)] = ""


class TripIn(Command):
    departure_date: Day
    return_date: Day
    destination: Annotated[str, Field(max_length=200)] = ""
    transport_price: MoneyIn | None = None


class InsuredIn(Command):
    name: Text
    trip_price: MoneyIn


class FeeBracketIn(Command):
    min_days_before: Annotated[StrictInt, Field(ge=0, le=3650)]
    max_days_before: Annotated[StrictInt, Field(ge=0, le=3650)] | None
    percent: Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,2})?$")]
    minimum_per_person: MoneyIn | None = None


class ClaimCreate(Command):
    """A claim as the insured declared it (api.md `POST /api/v1/claims`)."""

    contract: Text
    subscription_number: Text
    guarantee: Guarantee
    cause: CauseIn
    event_date: Day
    known_on: Day | None = None
    declared_on: Day | None = None
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


# ---------------------------------------------------------------------- commands


class ProofRequestCreate(Command):
    documents: Annotated[list[Document], Field(min_length=1, max_length=20)]
    requested_on: Day


class ProofCreate(Command):
    document: Document
    received_on: Day


class CardInsurerPositionCreate(Command):
    decision: CardInsurerDecision
    received_on: Day
    amount_paid: MoneyIn = Decimal("0.00")


class FeeIn(Command):
    insured: Text
    invoiced: MoneyIn
    non_refundable: MoneyIn = Decimal("0.00")


class BaggageItemIn(Command):
    insured: Text
    replacement_value: MoneyIn
    depreciation: MoneyIn = Decimal("0.00")
    carrier_refund: MoneyIn = Decimal("0.00")
    valuable: StrictBool = False


class LegDelayIn(Command):
    insured: Text
    delay_minutes: Annotated[StrictInt, Field(ge=0, le=100_000)]


class TicketIn(Command):
    insured: Text
    amount: MoneyIn


class AssessmentCreate(Command):
    """Accept (with what the engine needs for the guarantee) or refuse (with a reason)."""

    decision: Literal["accept", "refuse"]
    decided_on: Day
    fees: Annotated[list[FeeIn], Field(max_length=9)] = []
    baggage: Annotated[list[BaggageItemIn], Field(max_length=200)] = []
    delays: Annotated[list[LegDelayIn], Field(max_length=100)] = []
    tickets: Annotated[list[TicketIn], Field(max_length=9)] = []
    reason: Annotated[str, Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _reason_for_refusal(self) -> AssessmentCreate:
        if self.decision == "refuse" and not (self.reason or "").strip():
            msg = "reason: a refusal needs a reason"
            raise ValueError(msg)
        return self


class SettlementCreate(Command):
    paid_on: Day
    mode: SettlementMode
    reference: Text


class ClosureCreate(Command):
    closed_on: Day


class WithdrawalCreate(Command):
    withdrawn_on: Day


class AssignmentCreate(Command):
    handler: Text
    assigned_on: Day | None = None


class ComplaintCreate(Command):
    sent_on: Day
    received_on: Day
    channel: ComplaintChannel
    summary: LongText


class AcknowledgementCreate(Command):
    sent_on: Day


class AnswerCreate(Command):
    sent_on: Day
    outcome: ComplaintOutcome


class EscalationCreate(Command):
    received_on: Day


class MediationCreate(Command):
    referred_on: Day


class MediationOutcomeCreate(Command):
    decided_on: Day
    outcome: MediationOutcome


class ReopeningCreate(Command):
    reopened_on: Day
    reason: LongText


class NoteCreate(Command):
    text: LongText
    noted_on: Day | None = None


class PrescriptionInterruptionCreate(Command):
    act: PrescriptionAct
    interrupted_on: Day


# ---------------------------------------------------------------------- claim body


class InsuredPublic(BaseModel):
    name: str
    trip_price: MoneyOut


class CausePublic(BaseModel):
    category: str
    code: str
    description: str


class TripPublic(BaseModel):
    departure_date: date
    return_date: date
    destination: str
    transport_price: MoneyOut | None


class ProofsPublic(BaseModel):
    requested: list[str]
    received: list[str]
    outstanding: list[str]
    complete: bool


class InsuredIndemnityPublic(BaseModel):
    insured: str
    basis: MoneyOut
    deductible: MoneyOut
    capped_per_person: MoneyOut
    capped_per_event: MoneyOut
    card_insurer_deduction: MoneyOut
    payable: MoneyOut


class IndemnityPublic(BaseModel):
    total: MoneyOut
    currency: str
    per_insured: list[InsuredIndemnityPublic]
    trace: list[str]


class CardInsurerPositionPublic(BaseModel):
    decision: str
    amount_paid: MoneyOut
    received_on: date


class SettlementPublic(BaseModel):
    paid_on: date
    mode: str
    reference: str
    amount: MoneyOut


class ComplaintPublic(BaseModel):
    complaint_id: str
    sent_on: date
    received_on: date
    channel: str
    summary: str
    acknowledged_on: date | None
    answered_on: date | None
    outcome: str | None
    escalated_on: date | None
    recours_answered_on: date | None
    recours_outcome: str | None


class MediationPublic(BaseModel):
    referred_on: date
    decided_on: date | None
    outcome: str | None


class ClaimPublic(BaseModel):
    """The claim body every claim endpoint returns (api.md)."""

    claim_id: UUID
    claim_number: str
    version: int
    status: str
    contract: str
    guarantee: str
    subscription_number: str
    cause: CausePublic
    event_date: date
    known_on: date
    declared_on: date
    booking_date: date
    subscription_date: date
    trip: TripPublic
    insured: list[InsuredPublic]
    settlement_mode: str
    channel: str
    late_declaration: bool
    declaration_working_days_late: int
    flags: list[str]
    card_insurer_position_required: bool
    card_insurer_position: CardInsurerPositionPublic | None
    proofs: ProofsPublic
    decided_on: date | None
    refusal_reason: str | None
    indemnity: IndemnityPublic | None
    settlements: list[SettlementPublic]
    amount_paid: MoneyOut
    complaints: list[ComplaintPublic]
    mediation: MediationPublic | None
    handler: str | None
    closed_on: date | None
    withdrawn_on: date | None
    created_at: datetime
    modified_at: datetime


class HistoryEntryPublic(BaseModel):
    version: int
    type: str
    recorded_at: datetime
    actor: str
    business_date: date
    data: dict[str, Any]


class HistoryPublic(BaseModel):
    claim_id: UUID
    claim_number: str
    items: list[HistoryEntryPublic]
