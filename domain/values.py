"""Codes and immutable value objects of the claims domain.

Events store codes as plain strings (their `StrEnum` values) and value objects as frozen
dataclasses, so that stored payloads stay readable JSON and every type has a transcoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID

CENT = Decimal("0.01")


class Guarantee(StrEnum):
    CANCELLATION = "cancellation"
    INTERRUPTION = "interruption"
    BAGGAGE = "baggage"
    FLIGHT_DELAY = "flight_delay"
    MISSED_DEPARTURE = "missed_departure"


class CauseCategory(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    MEDICAL = "medical"
    OTHER = "other"


class SettlementMode(StrEnum):
    CASH = "cash"
    VOUCHER = "voucher"


class Document(StrEnum):
    MEDICAL_CERTIFICATE = "medical_certificate"
    DEATH_CERTIFICATE = "death_certificate"
    CIVIL_STATUS_RECORD = "civil_status_record"
    CANCELLATION_INVOICE = "cancellation_invoice"
    BOOKING_FORM = "booking_form"
    IDENTITY_DOCUMENT = "identity_document"
    BANK_DETAILS = "bank_details"
    CARD_INSURER_POSITION = "card_insurer_position"
    POLICE_REPORT = "police_report"
    CARRIER_REPORT = "carrier_report"
    OTHER = "other"


class CardInsurerDecision(StrEnum):
    PAID = "paid"
    REFUSED = "refused"


class ComplaintChannel(StrEnum):
    LETTER = "letter"
    REGISTERED_LETTER = "registered_letter"
    EMAIL = "email"
    WEB_FORM = "web_form"
    PHONE = "phone"
    IN_PERSON = "in_person"

    @property
    def is_written(self) -> bool:
        """Mediation needs a prior *written* complaint (Code de la consommation L.612-2)."""
        return self not in (ComplaintChannel.PHONE, ComplaintChannel.IN_PERSON)


class ComplaintOutcome(StrEnum):
    UPHELD = "upheld"
    PARTIALLY_UPHELD = "partially_upheld"
    REJECTED = "rejected"


class ComplaintMotive(StrEnum):
    """Why the complainant is dissatisfied (the register's motive, ACPR 2024-R-02)."""

    DELAY = "delay"
    REFUSAL = "refusal"
    AMOUNT = "amount"
    INFORMATION = "information"
    SERVICE = "service"
    CONTRACT_TERMS = "contract_terms"
    OTHER = "other"


class RootCause(StrEnum):
    """What the analysis of the complaint found behind it (ACPR 2024-R-02)."""

    HANDLING_ERROR = "handling_error"
    PROCESS_DELAY = "process_delay"
    CONTRACT_WORDING = "contract_wording"
    THIRD_PARTY = "third_party"
    NONE_FOUND = "none_found"
    OTHER = "other"


class MediationOutcome(StrEnum):
    IN_FAVOUR_OF_INSURED = "in_favour_of_insured"
    IN_FAVOUR_OF_INSURER = "in_favour_of_insurer"
    PARTIAL = "partial"


class PrescriptionAct(StrEnum):
    """Acts that interrupt the 2-year prescription (L.114-2; Code civil 2240-2246)."""

    EXPERT_APPOINTED = "expert_appointed"
    REGISTERED_LETTER = "registered_letter"
    INSURER_ACKNOWLEDGEMENT = "insurer_acknowledgement"
    COURT_ACTION = "court_action"


class ClaimStatus(StrEnum):
    DECLARED = "declared"
    PROOFS_REQUESTED = "proofs_requested"
    PROOFS_COMPLETE = "proofs_complete"
    AWAITING_CARD_INSURER = "awaiting_card_insurer"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    SETTLED = "settled"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class DeclarationChannel(StrEnum):
    """How the claim was declared; it sets the handling clock (docs/rules.md "Handling")."""

    ONLINE = "online"
    EMAIL = "email"
    POST = "post"
    PHONE = "phone"
    AGENCY = "agency"


class DeclarationFlag(StrEnum):
    """Irregularities recorded at declaration, for the handler to decide on (rules.md
    "Declaration")."""

    LATE_DECLARATION = "late_declaration"
    EVENT_BEFORE_SUBSCRIPTION = "event_before_subscription"
    SUBSCRIPTION_AFTER_WINDOW = "subscription_after_window"


def to_money(value: Decimal | int | str) -> Decimal:
    """A Decimal with exactly two places; raises ValueError for more places or non-numbers."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        msg = f"{value!r} is not an amount"
        raise ValueError(msg) from exc
    if not amount.is_finite():
        msg = f"{value!r} is not a finite amount"
        raise ValueError(msg)
    quantized = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    if quantized != amount:
        msg = f"{value!r} has more than two decimal places"
        raise ValueError(msg)
    return quantized


@dataclass(frozen=True)
class Insured:
    name: str
    trip_price: Decimal
    # The person's subject id (api.md v2 §6), drawn by the service layer; None before v2.
    subject_id: UUID | None = None


@dataclass(frozen=True)
class Trip:
    departure_date: date
    return_date: date
    destination: str
    transport_price: Decimal | None = None


@dataclass(frozen=True)
class Cause:
    category: str
    code: str
    description: str = ""


@dataclass(frozen=True)
class FeeBracket:
    """One bracket of an organiser's cancellation-fee scale (the declaration's `fee_scale`)."""

    min_days_before: int
    max_days_before: int | None
    percent: Decimal
    minimum_per_person: Decimal | None = None


@dataclass(frozen=True)
class FeeInput:
    """Cancellation fees invoiced by the organiser for one insured, and the non-refundable
    items among them (file fees, premium, visa, tips, taxes)."""

    insured: str
    invoiced: Decimal
    non_refundable: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class BaggageItem:
    insured: str
    replacement_value: Decimal
    depreciation: Decimal = Decimal("0.00")  # vétusté
    carrier_refund: Decimal = Decimal("0.00")
    valuable: bool = False


@dataclass(frozen=True)
class LegDelay:
    """One flight leg of one insured, with its arrival delay."""

    insured: str
    delay_minutes: int


@dataclass(frozen=True)
class TicketCost:
    """Missed departure: the one-way ticket bought to reach the destination."""

    insured: str
    amount: Decimal


@dataclass(frozen=True)
class AssessmentInputs:
    """What the handler enters at assessment, by guarantee; the engine does the rest."""

    fees: tuple[FeeInput, ...] = ()
    baggage: tuple[BaggageItem, ...] = ()
    delays: tuple[LegDelay, ...] = ()
    tickets: tuple[TicketCost, ...] = ()


@dataclass(frozen=True)
class InsuredIndemnity:
    """One insured person's amounts, step by step: basis - deductible - caps - card insurer."""

    insured: str
    basis: Decimal
    deductible: Decimal
    payable: Decimal
    capped_per_person: Decimal = Decimal("0.00")
    capped_per_event: Decimal = Decimal("0.00")
    card_insurer_deduction: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Indemnity:
    total: Decimal
    per_insured: tuple[InsuredIndemnity, ...]
    trace: tuple[str, ...]
    currency: str = "EUR"


