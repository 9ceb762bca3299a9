"""Claims: declaration, audit replay and every claim command."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from domain.values import (
    AssessmentInputs,
    BaggageItem,
    FeeInput,
    LegDelay,
    TicketCost,
)
from services.http.auth import Role, TokenRegistry
from services.http.declarations import claim_declaration
from services.http.deps import (
    AnyRole,
    Claims,
    DeclarationCommand,
    HandlerCommand,
    ManagerCommand,
    authority,
    claim_response,
    plausible_query_date,
    today_in_paris,
)
from services.http.problems import (
    COMMAND_RESPONSES,
    PROBLEM_RESPONSES,
    HTTPProblem,
    invalid_input,
)
from services.http.schemas import (
    AcknowledgementCreate,
    AnswerCreate,
    AssessmentCreate,
    AssignmentCreate,
    CardInsurerPositionCreate,
    ClaimCreate,
    ClaimPublic,
    ClosureCreate,
    ComplaintCreate,
    CorrectiveActionCompletionCreate,
    CorrectiveActionCreate,
    Day,
    EscalationCreate,
    HistoryPublic,
    MediationCreate,
    MediationOutcomeCreate,
    NoteCreate,
    PrescriptionInterruptionCreate,
    ProofCreate,
    ProofRequestCreate,
    QualificationCreate,
    ReopeningCreate,
    SettlementCreate,
    WithdrawalCreate,
)
from services.http.views import history_entry
from services.insured import DeclarantContact
from services.lookups import MAX_VERSION

router = APIRouter(prefix="/api/v1/claims", tags=["claims"])
READ_RESPONSES = {**PROBLEM_RESPONSES, 404: COMMAND_RESPONSES[404]}


def declarant_contact(body: ClaimCreate) -> DeclarantContact | None:
    """The declarant as given, in clear: the application validates and seals it."""
    d = body.declarant
    return None if d is None else DeclarantContact(d.name, d.email, d.mobile)


@router.post("", status_code=201, response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def declare_claim(body: ClaimCreate, ctx: DeclarationCommand) -> JSONResponse:
    """Declare a claim; it gets the next claim number."""
    return ctx.run(
        body,
        ctx.app.declare,
        claim_declaration(body, today_in_paris()),
        by=ctx.actor,
        contact=declarant_contact(body),
        status_code=201,
        location=True,
        new_claim=True,
    )


@router.get("/by-number/{claim_number}", response_model=ClaimPublic, responses=READ_RESPONSES)
def claim_by_number(
    request: Request,
    claim_number: str,
    app: Claims,
    _who: AnyRole,
    trip_start: Day | None = None,
) -> JSONResponse:
    """Find a claim by its number and trip start date, as the insured's file does."""
    if trip_start is not None:
        plausible_query_date(request, "trip_start", trip_start)
    return claim_response(app, app.find_by_number(claim_number, trip_start=trip_start))


@router.get("/{claim_id}", response_model=ClaimPublic, responses=READ_RESPONSES)
def get_claim(
    request: Request,
    claim_id: UUID,
    app: Claims,
    _who: AnyRole,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    as_of: datetime | None = None,
) -> JSONResponse:
    """The claim now, or exactly as it was at a version or a time (audit replay)."""
    if version is not None and as_of is not None:
        raise HTTPProblem(
            400, "version-or-as-of", "Ambiguous replay", "give either version or as_of, not both"
        )
    if as_of is not None:
        if as_of.tzinfo is None:
            raise HTTPProblem(
                400,
                "as-of-needs-offset",
                "as_of needs an offset",
                "as_of must carry a time-zone offset, e.g. 2026-03-04T10:00:00Z",
            )
        # Its own day, before any conversion (year 9999 at -01:00 overflows in UTC).
        plausible_query_date(request, "as_of", as_of.date())
        return claim_response(app, app.claim_as_of(claim_id, as_of))
    return claim_response(app, app.get_claim(claim_id, version=version))


@router.get("/{claim_id}/history", response_model=HistoryPublic, responses=READ_RESPONSES)
def claim_history(claim_id: UUID, app: Claims, _who: AnyRole) -> HistoryPublic:
    """Every event of the claim in order: version, type, recorded time, actor, data."""
    entries = app.history(claim_id)
    return HistoryPublic(
        claim_id=claim_id,
        claim_number=entries[0].data["claim_number"],
        items=[history_entry(e) for e in entries],
    )


# ---------------------------------------------------------------------- commands


