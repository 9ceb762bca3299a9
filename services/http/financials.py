"""Money read models: `GET /financials` (api.md v2 §2) and the payments of the worklist."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from projections.financials.queries import financials
from projections.paging import BadCursor
from projections.worklist.queries import payment_worklist
from services.http.auth import Principal, Role
from services.http.deps import AnyRole, AsOfDay, authority, plausible_query_date, require
from services.http.problems import HTTPProblem
from services.http.read_models import RESPONSES, Cursor, Limit, Runner, _cursor_error
from services.http.schemas import Line, MoneyOut

router = APIRouter(prefix="/api/v1", tags=["read models"])
Readers = Annotated[Principal, Depends(require(Role.MANAGER, Role.AUDITOR))]


class Figures(BaseModel):
    reserve: MoneyOut
    paid: MoneyOut
    recovered: MoneyOut
    incurred: MoneyOut


class FinancialItem(Figures):
    claim_id: UUID
    claim_number: str
    status: str


class FinancialsPage(BaseModel):
    as_of: date
    items: list[FinancialItem]
    totals: Figures
    next_cursor: str | None


@router.get("/financials", response_model=FinancialsPage, responses=RESPONSES)
def claim_financials(
    request: Request,
    runner: Runner,
    _who: Readers,
    day: AsOfDay,
    contract: Line | None = None,
    known_at: Annotated[
        datetime | None,
        Query(description="as recorded before this time (ISO 8601 with offset), for audits"),
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> FinancialsPage:
    """Per claim declared by `as_of`: status, reserve, paid, recovered and incurred (paid +
    reserve - recovered) from the facts dated up to `as_of` (and recorded before `known_at`);
    totals over every such claim (of the contract, if given)."""
    if known_at is not None:
        if known_at.tzinfo is None:
            raise HTTPProblem(
                400,
                "known-at-needs-offset",
                "known_at needs an offset",
                "known_at must carry a time-zone offset, e.g. 2026-03-04T10:00:00Z",
            )
        plausible_query_date(request, "known_at", known_at.date())
    try:
        body = financials(
            runner.store,
            as_of=day,
            contract=contract,
            known_at=known_at,
            limit=limit,
            cursor=cursor,
        )
    except BadCursor as exc:
        raise _cursor_error(str(exc)) from None
    return FinancialsPage.model_validate(body)


class PaymentWork(BaseModel):
    claim_id: UUID
    payment_id: str
    claim_number: str
    handler: str | None
    queue: str
    state: str
    amount: MoneyOut
    requested_by: str
    since: date


class PaymentWorkPage(BaseModel):
    items: list[PaymentWork]
    next_cursor: str | None


@router.get("/worklist/payments", response_model=PaymentWorkPage, responses=RESPONSES)
def payments_to_act_on(
    request: Request,
    runner: Runner,
    who: AnyRole,
    queue: Literal["awaiting_approval", "to_issue"],
    handler: Line | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> PaymentWorkPage:
    """Payments awaiting approval (for a manager or an admin: those they may approve, not
    their own and within their authority) or to issue (approved, or failed or returned and to
    issue again), the longest waiting first."""
    approver = queue == "awaiting_approval" and who.role in (Role.MANAGER, Role.ADMIN)
    limit_cents = int(authority(request, who) * 100) if approver else None
    try:
        rows, next_cursor = payment_worklist(
            runner.store,
            queue=queue,
            handler=handler,
            not_requested_by=who.user_id if approver else None,
            max_amount_cents=limit_cents,
            limit=limit,
            cursor=cursor,
        )
    except BadCursor as exc:
        raise _cursor_error(str(exc)) from None
    return PaymentWorkPage(
        items=[
            PaymentWork.model_validate(
                {**row, "amount": Decimal(row["amount_cents"]) / 100, "since": row["since"]}
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )
