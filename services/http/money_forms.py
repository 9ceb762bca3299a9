"""The money commands as page forms (api.md v2 §1, docs/adr/0027-money-ledger.md): the
reserve, payments (request, approval, issuance, failure, cancellation) and recoveries
(expected, received, written off), on the claim page.

Same mechanism as the other command forms (services/http/forms.py, docs/adr/0026): each form
runs the API's own endpoint function (services/http/money.py) with the page session's
CommandContext, its hidden version as If-Match, and the access the API gives the role:
handlers on their claims; managers set reserves on any claim and decide payments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from domain.claim import Claim
from domain.ledger import PaymentDecision, PaymentKind, PaymentMode, RecoverySource
from services.http import money as api
from services.http.auth import Principal, Role
from services.http.deps import CommandContext
from services.http.forms import MANAGERS, N_, Action, Field
from services.ownership import ClaimAccess

RESERVERS = frozenset({Role.HANDLER, Role.MANAGER, Role.ADMIN})


def _codes(enum: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


MONEY_ACTIONS: dict[str, Action] = {
    action.slug: action
    for action in (
        Action(
            "reserve",
            N_("Set the reserve"),
            api.ReserveCreate,
            (
                Field("amount", N_("Reserve (0,00 releases it)"), "money"),
                Field("set_on", N_("On")),
                Field("reason", N_("Reason"), "textarea"),
            ),
            roles=RESERVERS,
        ),
        Action(
            "payment",
            N_("Request a payment"),
            api.PaymentCreate,
            (
                Field("payee", N_("Payee"), "text"),
                Field("amount", N_("Amount"), "money"),
                Field("kind", N_("Kind"), "select", _codes(PaymentKind), "payment_kind"),
                Field("mode", N_("Mode"), "select", _codes(PaymentMode), "mode"),
                Field("requested_on", N_("Requested on")),
                Field("iban", N_("IBAN (transfer)"), "text", required=False),
                Field("reason", N_("Reason"), "textarea", required=False),
            ),
        ),
        Action(
            "payment-approval",
            N_("Decide on a payment awaiting approval"),
            api.ApprovalCreate,
            (
                Field(
                    "decision",
                    N_("Decision"),
                    "select",
                    _codes(PaymentDecision),
                    "payment_decision",
                ),
                Field("decided_on", N_("Decided on")),
                Field("reason", N_("Reason"), "textarea"),
            ),
            roles=MANAGERS,
            item="payment",
        ),
        Action(
            "payment-issuance",
            N_("Record a payment issued"),
            api.IssuanceCreate,
            (
                Field("issued_on", N_("Issued on")),
                Field("bank_reference", N_("Bank reference"), "text"),
            ),
            item="payment",
        ),
        Action(
            "payment-failure",
            N_("Record a payment failed or returned"),
            api.FailureCreate,
            (
                Field("failed_on", N_("On")),
                Field("reason", N_("Reason"), "textarea"),
                Field("returned", N_("Returned after being paid"), "checkbox", required=False),
            ),
            item="payment",
        ),
        Action(
            "payment-cancellation",
            N_("Cancel a payment"),
            api.CancellationCreate,
            (Field("cancelled_on", N_("Cancelled on")), Field("reason", N_("Reason"), "textarea")),
            item="payment",
        ),
        Action(
            "recovery",
            N_("Record a recovery expected"),
            api.RecoveryCreate,
            (
                Field("source", N_("From"), "select", _codes(RecoverySource), "recovery_source"),
                Field("amount", N_("Amount"), "money"),
                Field("expected_on", N_("Expected on")),
                Field(
                    "subrogation",
                    N_("Subrogation (the insurer takes over the insured's rights)"),
                    "checkbox",
                    required=False,
                ),
            ),
        ),
        Action(
            "recovery-receipt",
            N_("Record a recovery received"),
            api.RecoveryReceiptCreate,
            (
                Field("received_on", N_("Received on")),
                Field("amount", N_("Amount received"), "money"),
            ),
            item="recovery",
        ),
        Action(
            "recovery-write-off",
            N_("Write off a recovery"),
            api.WriteOffCreate,
            (Field("written_off_on", N_("On")), Field("reason", N_("Reason"), "textarea")),
            item="recovery",
        ),
    )
}
# The payments or recoveries a form may name, by their state (the others would be refused).
ITEM_STATES = {
    "payment-approval": {"pending_approval"},
    "payment-issuance": {"approved", "failed", "returned"},
    "payment-failure": {"issued"},
    "payment-cancellation": {"pending_approval", "approved", "failed", "returned"},
    "recovery-receipt": {"expected"},
    "recovery-write-off": {"expected"},
}
DONE = {slug: action.title for slug, action in MONEY_ACTIONS.items()}


def choices(action: Action, claim: Claim) -> list[Any]:
    """The claim's payments or recoveries the form may name (none: the form is not shown)."""
    if action.item == "payment":
        items: list[Any] = list(claim.payments)
    elif action.item == "recovery":
        items = list(claim.recoveries)
    else:
        return []
    return [item for item in items if str(item.state) in ITEM_STATES[action.slug]]


def context(ctx: CommandContext, action: Action, principal: Principal) -> CommandContext:
    """The page's command context with the access the API gives this command: the reserve is
    a handler command that managers run on any claim; the approval is a manager's, on any
    claim; the others are handler commands on the handler's claims."""
    if action.slug == "reserve":
        return replace(
            ctx, access=ClaimAccess(principal.user_id, any_claim=principal.role != Role.HANDLER)
        )
    if action.slug == "payment-approval":
        return replace(ctx, access=None)
    return ctx


def run(
    request: Request,
    action: Action,
    claim: Claim,
    ctx: CommandContext,
    body: dict[str, Any],
    item_id: str,
) -> JSONResponse:
    """The API's money endpoint for the action (raises as the API does)."""
    model: Any = action.model.model_validate(body)
    endpoint: Callable[..., JSONResponse] = {
        "reserve": lambda: api.set_reserve(request, claim.id, model, ctx),
        "payment": lambda: api.request_payment(request, claim.id, model, ctx),
        "payment-approval": lambda: api.decide_payment(request, claim.id, item_id, model, ctx),
        "payment-issuance": lambda: api.issue_payment(claim.id, item_id, model, ctx),
        "payment-failure": lambda: api.fail_payment(claim.id, item_id, model, ctx),
        "payment-cancellation": lambda: api.cancel_payment(claim.id, item_id, model, ctx),
        "recovery": lambda: api.expect_recovery(claim.id, model, ctx),
        "recovery-receipt": lambda: api.receive_recovery(claim.id, item_id, model, ctx),
        "recovery-write-off": lambda: api.write_off_recovery(claim.id, item_id, model, ctx),
    }[action.slug]
    return endpoint()
