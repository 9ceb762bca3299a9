"""Personal data (contract v2 §6; docs/adr/0037-erasure-and-retention.md): an admin erases a
subject's personal data once the claim is closed and no complaint or mediation holds it.
The answer is the claim body, its personal fields now `[erased]`."""

from __future__ import annotations

from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from domain.claim.erasure import ErasureBasis
from services.http.auth import Principal, Role
from services.http.deps import Claims, CommandContext, _command_context, require
from services.http.insured_sessions import InsuredSessions
from services.http.problems import COMMAND_RESPONSES
from services.http.schemas import ClaimPublic, Command, Day

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
    response = ctx.run(
        body,
        ctx.app.erase_subject,
        subject_id,
        erased_on=body.erased_on,
        basis=body.basis.value,
        by=ctx.actor,
    )
    sessions = cast("InsuredSessions | None", getattr(request.app.state, "insured_sessions", None))
    if sessions is not None:
        sessions.end_all(ctx.app.subject_claim(subject_id))
    return response
