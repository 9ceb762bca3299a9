"""The claim commands as page forms: what each form asks, and how a posted form is read.

How its answer runs: services/http/form_commands.py; its refusals in French:
services/http/form_errors.py.

Every form runs the API's own endpoint function (services/http/claims.py) with a
CommandContext built from the page session: the session's user and role, the same claim
ownership (ClaimAccess) as the API, the form's hidden `version` as If-Match, and the same
plausibility of dates (domain/plausibility.py). What the API would answer as a problem is
turned into French messages next to the field it names (docs/adr/0026-command-forms.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel

from domain.claim import Claim
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
from services.http.auth import Role
from services.http.schemas import (
    AcknowledgementCreate,
    AnswerCreate,
    AssessmentCreate,
    AssignmentCreate,
    CardInsurerPositionCreate,
    ClosureCreate,
    ComplaintCreate,
    EscalationCreate,
    MediationCreate,
    MediationOutcomeCreate,
    NoteCreate,
    PrescriptionInterruptionCreate,
    ProofCreate,
    ProofRequestCreate,
    ReopeningCreate,
    SettlementCreate,
    WithdrawalCreate,
)

MAX_FIELDS = 120  # the declaration form's fields, with room
HANDLERS = frozenset({Role.HANDLER, Role.ADMIN})
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
MAX_INSURED_ROWS = 4  # the declaration form's rows of insured people


def N_(message: str) -> str:  # noqa: N802 - the gettext convention: marks a message id
    """Marks an English message of this module for the French catalogue (translated when
    shown; tests/services/test_i18n.py checks each has its translation)."""
    return message


@dataclass(frozen=True)
class Field:
    """One input: `name` is the body's key, dotted for nested ones (`trip.departure_date`,
    `insured.0.name`)."""

    name: str
    label: str
    kind: str = "date"  # date, text, textarea, money, number, select, checkboxes, checkbox
    choices: tuple[str, ...] = ()  # the codes of a select or of checkboxes
    labels: str = ""  # the i18n.label kind that names the choices
    required: bool = True


@dataclass(frozen=True)
class Action:
    slug: str
    title: str
    model: type[BaseModel]
    fields: tuple[Field, ...]
    roles: frozenset[Role] = HANDLERS
    complaint: bool = False  # the form names one of the claim's complaints
    item: str = ""  # the form names one of the claim's payments or recoveries


def _codes(enum: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


ACTIONS: dict[str, Action] = {
    action.slug: action
    for action in (
        Action(
            "assign",
            N_("Assign to a handler"),
            AssignmentCreate,
            (Field("handler", N_("Handler's user id"), "text"), Field("assigned_on", N_("On"))),
            roles=MANAGERS,
        ),
        Action(
            "request-proofs",
            N_("Request proofs"),
            ProofRequestCreate,
            (
                Field("documents", N_("Documents"), "checkboxes", _codes(Document), "document"),
                Field("requested_on", N_("Requested on")),
            ),
        ),
        Action(
            "record-proof",
            N_("Record a proof received"),
            ProofCreate,
            (
                Field("document", N_("Document"), "select", _codes(Document), "document"),
                Field("received_on", N_("Received on")),
            ),
        ),
        Action(
            "card-insurer",
            N_("Card insurer's position"),
            CardInsurerPositionCreate,
            (
                Field(
                    "decision",
                    N_("Decision"),
                    "select",
                    _codes(CardInsurerDecision),
                    "card_decision",
                ),
                Field(
                    "amount_paid", N_("Amount paid by the card insurer"), "money", required=False
                ),
                Field("received_on", N_("Received on")),
            ),
        ),
        Action(
            "accept",
            N_("Accept (indemnity preview first)"),
            AssessmentCreate,
            (Field("decided_on", N_("Decided on")),),
        ),
        Action(
            "refuse",
            N_("Refuse"),
            AssessmentCreate,
            (Field("decided_on", N_("Decided on")), Field("reason", N_("Reason"), "textarea")),
        ),
        Action(
            "settle",
            N_("Pay the accepted indemnity"),
            SettlementCreate,
            (
                Field("paid_on", N_("Paid on")),
                Field("mode", N_("Mode"), "select", _codes(SettlementMode), "mode"),
                Field("reference", N_("Payment reference"), "text"),
            ),
        ),
        Action("close", N_("Close the claim"), ClosureCreate, (Field("closed_on", N_("On")),)),
        Action(
            "withdraw",
            N_("Withdrawal by the insured"),
            WithdrawalCreate,
            (Field("withdrawn_on", N_("On")),),
        ),
        Action(
            "reopen",
            N_("Reopen"),
            ReopeningCreate,
            (Field("reopened_on", N_("On")), Field("reason", N_("Reason"), "textarea")),
        ),
        Action(
            "complaint",
            N_("Record a complaint"),
            ComplaintCreate,
            (
                Field("sent_on", N_("Sent on")),
                Field("received_on", N_("Received on")),
                Field(
                    "channel",
                    N_("Channel"),
                    "select",
                    _codes(ComplaintChannel),
                    "complaint_channel",
                ),
                Field("summary", N_("Summary"), "textarea"),
            ),
        ),
        Action(
            "acknowledge",
            N_("Acknowledge a complaint"),
            AcknowledgementCreate,
            (Field("sent_on", N_("Sent on")),),
            complaint=True,
        ),
        Action(
            "answer",
            N_("Answer a complaint"),
            AnswerCreate,
            (
                Field("sent_on", N_("Sent on")),
                Field(
                    "outcome",
                    N_("Outcome"),
                    "select",
                    _codes(ComplaintOutcome),
                    "complaint_outcome",
                ),
            ),
            complaint=True,
        ),
        Action(
            "escalate",
            N_("Recours on a complaint"),
            EscalationCreate,
            (Field("received_on", N_("Received on")),),
            complaint=True,
        ),
        Action(
            "mediation",
            N_("Referral to the mediator"),
            MediationCreate,
            (Field("referred_on", N_("Referred on")),),
        ),
        Action(
            "mediation-outcome",
            N_("Mediator's opinion"),
            MediationOutcomeCreate,
            (
                Field("decided_on", N_("Decided on")),
                Field(
                    "outcome",
                    N_("Outcome"),
                    "select",
                    _codes(MediationOutcome),
                    "mediation_outcome",
                ),
            ),
        ),
        Action(
            "note",
            N_("Add a note"),
            NoteCreate,
            (Field("text", N_("Note"), "textarea"), Field("noted_on", N_("On"), required=False)),
        ),
        Action(
            "prescription",
            N_("Act interrupting the prescription"),
            PrescriptionInterruptionCreate,
            (
                Field("act", N_("Act"), "select", _codes(PrescriptionAct), "prescription_act"),
                Field("interrupted_on", N_("On")),
            ),
        ),
    )
}

# What the claim page says after a form succeeded (`?done=<slug>`).
DONE = {"declare": N_("Claim declared"), **{slug: a.title for slug, a in ACTIONS.items()}}


def declaration_fields(contracts: list[str]) -> tuple[Field, ...]:
    """The declaration form: the API's body flattened, with rows for up to four insured."""
    insured: list[Field] = []
    for row in range(MAX_INSURED_ROWS):
        insured += [
            Field(f"insured.{row}.name", N_("Name"), "text", required=row == 0),
            Field(f"insured.{row}.trip_price", N_("Trip price"), "money", required=row == 0),
        ]
    return (
        Field("contract", N_("Contract"), "select", tuple(contracts)),
        Field("subscription_number", N_("Subscription number"), "text"),
        Field("guarantee", N_("Guarantee"), "select", _codes(Guarantee), "guarantee"),
        Field("cause.category", N_("Cause category"), "select", _codes(CauseCategory), "category"),
        Field("cause.code", N_("Cause"), "select", tuple(CAUSE_CODES), "cause"),
        Field("cause.description", N_("Description"), "textarea", required=False),
        Field("event_date", N_("Event date")),
        Field("known_on", N_("Known on"), required=False),
        Field("declared_on", N_("Declared on"), required=False),
        Field("booking_date", N_("Booked on")),
        Field("subscription_date", N_("Subscribed on")),
        Field("trip.departure_date", N_("Departure")),
        Field("trip.return_date", N_("Return")),
        Field("trip.destination", N_("Destination"), "text", required=False),
        Field("trip.transport_price", N_("Transport price"), "money", required=False),
        *insured,
        Field("settlement_mode", N_("Settlement mode"), "select", _codes(SettlementMode), "mode"),
        Field("channel", N_("Channel"), "select", _codes(DeclarationChannel), "channel"),
        Field("medical_contraindication_on", N_("Medical contraindication on"), required=False),
        Field("cancelled_on", N_("Cancelled on"), required=False),
        Field("interrupted_on", N_("Interrupted on"), required=False),
    )