@dataclass(frozen=True)
class CardInsurerPosition:
    decision: str
    amount_paid: Decimal
    received_on: date


@dataclass(frozen=True)
class Settlement:
    paid_on: date
    mode: str
    reference: str
    amount: Decimal


@dataclass(frozen=True)
class CorrectiveAction:
    """An action decided after a complaint's analysis, and when it was done."""

    action_id: str
    action: str
    owner: str
    recorded_on: date
    due_on: date
    done_on: date | None = None


@dataclass(frozen=True)
class Complaint:
    complaint_id: str
    sent_on: date
    received_on: date
    channel: str
    summary: str
    acknowledged_on: date | None = None
    answered_on: date | None = None
    outcome: str | None = None
    escalated_on: date | None = None
    recours_answered_on: date | None = None
    recours_outcome: str | None = None
    # Qualification and corrective actions (ACPR 2024-R-02); round-1 snapshots lack them.
    motive: str | None = None
    root_cause: str | None = None
    qualified_on: date | None = None
    corrective_actions: tuple[CorrectiveAction, ...] = ()

    def corrective_action(self, action_id: str) -> CorrectiveAction | None:
        return next((a for a in self.corrective_actions if a.action_id == action_id), None)

    @property
    def is_written(self) -> bool:
        return ComplaintChannel(self.channel).is_written

    @property
    def internal_avenues_exhausted(self) -> bool:
        """First-level answer given and, if a recours was made, the recours answered too."""
        if self.answered_on is None:
            return False
        return self.escalated_on is None or self.recours_answered_on is not None


@dataclass(frozen=True)
class Mediation:
    referred_on: date
    decided_on: date | None = None
    outcome: str | None = None
