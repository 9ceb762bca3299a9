"""A claim's page, the declaration form and the command forms on the claim page
(services/http/forms.py, docs/adr/0026-command-forms.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from domain.errors import ClaimError, VersionMismatch
from services.audit import HistoryEntry
from services.http import form_commands, form_errors, forms, money_forms
from services.http.auth import Principal
from services.http.deps import today_in_paris
from services.http.pages import (
    PAGE_ROLES,
    _as_of,
    _bad_as_of_page,
    _BadAsOfError,
    _command_csrf,
    _forbidden_page,
    _guard,
    _refused_form,
    templates,
)
from services.http.problems import HTTPProblem

router = APIRouter(include_in_schema=False)

ZERO = Decimal("0.00")


@router.get("/claims/new", response_class=HTMLResponse)
def declaration_page(request: Request) -> Response:
    """The declaration form (handlers, admins): the API's declaration body as a form."""
    who = _guard(request, "declare")
    if isinstance(who, Response):
        return who
    return _declaration_page(request, {}, form_errors.FormOutcome(200))


def _declaration_page(
    request: Request, values: dict[str, list[str]], outcome: form_errors.FormOutcome
) -> Response:
    contracts = sorted(request.app.state.claims.catalogue.contracts)
    return templates.TemplateResponse(
        request,
        "declare.html",
        {
            "fields": forms.declaration_fields(contracts),
            "values": values,
            "errors": outcome.errors,
            "csrf": _command_csrf(request),
        },
        status_code=outcome.status,
    )


@router.post("/claims/new")
async def declare(request: Request) -> Response:
    body = await request.body()
    return await run_in_threadpool(_declare, request, body)


def _declare(request: Request, body: bytes) -> Response:
    who = _guard(request, "declare")
    if isinstance(who, Response):
        return who
    form = forms.parse_fields(body)
    refused = _refused_form(request, form)
    if refused is not None:
        return refused
    try:
        number = form_commands.declare(request, who, form)
    except (ValidationError, RequestValidationError, ClaimError, HTTPProblem) as exc:
        return _declaration_page(request, forms.form_values(form), form_errors.error_outcome(exc))
    return RedirectResponse(f"/claims/{quote(number)}?done=declare", status_code=303)


@router.get("/claims/{claim_number}", response_class=HTMLResponse)
def claim_page(request: Request, claim_number: str) -> Response:
    who = _guard(request, "claim")
    if isinstance(who, Response):
        return who
    app = request.app.state.claims
    try:
        as_of = _as_of(request)
    except _BadAsOfError as bad:
        return _bad_as_of_page(request, bad)
    try:
        claim = app.find_by_number(claim_number)
    except ClaimError:
        return templates.TemplateResponse(
            request, "not_found.html", {"claim_number": claim_number}, status_code=404
        )
    done = request.query_params.get("done", "")
    return _claim_page(request, who, claim, as_of, done=done)


@dataclass
class ActiveForm:
    """The form being answered on a claim page: its values, messages, and a preview."""

    slug: str
    values: dict[str, list[str]]
    outcome: form_errors.FormOutcome
    preview: Any = None


def _claim_page(
    request: Request,
    who: Principal,
    claim: Any,
    as_of: date,
    *,
    active: ActiveForm | None = None,
    done: str = "",
) -> Response:
    app = request.app.state.claims
    clocks = sorted(app.sla_clocks(claim.id, as_of=as_of), key=lambda s: s.clock.due_on)
    history = app.history(claim.id)
    steps = indemnity_history(history)
    actions = [a for a in forms.ACTIONS.values() if who.role in a.roles]
    # The money forms the role may send; one naming a payment or recovery only if the claim
    # has one in a state the command accepts.
    items = {a.slug: money_forms.choices(a, claim) for a in money_forms.MONEY_ACTIONS.values()}
    money_actions = [
        a
        for a in money_forms.MONEY_ACTIONS.values()
        if who.role in a.roles and (not a.item or items[a.slug])
    ]
    return templates.TemplateResponse(
        request,
        "claim.html",
        {
            "claim": claim,
            "clocks": clocks,
            "history": history,
            "as_of": as_of,
            "indemnity_history": steps,
            "paid_before_reopening": sum(
                (
                    step.amount if step.what == "paid" else -step.amount
                    for step in steps
                    if step.what in ("paid", "failed", "returned") and step.set_aside
                ),
                ZERO,
            ),
            "actions": actions,
            "money_actions": money_actions,
            "item_choices": items,
            "can_audit": who.role in PAGE_ROLES["audit"],
            "csrf": _command_csrf(request) if actions or money_actions else "",
            "assessment_fields": forms.assessment_fields(claim),
            "active": active,
            "done": forms.DONE.get(done) or money_forms.DONE.get(done, ""),
            "done_panel": "money-actions" if done in money_forms.MONEY_ACTIONS else "actions",
        },
        status_code=active.outcome.status if active else 200,
    )