CAUSE_CODES = (
    "serious_illness",
    "serious_accident",
    "death",
    "economic_dismissal",
    "visa_refusal",
    "home_damage",
    "unforeseeable_event",
    "personal_reason",
    "illness",
    "accident",
    "dismissal",
    "job_transfer",
    "exam_resit",
)


def assessment_fields(claim: Claim) -> tuple[Field, ...]:
    """The accept form's inputs: one row per insured of what the claim's guarantee pays on."""
    rows: list[Field] = []
    for row in range(len(claim.insured)):
        if claim.guarantee in (Guarantee.CANCELLATION, Guarantee.INTERRUPTION):
            rows += [
                Field(f"fees.{row}.invoiced", N_("Invoiced"), "money", required=False),
                Field(f"fees.{row}.non_refundable", N_("Non-refundable"), "money", required=False),
            ]
        elif claim.guarantee == Guarantee.BAGGAGE:
            rows += [
                Field(
                    f"baggage.{row}.replacement_value",
                    N_("Replacement value"),
                    "money",
                    required=False,
                ),
                Field(f"baggage.{row}.depreciation", N_("Depreciation"), "money", required=False),
                Field(
                    f"baggage.{row}.carrier_refund", N_("Carrier's refund"), "money", required=False
                ),
                Field(f"baggage.{row}.valuable", N_("Valuable"), "checkbox", required=False),
            ]
        elif claim.guarantee == Guarantee.FLIGHT_DELAY:
            rows.append(
                Field(
                    f"delays.{row}.delay_minutes", N_("Delay (minutes)"), "number", required=False
                )
            )
        else:
            rows.append(Field(f"tickets.{row}.amount", N_("New ticket"), "money", required=False))
    return tuple(rows)


