"""Request and response schemas of the HTTP API, one family per resource.

Money is a decimal *string* with at most two places (`"1200.00"`); dates are ISO `YYYY-MM-DD`;
request bodies are strict (no coercion from numbers) and refuse unknown fields. Every value is
held to domain/plausibility.py: ASCII money and dates, free text in NFC without control or
bidirectional-override characters and bounded by its kind; the window of business dates, which
depends on today, is checked by `implausible_dates` once the body is parsed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
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

from domain.plausibility import (
    LINE,
    LONG_TEXT,
    PARAGRAPH,
    DateKind,
    ImplausibleInputError,
    check_business_date,
    parse_business_date,
    parse_money,
    plausible_text,
)
from domain.values import (
    CardInsurerDecision,
    CauseCategory,
    ComplaintChannel,
    ComplaintMotive,
    ComplaintOutcome,
    DeclarationChannel,
    Document,
    Guarantee,
    MediationOutcome,
    PrescriptionAct,
    RootCause,
    SettlementMode,
)
from services.http.document_schemas import DeclarantPublic, DocumentPublic

MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"


def _parse_money(value: Any) -> Decimal:
    if not isinstance(value, str):
        msg = 'money is a string of digits with at most two decimals, e.g. "1200.00"'
        raise ValueError(msg)
    return parse_money(value)


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


def _line(value: str) -> str:
    return plausible_text(value, LINE)


def _paragraph(value: str) -> str:
    return plausible_text(value, PARAGRAPH)


def _long_text(value: str) -> str:
    return plausible_text(value, LONG_TEXT)


# Lengths count characters after NFC normalisation, so the bound is the validator's; the
# JSON schema states it for clients.
Line = Annotated[
    str, AfterValidator(_line), Field(json_schema_extra={"maxLength": LINE.max_length})
]
Text = Annotated[
    str,
    AfterValidator(_line),
    Field(min_length=1, json_schema_extra={"maxLength": LINE.max_length}),
]
Paragraph = Annotated[
    str, AfterValidator(_paragraph), Field(json_schema_extra={"maxLength": PARAGRAPH.max_length})
]
LongText = Annotated[
    str,
    AfterValidator(_long_text),
    Field(min_length=1, json_schema_extra={"maxLength": LONG_TEXT.max_length}),
]


def _parse_day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        msg = "a date is a string YYYY-MM-DD"
        raise ValueError(msg)
    return parse_business_date(value)


Day = Annotated[
    date,
    PlainValidator(_parse_day),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-03-04"]}),
]


class Command(BaseModel):
    """Request bodies: unknown fields refused; numbers and booleans never coerced.

    Every business date of a body is a fact that has happened, except those a model names in
    `planned_dates` (see `implausible_dates`)."""

    model_config = ConfigDict(extra="forbid")
    planned_dates: ClassVar[frozenset[str]] = frozenset()


def implausible_dates(
    body: BaseModel, *, today: date, horizon_days: int, loc: tuple[str | int, ...] = ()
) -> list[dict[str, Any]]:
    """The body's business dates outside their window, as validation errors naming each field.

    `today` is the Paris business date of the request; the windows are domain/plausibility's."""
    errors: list[dict[str, Any]] = []
    planned = body.planned_dates if isinstance(body, Command) else frozenset()
    for name in type(body).model_fields:
        value = getattr(body, name)
        items = (
            [((*loc, name, index), item) for index, item in enumerate(value)]
            if isinstance(value, list)
            else [((*loc, name), value)]
        )
        for at, item in items:
            if isinstance(item, BaseModel):
                errors += implausible_dates(item, today=today, horizon_days=horizon_days, loc=at)
            elif isinstance(item, date):
                kind = DateKind.PLANNED if name in planned else DateKind.HAPPENED
                try:
                    check_business_date(item, kind, today=today, horizon_days=horizon_days)
                except ImplausibleInputError as exc:
                    errors.append(
                        {
                            "type": "implausible_date",
                            "loc": ("body", *at),
                            "msg": str(exc),
                            "input": item.isoformat(),
                        }
                    )
    return errors


