"""Running a page form: the API's own endpoint function (services/http/claims.py) with a
CommandContext built from the page session (docs/adr/0026-command-forms.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from domain.claim import Claim
from domain.indemnity import compute_indemnity
from services.http import claims as api
from services.http.auth import Principal, Role
from services.http.deps import CommandContext, horizon_days, today_in_paris
from services.http.forms import Action, assessment_fields, body_of, declaration_fields
from services.http.schemas import (
    AssessmentCreate,
    ClaimCreate,
    implausible_dates,
)
from services.ownership import ClaimAccess


def context(request: Request, principal: Principal, version: int | None) -> CommandContext:
    """The API's command context for the page's user: their identity, the claim ownership
    the API builds for them, the page's version as If-Match, no Idempotency-Key (the
    version guards a form sent twice: the second is stale)."""
    return CommandContext(
        request.app.state.claims,
        principal,
        version,
        None,
        "",
        (),
        today=today_in_paris(),
        horizon_days=horizon_days(request),
        access=ClaimAccess(principal.user_id, any_claim=principal.role == Role.ADMIN),
    )


def run(
    request: Request,
    action: Action,
    claim: Claim,
    ctx: CommandContext,
    body: dict[str, Any],
    complaint_id: str,
) -> JSONResponse:
    """The API's endpoint for the action, with the page's context (raises as the API does)."""
    model: Any = action.model.model_validate(body)  # the action's own body model
    endpoint: Callable[..., JSONResponse] = {
        "assign": lambda: api.assign(request, claim.id, model, ctx),
        "request-proofs": lambda: api.request_proofs(claim.id, model, ctx),
        "record-proof": lambda: api.receive_proof(claim.id, model, ctx),
        "card-insurer": lambda: api.card_insurer_position(claim.id, model, ctx),
        "accept": lambda: api.assess(claim.id, model, ctx),
        "refuse": lambda: api.assess(claim.id, model, ctx),
        "settle": lambda: api.settle(request, claim.id, model, ctx),
        "close": lambda: api.close(claim.id, model, ctx),
        "withdraw": lambda: api.withdraw(claim.id, model, ctx),
        "reopen": lambda: api.reopen(claim.id, model, ctx),
        "complaint": lambda: api.open_complaint(claim.id, model, ctx),
        "acknowledge": lambda: api.acknowledge_complaint(claim.id, complaint_id, model, ctx),
        "answer": lambda: api.answer_complaint(claim.id, complaint_id, model, ctx),
        "escalate": lambda: api.escalate_complaint(claim.id, complaint_id, model, ctx),
        "mediation": lambda: api.refer_to_mediation(claim.id, model, ctx),
        "mediation-outcome": lambda: api.conclude_mediation(claim.id, model, ctx),
        "note": lambda: api.add_note(claim.id, model, ctx),
        "prescription": lambda: api.interrupt_prescription(claim.id, model, ctx),
    }[action.slug]
    return endpoint()


def command_body(action: Action, claim: Claim, form: dict[str, list[str]]) -> dict[str, Any]:
    body = body_of(action.fields, form)
    if action.slug in ("accept", "refuse"):
        body["decision"] = action.slug
        if action.slug == "accept":
            inputs = body_of(assessment_fields(claim), form)
            for group, rows in inputs.items():
                kept = []
                for index, row in enumerate(rows):
                    if row:
                        kept.append({"insured": claim.insured[index].name, **row})
                if kept:
                    body[group] = kept
    return body


def preview(claim: Claim, request: Request, body: dict[str, Any]) -> Any:
    """The indemnity the acceptance would record, computed by the domain's engine on the
    claim as shown, nothing saved (raises as the acceptance would)."""
    model = AssessmentCreate.model_validate(body)
    ctx_today = today_in_paris()
    errors = implausible_dates(model, today=ctx_today, horizon_days=horizon_days(request))
    if errors:
        raise RequestValidationError(errors)
    terms = request.app.state.claims.catalogue.get(claim.contract)
    return compute_indemnity(terms, claim.facts(), api.assessment_inputs(model))


def declare(request: Request, principal: Principal, form: dict[str, list[str]]) -> str:
    """Declare through the API's endpoint; the new claim's number."""
    contracts = sorted(request.app.state.claims.catalogue.contracts)
    model = ClaimCreate.model_validate(body_of(declaration_fields(contracts), form))
    response = api.declare_claim(model, context(request, principal, None))
    return str(json.loads(bytes(response.body))["claim_number"])
