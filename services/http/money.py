"""Money on a claim (api.md v2 §1): the reserve, payments with approval limits, recoveries.

Every command answers with the claim body and its ETag; new payments and recoveries go last in
`financials`. Handler commands are owner-checked; managers set reserves and decide payments
(docs/adr/0020-claim-ownership.md); admins may do all. Limits: CLAIMS_AUTHORITY_LIMITS.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import StrictBool

from domain.ledger import PaymentDecision, PaymentKind, PaymentMode, RecoverySource
from services.http.deps import (
    HandlerCommand,
    ManagerCommand,
    ReserveCommand,
    authority,
)
from services.http.problems import COMMAND_RESPONSES
from services.http.schemas import ClaimPublic, Command, Day, LongText, MoneyIn, Text

router = APIRouter(prefix="/api/v1/claims", tags=["money"])


class ReserveCreate(Command):
    amount: MoneyIn
    set_on: Day
    reason: LongText


class PaymentCreate(Command):
    payee: Text
    amount: MoneyIn
    kind: PaymentKind
    mode: PaymentMode
    requested_on: Day
    iban: Text | None = None
    reason: LongText | None = None


class ApprovalCreate(Command):
    decided_on: Day
    decision: PaymentDecision
    reason: LongText


class IssuanceCreate(Command):
    issued_on: Day
    bank_reference: Text


class FailureCreate(Command):
    failed_on: Day
    reason: LongText
    returned: StrictBool = False


class CancellationCreate(Command):
    cancelled_on: Day
    reason: LongText


class RecoveryCreate(Command):
    source: RecoverySource
    amount: MoneyIn
    expected_on: Day
    subrogation: StrictBool = False


class RecoveryReceiptCreate(Command):
    received_on: Day
    amount: MoneyIn


class WriteOffCreate(Command):
    written_off_on: Day
    reason: LongText


@router.post("/{claim_id}/reserve", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def set_reserve(
    request: Request, claim_id: UUID, body: ReserveCreate, ctx: ReserveCommand
) -> JSONResponse:
    """Set, adjust or (with "0.00") release the claim's reserve, within your authority
    (handlers on their claims, managers on any)."""
    limit = authority(request, ctx.principal)
    return ctx.run(
        body,
        ctx.app.set_reserve,
        claim_id,
        amount=body.amount,
        set_on=body.set_on,
        reason=body.reason,
        by=ctx.actor,
        authority=limit,
    )


@router.post("/{claim_id}/payments", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def request_payment(
    request: Request, claim_id: UUID, body: PaymentCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Request a payment: approved at once within your authority, else (and every
    supplement) pending a manager's approval. A transfer needs an IBAN unless the claim has
    bank details; the IBAN is stored encrypted and shown masked. The new payment is the last
    of `financials.payments`."""
    limit = authority(request, ctx.principal)
    return ctx.run(
        body,
        ctx.app.request_payment,
        claim_id,
        payee=body.payee,
        amount=body.amount,
        kind=body.kind.value,
        mode=body.mode.value,
        requested_on=body.requested_on,
        iban=body.iban,
        reason=body.reason,
        by=ctx.actor,
        authority=limit,
    )


@router.post(
    "/{claim_id}/payments/{payment_id}/approval",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def decide_payment(
    request: Request,
    claim_id: UUID,
    payment_id: str,
    body: ApprovalCreate,
    ctx: ManagerCommand,
) -> JSONResponse:
    """Approve or reject a payment pending approval (managers other than the requester,
    within their authority)."""
    limit = authority(request, ctx.principal)
    return ctx.run(
        body,
        ctx.app.decide_payment,
        claim_id,
        payment_id=payment_id,
        decision=body.decision.value,
        decided_on=body.decided_on,
        reason=body.reason,
        by=ctx.actor,
        authority=limit,
    )


@router.post(
    "/{claim_id}/payments/{payment_id}/issuance",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def issue_payment(
    claim_id: UUID, payment_id: str, body: IssuanceCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record that an approved payment was issued (or issued again after a failure)."""
    return ctx.run(
        body,
        ctx.app.issue_payment,
        claim_id,
        payment_id=payment_id,
        issued_on=body.issued_on,
        bank_reference=body.bank_reference,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/payments/{payment_id}/failure",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def fail_payment(
    claim_id: UUID, payment_id: str, body: FailureCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record that an issued payment failed (or, `returned`, came back)."""
    return ctx.run(
        body,
        ctx.app.fail_payment,
        claim_id,
        payment_id=payment_id,
        failed_on=body.failed_on,
        reason=body.reason,
        returned=body.returned,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/payments/{payment_id}/cancellation",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def cancel_payment(
    claim_id: UUID, payment_id: str, body: CancellationCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Cancel a payment not issued (pending, approved, failed or returned)."""
    return ctx.run(
        body,
        ctx.app.cancel_payment,
        claim_id,
        payment_id=payment_id,
        cancelled_on=body.cancelled_on,
        reason=body.reason,
        by=ctx.actor,
    )


@router.post("/{claim_id}/recoveries", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def expect_recovery(claim_id: UUID, body: RecoveryCreate, ctx: HandlerCommand) -> JSONResponse:
    """Record money expected back after a payment (closed claims too); the new recovery is
    the last of `financials.recoveries`."""
    return ctx.run(
        body,
        ctx.app.expect_recovery,
        claim_id,
        source=body.source.value,
        amount=body.amount,
        expected_on=body.expected_on,
        subrogation=body.subrogation,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/recoveries/{recovery_id}/receipt",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def receive_recovery(
    claim_id: UUID, recovery_id: str, body: RecoveryReceiptCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Record the money of an expected recovery received."""
    return ctx.run(
        body,
        ctx.app.receive_recovery,
        claim_id,
        recovery_id=recovery_id,
        received_on=body.received_on,
        amount=body.amount,
        by=ctx.actor,
    )


@router.post(
    "/{claim_id}/recoveries/{recovery_id}/write-off",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def write_off_recovery(
    claim_id: UUID, recovery_id: str, body: WriteOffCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Give up an expected recovery."""
    return ctx.run(
        body,
        ctx.app.write_off_recovery,
        claim_id,
        recovery_id=recovery_id,
        written_off_on=body.written_off_on,
        reason=body.reason,
        by=ctx.actor,
    )
