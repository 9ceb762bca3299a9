"""Read-model endpoints: claims list, SLA clocks, dashboard, worklist, audit trail.

They read projections, which trail the event store by a moment. A client that has just sent a
command can send its `X-Position` back as `X-Consistent-With`: the query then waits (at most
2 s) for the read models to include it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel

from domain.plausibility import LINE, ImplausibleInputError, plausible_text
from domain.sla import ClockKind, ClockState
from projections.audit_trail.queries import audit_trail
from projections.claims_list.queries import list_claims
from projections.dashboard.queries import dashboard
from projections.paging import BadCursor
from projections.runner import ProjectionRunner
from projections.sla.queries import list_clocks
from projections.worklist.queries import worklist
from services.http.auth import Principal, Role
from services.http.deps import AnyRole, AsOfDay, require
from services.http.problems import PROBLEM_RESPONSES, FieldError, HTTPProblem
from services.http.schemas import Line, MoneyOut

router = APIRouter(prefix="/api/v1", tags=["read models"])
RESPONSES = {
    **PROBLEM_RESPONSES,
    412: {"description": "The read models have not reached X-Consistent-With yet; retry"},
    503: {"description": "Read models not configured"},
}


def consistent_runner(
    request: Request,
    x_consistent_with: Annotated[int | None, Header(ge=0, le=2**62)] = None,
) -> ProjectionRunner:
    runner = cast("ProjectionRunner | None", getattr(request.app.state, "runner", None))
    if runner is None:
        raise HTTPProblem(
            503,
            "read-models-unavailable",
            "Read models unavailable",
            "no read-model store is configured",
        )
    if x_consistent_with is None:
        return runner
    if x_consistent_with > runner.head():
        raise HTTPProblem(
            422,
            "unknown-position",
            "Unknown position",
            f"X-Consistent-With {x_consistent_with} is beyond the event store",
        )
    if not runner.wait_for(x_consistent_with, timeout=2.0):
        # A precondition of the request (the read models include that position) is not met.
        raise HTTPProblem(
            412,
            "read-models-behind",
            "Read models behind",
            f"the read models have not reached position {x_consistent_with} yet; retry",
            headers={"Retry-After": "1"},
        )
    return runner


Runner = Annotated[ProjectionRunner, Depends(consistent_runner)]
Limit = Annotated[int, Query(ge=1, le=500)]
MAX_CURSOR_LENGTH = 1000


def _cursor_error(message: str) -> HTTPProblem:
    return HTTPProblem(
        422,
        "invalid-cursor",
        "Invalid cursor",
        message,
        errors=[FieldError(field="cursor", message=message)],
    )


def plausible_cursor(
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> str | None:
    """A cursor shaped as the read models issue them (base64url of a JSON list of plain
    strings), so that a tampered one is a 422 naming `cursor` and never reaches SQL."""
    if cursor is None:
        return None
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError
        for value in values:
            plausible_text(value, LINE)
    except (ValueError, binascii.Error, ImplausibleInputError):
        raise _cursor_error("malformed cursor") from None
    return cursor


Cursor = Annotated[str | None, Depends(plausible_cursor)]


class ClaimSummary(BaseModel):
    claim_id: UUID
    claim_number: str
    status: str
    contract: str
    guarantee: str
    handler: str | None
    late_declaration: bool
    declared_on: date
    event_date: date
    departure_date: date
    decided_on: date | None
    indemnity_accepted: MoneyOut
    amount_paid: MoneyOut
    open_complaints: int
    mediation_open: bool
    version: int


class ClaimsPage(BaseModel):
    items: list[ClaimSummary]
    next_cursor: str | None


@router.get("/claims", response_model=ClaimsPage, responses=RESPONSES)
def claims_list(
    runner: Runner,
    _who: AnyRole,
    status: Line | None = None,
    contract: Line | None = None,
    handler: Line | None = None,
    late: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ClaimsPage:
    """Claims by status, contract, handler or lateness, paged by cursor."""
    try:
        rows, next_cursor = list_claims(
            runner.store,
            status=status,
            contract=contract,
            handler=handler,
            late=late,
            limit=limit,
            cursor=cursor,
        )
    except BadCursor as exc:
        raise _cursor_error(str(exc)) from None
    items = [
        ClaimSummary(
            **{
                k: r[k]
                for k in (
                    "claim_id",
                    "claim_number",
                    "status",
                    "contract",
                    "guarantee",
                    "handler",
                    "declared_on",
                    "event_date",
                    "departure_date",
                    "decided_on",
                    "open_complaints",
                    "version",
                )
            },
            late_declaration=bool(r["late"]),
            mediation_open=bool(r["mediation_open"]),
            indemnity_accepted=Decimal(r["accepted_cents"]) / 100,
            amount_paid=Decimal(r["paid_cents"]) / 100,
        )
        for r in rows
    ]
    return ClaimsPage(items=items, next_cursor=next_cursor)


class ClockPublic(BaseModel):
    claim_id: UUID
    claim_number: str
    clock: str
    clock_key: str
    started_on: date
    due_on: date
    completed_on: date | None
    state: str


class SlaPage(BaseModel):
    as_of: date
    items: list[ClockPublic]
    next_cursor: str | None


@router.get("/sla", response_model=SlaPage, responses=RESPONSES)
def sla(
    request: Request,
    runner: Runner,
    _who: AnyRole,
    day: AsOfDay,
    state: ClockState | None = None,
    clock: ClockKind | None = None,
    claim_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> SlaPage:
    """Every SLA clock with its state as of a day (default: today in Paris)."""
    calendar = request.app.state.claims.calendar
    try:
        rows, next_cursor = list_clocks(
            runner.store,
            calendar,
            as_of=day,
            state=state,
            clock=clock,
            claim_id=str(claim_id) if claim_id else None,
            limit=limit,
            cursor=cursor,
        )
    except BadCursor as exc:
        raise _cursor_error(str(exc)) from None
    return SlaPage(
        as_of=day, items=[ClockPublic.model_validate(r) for r in rows], next_cursor=next_cursor
    )


ManagerOnly = Annotated[Principal, Depends(require(Role.MANAGER))]


@router.get("/dashboard", responses=RESPONSES)
def dashboard_figures(runner: Runner, _who: ManagerOnly, day: AsOfDay) -> dict[str, Any]:
    """Counts by status, status group and contract, ageing, SLA compliance and breached or
    at-risk clocks, complaints, indemnities; `definitions` says what each figure means."""
    return dashboard(runner.store, day)


class WorkItem(BaseModel):
    claim_id: UUID
    claim_number: str
    handler: str | None
    status: str
    next_action: str
    due_on: date | None


class WorkPage(BaseModel):
    items: list[WorkItem]
    next_cursor: str | None


@router.get("/worklist", response_model=WorkPage, responses=RESPONSES)
def work(
    runner: Runner,
    _who: AnyRole,
    handler: Line | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> WorkPage:
    """What each handler must do next, earliest deadline first."""
    try:
        rows, next_cursor = worklist(runner.store, handler=handler, limit=limit, cursor=cursor)
    except BadCursor as exc:
        raise _cursor_error(str(exc)) from None
    return WorkPage(items=[WorkItem.model_validate(r) for r in rows], next_cursor=next_cursor)


class TrailEntry(BaseModel):
    version: int
    recorded_at: str
    actor: str
    event_type: str
    business_date: date
    summary: str


class TrailPage(BaseModel):
    claim_id: UUID
    items: list[TrailEntry]


@router.get("/claims/{claim_id}/audit-trail", response_model=TrailPage, responses=RESPONSES)
def trail(claim_id: UUID, runner: Runner, _who: AnyRole) -> TrailPage:
    """The claim's readable timeline: who, what, business date, recorded time. `summary` holds
    codes only; free text, names and the medical flag are in the claim's history."""
    return TrailPage(
        claim_id=claim_id,
        items=[TrailEntry.model_validate(r) for r in audit_trail(runner.store, str(claim_id))],
    )