@router.post("/claims/{claim_number}/actions/{slug}")
async def claim_command(request: Request, claim_number: str, slug: str) -> Response:
    body = await request.body()
    return await run_in_threadpool(_claim_command, request, claim_number, slug, body)


def _claim_command(request: Request, claim_number: str, slug: str, body: bytes) -> Response:
    """Runs one command form (post-redirect-get on success); a refusal shows the claim page
    again with the form's values and the French messages next to their fields."""
    who = _guard(request, "claim")
    if isinstance(who, Response):
        return who
    action = forms.ACTIONS.get(slug) or money_forms.MONEY_ACTIONS.get(slug)
    if action is None:
        return templates.TemplateResponse(
            request, "not_found.html", {"claim_number": claim_number}, status_code=404
        )
    if who.role not in action.roles:
        return _forbidden_page(request)
    form = forms.parse_fields(body)
    refused = _refused_form(request, form)
    if refused is not None:
        return refused
    app = request.app.state.claims
    try:
        claim = app.find_by_number(claim_number)
    except ClaimError:
        return templates.TemplateResponse(
            request, "not_found.html", {"claim_number": claim_number}, status_code=404
        )
    values = forms.form_values(form)
    version_text = (form.get("version") or [""])[0]
    version = int(version_text) if version_text.isdigit() and len(version_text) < 10 else None
    today = today_in_paris()

    def again(outcome: form_errors.FormOutcome, preview: Any = None) -> Response:
        # The form shown again carries the claim's current version.
        return _claim_page(
            request, who, claim, today, active=ActiveForm(slug, values, outcome, preview)
        )

    if version is None:
        return again(form_errors.FormOutcome(412, {"": form_errors.STALE}))
    step = (form.get("step") or [""])[0]
    command = form_commands.command_body(action, claim, form)
    complaint_id = (form.get("complaint_id") or [""])[0]
    try:
        if version != claim.version:
            raise VersionMismatch(claim_id=claim.id, expected=version, actual=claim.version)
        if slug == "accept" and step != "confirm":
            indemnity = form_commands.preview(claim, request, command)
            return again(form_errors.FormOutcome(200), indemnity)
        ctx = form_commands.context(request, who, version)
        if slug in money_forms.MONEY_ACTIONS:
            item_id = (form.get(f"{action.item}_id") or [""])[0]
            ctx = money_forms.context(ctx, action, who)
            money_forms.run(request, action, claim, ctx, command, item_id)
        else:
            form_commands.run(request, action, claim, ctx, command, complaint_id)
    except (ValidationError, RequestValidationError, ClaimError, HTTPProblem) as exc:
        outcome = form_errors.error_outcome(exc)
        return again(outcome)
    return RedirectResponse(
        f"/claims/{quote(claim.claim_number)}?done={quote(slug)}#actions", status_code=303
    )


@dataclass(frozen=True)
class IndemnityStep:
    """One decision or payment on the claim's indemnity, as its events tell it."""

    version: int
    on: date
    what: str  # accepted, refused, reopened, paid, failed, returned
    amount: Decimal  # the indemnity accepted, the money paid or taken back (0 for the others)
    actor: str
    reference: str | None = None  # a payment's
    set_aside: bool = False  # an acceptance or payment before a later reopening


def indemnity_history(history: list[HistoryEntry]) -> list[IndemnityStep]:
    """Every acceptance (date, amount), refusal, reopening and payment, in order. Reasons are
    free text and stay in the event store (no health data on the pages)."""
    steps: list[IndemnityStep] = []
    for entry in history:
        data = entry.data
        if entry.type == "Accepted":
            amount = data["indemnity"].total
            steps.append(
                IndemnityStep(entry.version, data["decided_on"], "accepted", amount, entry.actor)
            )
        elif entry.type == "Refused":
            steps.append(
                IndemnityStep(entry.version, data["decided_on"], "refused", ZERO, entry.actor)
            )
        elif entry.type in ("Settled", "PaymentIssued"):
            # A round-1 settlement is an issued final payment (docs/adr/0027-money-ledger.md).
            settled = entry.type == "Settled"
            steps.append(
                IndemnityStep(
                    entry.version,
                    data["paid_on"] if settled else data["issued_on"],
                    "paid",
                    data["amount"],
                    entry.actor,
                    data["reference"] if settled else data["bank_reference"],
                )
            )
        elif entry.type in ("PaymentFailed", "PaymentReturned"):
            what = "failed" if entry.type == "PaymentFailed" else "returned"
            steps.append(
                IndemnityStep(entry.version, data["failed_on"], what, data["amount"], entry.actor)
            )
        elif entry.type == "Reopened":
            steps = [replace(step, set_aside=True) for step in steps]
            steps.append(
                IndemnityStep(entry.version, data["reopened_on"], "reopened", ZERO, entry.actor)
            )
    return steps