@router.post("/{claim_id}/proof-requests", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def request_proofs(claim_id: UUID, body: ProofRequestCreate, ctx: HandlerCommand) -> JSONResponse:
    """Ask the insured for documents."""
    return ctx.run(
        body,
        ctx.app.request_proofs,
        claim_id,
        documents=[d.value for d in body.documents],
        requested_on=body.requested_on,
        by=ctx.actor,
    )


@router.post("/{claim_id}/proofs", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def receive_proof(claim_id: UUID, body: ProofCreate, ctx: HandlerCommand) -> JSONResponse:
    """Record a document received; proofs are complete when every requested one is in."""
    return ctx.run(
        body,
        ctx.app.receive_proof,
        claim_id,
        document=body.document.value,
        received_on=body.received_on,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/card-insurer-position", response_model=ClaimPublic, responses=COMMAND_RESPONSES
)
def card_insurer_position(
    claim_id: UUID, body: CardInsurerPositionCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record the bank-card insurer's written position (001: trips over €10,000 per person)."""
    return ctx.run(
        body,
        ctx.app.receive_card_insurer_position,
        claim_id,
        decision=body.decision.value,
        amount_paid=body.amount_paid,
        received_on=body.received_on,
        by=ctx.actor,
    )


@router.post("/{claim_id}/assessment", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def assess(claim_id: UUID, body: AssessmentCreate, ctx: HandlerCommand) -> JSONResponse:
    """Accept with the indemnity computed from the contract, or refuse with a reason."""
    if body.decision == "refuse":
        reason = body.reason or ""
        return ctx.run(
            body,
            ctx.app.refuse,
            claim_id,
            decided_on=body.decided_on,
            reason=reason,
            by=ctx.actor,
        )
    inputs = assessment_inputs(body)
    return ctx.run(
        body,
        ctx.app.accept,
        claim_id,
        decided_on=body.decided_on,
        inputs=inputs,
        by=ctx.actor,
    )


def assessment_inputs(body: AssessmentCreate) -> AssessmentInputs:
    """What an acceptance's body gives the indemnity engine."""
    return AssessmentInputs(
        fees=tuple(FeeInput(f.insured, f.invoiced, f.non_refundable) for f in body.fees),
        baggage=tuple(
            BaggageItem(
                b.insured, b.replacement_value, b.depreciation, b.carrier_refund, b.valuable
            )
            for b in body.baggage
        ),
        delays=tuple(LegDelay(d.insured, d.delay_minutes) for d in body.delays),
        tickets=tuple(TicketCost(t.insured, t.amount) for t in body.tickets),
    )


@router.post("/{claim_id}/settlement", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def settle(
    request: Request, claim_id: UUID, body: SettlementCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record payment of the accepted indemnity (cash or voucher): v1's shortcut for the
    final payment requested, approved and issued on `paid_on` (`reference` is its bank
    reference; cash is paid by transfer). Above your authority: 409 approval-required (request
    the payment for a manager's approval); a payment in flight: 409 payment-in-progress."""
    limit = authority(request, ctx.principal)
    return ctx.run(
        body,
        ctx.app.settle,
        claim_id,
        paid_on=body.paid_on,
        mode=body.mode.value,
        reference=body.reference,
        by=ctx.actor,
        authority=limit,
    )


@router.post("/{claim_id}/closure", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def close(claim_id: UUID, body: ClosureCreate, ctx: HandlerCommand) -> JSONResponse:
    """Close the claim."""
    return ctx.run(
        body,
        ctx.app.close_claim,
        claim_id,
        closed_on=body.closed_on,
        by=ctx.actor,
    )


@router.post("/{claim_id}/withdrawal", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def withdraw(claim_id: UUID, body: WithdrawalCreate, ctx: HandlerCommand) -> JSONResponse:
    """The insured withdraws the claim."""
    return ctx.run(
        body,
        ctx.app.withdraw,
        claim_id,
        withdrawn_on=body.withdrawn_on,
        by=ctx.actor,
    )


@router.post("/{claim_id}/assignment", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def assign(
    request: Request, claim_id: UUID, body: AssignmentCreate, ctx: ManagerCommand
) -> JSONResponse:
    """Assign the claim to a handler (managers): a user id with the handler role."""
    tokens = cast("TokenRegistry", request.app.state.tokens)
    if not tokens.has_role(body.handler, Role.HANDLER):
        raise invalid_input(
            "handler",
            "must be the user id of a handler (a user with the handler role in the tokens)",
            body.handler,
            where="body",
        )
    return ctx.run(
        body,
        ctx.app.assign_handler,
        claim_id,
        handler=body.handler,
        assigned_on=body.assigned_on or today_in_paris(),
        by=ctx.actor,
    )


@router.post("/{claim_id}/complaints", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def open_complaint(claim_id: UUID, body: ComplaintCreate, ctx: HandlerCommand) -> JSONResponse:
    """Record a complaint; the last item of `complaints` is the new one."""
    return ctx.run(
        body,
        ctx.app.open_complaint,
        claim_id,
        sent_on=body.sent_on,
        received_on=body.received_on,
        channel=body.channel.value,
        summary=body.summary,
        motive=None if body.motive is None else body.motive.value,
        root_cause=None if body.root_cause is None else body.root_cause.value,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/complaints/{complaint_id}/qualification",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def qualify_complaint(
    claim_id: UUID, complaint_id: str, body: QualificationCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Set or revise the complaint's motive and root cause (the register's analysis)."""
    return ctx.run(
        body,
        ctx.app.qualify_complaint,
        claim_id,
        complaint_id=complaint_id,
        qualified_on=body.qualified_on,
        motive=body.motive.value,
        root_cause=body.root_cause.value,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/complaints/{complaint_id}/corrective-actions",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def record_corrective_action(
    claim_id: UUID, complaint_id: str, body: CorrectiveActionCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record a corrective action; the complaint's last `corrective_actions` item is the new
    one, with its `action_id`."""
    return ctx.run(
        body,
        ctx.app.record_corrective_action,
        claim_id,
        complaint_id=complaint_id,
        recorded_on=body.recorded_on,
        action=body.action,
        owner=body.owner,
        due_on=body.due_on,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/complaints/{complaint_id}/corrective-actions/{action_id}/completion",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def complete_corrective_action(
    claim_id: UUID,
    complaint_id: str,
    action_id: str,
    body: CorrectiveActionCompletionCreate,
    ctx: HandlerCommand,
) -> JSONResponse:
    """Record that the corrective action was carried out."""
    return ctx.run(
        body,
        ctx.app.complete_corrective_action,
        claim_id,
        complaint_id=complaint_id,
        action_id=action_id,
        done_on=body.done_on,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/complaints/{complaint_id}/acknowledgement",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def acknowledge_complaint(
    claim_id: UUID, complaint_id: str, body: AcknowledgementCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record the acknowledgement sent to the complainant."""
    return ctx.run(
        body,
        ctx.app.acknowledge_complaint,
        claim_id,
        complaint_id=complaint_id,
        sent_on=body.sent_on,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/complaints/{complaint_id}/answer",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def answer_complaint(
    claim_id: UUID, complaint_id: str, body: AnswerCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record the answer (or the recours' answer after an escalation)."""
    return ctx.run(
        body,
        ctx.app.answer_complaint,
        claim_id,
        complaint_id=complaint_id,
        sent_on=body.sent_on,
        outcome=body.outcome.value,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/complaints/{complaint_id}/escalation",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def escalate_complaint(
    claim_id: UUID, complaint_id: str, body: EscalationCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record a second-level recours on an answered complaint."""
    return ctx.run(
        body,
        ctx.app.escalate_complaint,
        claim_id,
        complaint_id=complaint_id,
        received_on=body.received_on,
        by=ctx.actor,
    )


@router.post("/{claim_id}/mediation", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def refer_to_mediation(claim_id: UUID, body: MediationCreate, ctx: HandlerCommand) -> JSONResponse:
    """Record the referral to the Médiateur de l'Assurance."""
    return ctx.run(
        body,
        ctx.app.refer_to_mediation,
        claim_id,
        referred_on=body.referred_on,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/mediation/outcome", response_model=ClaimPublic, responses=COMMAND_RESPONSES
)
def conclude_mediation(
    claim_id: UUID, body: MediationOutcomeCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record the mediator's opinion."""
    return ctx.run(
        body,
        ctx.app.conclude_mediation,
        claim_id,
        decided_on=body.decided_on,
        outcome=body.outcome.value,
        by=ctx.actor,
    )


@router.post("/{claim_id}/reopening", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def reopen(claim_id: UUID, body: ReopeningCreate, ctx: HandlerCommand) -> JSONResponse:
    """Reopen the claim for a new assessment."""
    return ctx.run(
        body,
        ctx.app.reopen,
        claim_id,
        reopened_on=body.reopened_on,
        reason=body.reason,
        by=ctx.actor,
    )


@router.post("/{claim_id}/notes", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def add_note(claim_id: UUID, body: NoteCreate, ctx: HandlerCommand) -> JSONResponse:
    """Add a note to the claim's history."""
    return ctx.run(
        body,
        ctx.app.add_note,
        claim_id,
        text=body.text,
        noted_on=body.noted_on or today_in_paris(),
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/prescription-interruptions",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def interrupt_prescription(
    claim_id: UUID, body: PrescriptionInterruptionCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record an act that restarts the 2-year prescription (L.114-2)."""
    return ctx.run(
        body,
        ctx.app.interrupt_prescription,
        claim_id,
        act=body.act.value,
        interrupted_on=body.interrupted_on,
        by=ctx.actor,
    )