# ---------------------------------------------------------------------- reading a form


def parse_fields(body: bytes) -> dict[str, list[str]]:
    """Every value of each field of a urlencoded form (checkboxes repeat their name)."""
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}


def _money(text: str) -> str:
    """An amount as typed on a French page (`1 200,50`) in the API's form (`1200.50`)."""
    return text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")


def body_of(fields: tuple[Field, ...], form: dict[str, list[str]]) -> dict[str, Any]:
    """The API's JSON body from the form: empty inputs left out, amounts normalised, dotted
    names nested, numbered rows made lists (a row left empty is no row)."""
    flat: dict[str, Any] = {}
    for f in fields:
        values = [v.strip() for v in form.get(f.name, [])]
        if f.kind == "checkboxes":
            if values:
                flat[f.name] = values
            continue
        if f.kind == "checkbox":
            if values and values[0]:
                flat[f.name] = True
            continue
        value = values[0] if values else ""
        if not value:
            continue
        if f.kind == "money":
            value = _money(value)
        if f.kind == "number":
            flat[f.name] = int(value) if value.isdigit() and len(value) < 10 else value
            continue
        flat[f.name] = value
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        here = nested
        parts = name.split(".")
        for part in parts[:-1]:
            here = here.setdefault(part, {})
        here[parts[-1]] = value
    body: dict[str, Any] = _lists(nested)
    return body


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


def form_values(form: dict[str, list[str]]) -> dict[str, list[str]]:
    """What the page shows again in the form after a refusal (never the CSRF token)."""
    return {name: values for name, values in form.items() if name != "csrf"}
