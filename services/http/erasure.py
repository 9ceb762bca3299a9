"""Personal data (contract v2 §6; docs/adr/0037-erasure-and-retention.md): an admin erases a
subject's personal data once the claim is closed and no complaint or mediation holds it (the
answer is the claim body, its personal fields now `[erased]`); admins and auditors list each
claim's retention (the read model of projections/retention)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from domain.claim.erasure import ErasureBasis
from domain.errors import UnknownSubject
from projections.paging import BadCursor
from projections.retention.queries import claim_of_subject, retention_items
from projections.runner import ProjectionRunner
from services.http.auth import Principal, Role
from services.http.deps import AsOfDay, Claims, CommandContext, _command_context, require
from services.http.insured_sessions import InsuredSessions
from services.http.problems import COMMAND_RESPONSES
from services.http.read_models import RESPONSES, Cursor, Limit, Runner, _cursor_error
from services.http.schemas import ClaimPublic, Command, Day, implausible_dates

router = APIRouter(prefix="/api/v1", tags=["personal data"])
AdminPrincipal = Annotated[Principal, Depends(require(Role.ADMIN))]


async def admin_command(
    request: Request,
    app: Claims,
    principal: AdminPrincipal,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> CommandContext:
    return await _command_context(request, app, principal, if_match, idempotency_key)


AdminCommand = Annotated[CommandContext, Depends(admin_command)]


class ErasureCreate(Command):
    erased_on: Day
    basis: ErasureBasis


@router.post(
    "/subjects/{subject_id}/erasure", response_model=ClaimPublic, responses=COMMAND_RESPONSES
)
def erase_subject(
    request: Request, subject_id: UUID, body: ErasureCreate, ctx: AdminCommand
) -> JSONResponse:
    """Erase a subject's personal data (an insured person's or the declarant's), and with it
    the claim's free text and documents: 409 `legal-hold` (an open complaint or mediation),
    `claim-not-closed`, `subject-already-erased`; 404 `unknown-subject`. The insured's sessions
    end."""
    errors = implausible_dates(body, today=ctx.today, horizon_days=ctx.horizon_days)
    if errors:  # before the subject is looked up, as every command (422 naming the field)
        raise RequestValidationError(errors)
    claim_id = _subject_claim(request, ctx, subject_id)
    response = ctx.run(
        body,
        ctx.app.erase_subjects,
        claim_id,
        [subject_id],
        erased_on=body.erased_on,
        basis=body.basis.value,
        by=ctx.actor,
    )
    sessions = cast("InsuredSessions | None", getattr(request.app.state, "insured_sessions", None))
    if sessions is not None:
        sessions.end_all(claim_id)
    return response


def _subject_claim(request: Request, ctx: CommandContext, subject_id: UUID) -> UUID:
    """The subject's claim from the key store; for a claim stored before the keys, from the
    retention read model (caught up first)."""
    try:
        return ctx.app.subject_claim(subject_id)
    except UnknownSubject:
        runner = cast("ProjectionRunner | None", getattr(request.app.state, "runner", None))
        if runner is None:
            raise
        runner.wait_for(runner.head(), timeout=2.0)
        found = claim_of_subject(runner.store, str(subject_id))
        if found is None:
            raise
        return UUID(found)


class RetentionState(StrEnum):
    PENDING = "pending"
    DUE = "due"
    HELD = "held"  # due, but a complaint or a mediation is open
    ERASED = "erased"


class RetentionItem(BaseModel):
    claim_id: UUID
    claim_number: str
    subject_ids: list[UUID]
    erase_after: date | None  # None while the claim is open
    state: RetentionState
    holds: list[str]


class RetentionPage(BaseModel):
    as_of: date
    items: list[RetentionItem]
    next_cursor: str | None


AuditorOrAdmin = Annotated[Principal, Depends(require(Role.AUDITOR))]


@router.get("/retention", response_model=RetentionPage, responses=RESPONSES)
def retention(
    request: Request,
    runner: Runner,
    _who: AuditorOrAdmin,
    day: AsOfDay,
    state: RetentionState | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> RetentionPage:
    """Each claim's erase_after (max(closure, prescription end) + CLAIMS_RETENTION_AFTER_
    PRESCRIPTION months) and its state as of the day: pending, due, held, erased."""
    months = request.app.state.settings.retention_after_prescription
    try:
        items, next_cursor = retention_items(
            runner.store,
            as_of=day,
            months=months,
            state=None if state is None else state.value,
            limit=limit,
            cursor=cursor,
        )
    except BadCursor as exc:
        raise _cursor_error(str(exc)) from None
    return RetentionPage(
        as_of=day,
        items=[RetentionItem.model_validate(item) for item in items],
        next_cursor=next_cursor,
    )