# ---------------------------------------------------------------------- declaration


class CauseIn(Command):
    category: CauseCategory
    code: Text
    description: Paragraph = ""


class TripIn(Command):
    planned_dates: ClassVar[frozenset[str]] = frozenset({"departure_date", "return_date"})

    departure_date: Day
    return_date: Day
    destination: Line = ""
    transport_price: MoneyIn | None = None


class InsuredIn(Command):
    name: Text
    trip_price: MoneyIn


class FeeBracketIn(Command):
    min_days_before: Annotated[StrictInt, Field(ge=0, le=3650)]
    max_days_before: Annotated[StrictInt, Field(ge=0, le=3650)] | None
    percent: Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    minimum_per_person: MoneyIn | None = None


class DeclarantIn(Command):
    """Who declares, and how to reach them (domain/declarant.py checks the contacts)."""

    name: Text
    email: Line | None = None
    mobile: Line | None = None


class ClaimCreate(Command):
    """A claim as the insured declared it (`POST /api/v1/claims`)."""

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
    declarant: DeclarantIn | None = None


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
    reason: Paragraph | None = None

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
    motive: ComplaintMotive | None = None
    root_cause: RootCause | None = None


class QualificationCreate(Command):
    qualified_on: Day
    motive: ComplaintMotive
    root_cause: RootCause


class CorrectiveActionCreate(Command):
    planned_dates: ClassVar[frozenset[str]] = frozenset({"due_on"})

    recorded_on: Day
    action: LongText
    owner: Text
    due_on: Day


class CorrectiveActionCompletionCreate(Command):
    done_on: Day


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
    subject_id: UUID | None = None


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


class CorrectiveActionPublic(BaseModel):
    action_id: str
    action: str
    owner: str
    recorded_on: date
    due_on: date
    done_on: date | None


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
    motive: str | None
    root_cause: str | None
    qualified_on: date | None
    corrective_actions: list[CorrectiveActionPublic]


class MediationPublic(BaseModel):
    referred_on: date
    decided_on: date | None
    outcome: str | None


class BankDetailsPublic(BaseModel):
    holder: str
    iban_masked: str


class PaymentPublic(BaseModel):
    """A payment of the claim (api.md v2 §1); its IBAN only masked."""

    payment_id: str
    state: str
    amount: MoneyOut
    kind: str
    mode: str
    payee: str
    iban_masked: str | None
    reason: str | None
    approval_required: bool
    requested_on: date
    requested_by: str
    decided_on: date | None
    decided_by: str | None
    decision_reason: str | None
    issued_on: date | None
    issued_by: str | None
    bank_reference: str | None
    failed_on: date | None
    failure_reason: str | None
    cancelled_on: date | None
    cancelled_by: str | None


class RecoveryPublic(BaseModel):
    recovery_id: str
    state: str
    source: str
    amount: MoneyOut
    subrogation: bool
    expected_on: date
    expected_by: str
    received_on: date | None
    received_amount: MoneyOut | None
    written_off_on: date | None
    write_off_reason: str | None
    closed_by: str | None


class FinancialsPublic(BaseModel):
    """The claim's money (api.md v2 §1 rule 1): incurred = paid + reserve - recovered."""

    reserve: MoneyOut
    paid: MoneyOut
    recovered: MoneyOut
    incurred: MoneyOut
    payments: list[PaymentPublic]
    recoveries: list[RecoveryPublic]


class ClaimPublic(BaseModel):
    """The claim body every claim endpoint returns."""

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
    declarant: DeclarantPublic | None = None
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
    bank_details: BankDetailsPublic | None
    documents: list[DocumentPublic] = []
    financials: FinancialsPublic
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
