"""The insured's page (issue 19; docs/adr/0033-insured-access.md): mobile-first, in French,
its assets served from this site, under the staff pages' security headers.

Log in with the claim number, the trip's start and the access code (the API's throttle and
sessions: services/http/insured_sessions.py); then the status, the promise date, the timeline
and the proofs, a form to send each requested proof, one for the IBAN. The session token is in
an HttpOnly, SameSite=Strict cookie (Secure and `__Host-` unless CLAIMS_ENV=dev) that opens
only these pages; every POST is same-origin and carries a CSRF token bound to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from domain.claim import Claim
from domain.documents import DocumentTooLarge, UnsupportedDocumentType
from domain.errors import ClaimError
from domain.plausibility import ImplausibleInputError, parse_business_date
from services.application import ClaimsApplication
from services.http import i18n
from services.http.deps import today_in_paris
from services.http.insured import INSURED, live_session, log_in
from services.http.insured_sessions import SESSION_MINUTES, InsuredSessions, TooManyAttempts
from services.http.insured_view import insured_view
from services.http.problems import HTTPProblem
from services.http.sessions import (
    LOGIN_FORM_SECONDS,
    PageSessions,
    form_media_type,
    new_random_id,
    parse_form,
    same_origin,
    well_formed,
)
from services.http.uploads import read_upload

router = APIRouter(prefix="/insured", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.filters["day"] = lambda value: i18n.day("fr", value) if value else "—"
templates.env.filters["money"] = lambda value: i18n.money("fr", value)
NO_STORE = {"Cache-Control": "no-store"}
PURPOSE = "insured-page"

# What the insured reads when a command is refused (a rule of api.md, in their words).
REFUSALS = {
    "proof-not-requested": "Ce justificatif ne vous a pas été demandé.",
    "duplicate-document": "Vous avez déjà envoyé ce document pour ce justificatif.",
    "claim-already-assessed": "Votre dossier est déjà instruit : contactez votre gestionnaire.",
    "claim-closed": "Votre dossier est clos : contactez votre gestionnaire.",
    "claim-withdrawn": "Votre dossier a été retiré : contactez votre gestionnaire.",
    "payment-in-progress": (
        "Un virement est en cours : vos coordonnées bancaires ne peuvent pas changer pour "
        "l'instant."
    ),
    "iban": "Cet IBAN n'est pas valide : vérifiez-le (27 caractères pour un IBAN français).",
}
DEFAULT_REFUSAL = "Votre demande n'a pas pu être enregistrée : vérifiez les champs."
DONE = {
    "document": "Merci, votre document a bien été reçu.",
    "bank": "Merci, vos coordonnées bancaires sont enregistrées.",
}


def _app(request: Request) -> ClaimsApplication:
    return cast("ClaimsApplication", request.app.state.claims)


def _pages(request: Request) -> PageSessions:
    return cast("PageSessions", request.app.state.sessions)


def _sessions(request: Request) -> InsuredSessions:
    return cast("InsuredSessions", request.app.state.insured_sessions)


def _cookie(request: Request, name: str) -> str:
    prefix = "__Host-" if _pages(request).policy.secure else ""
    return f"{prefix}claims_insured_{name}"


def _set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        _cookie(request, name),
        value,
        max_age=age,
        path="/",
        secure=_pages(request).policy.secure,
        httponly=True,
        samesite="strict",
    )


# ---------------------------------------------------------------------- log-in


def _login_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    pre_session = request.cookies.get(_cookie(request, "login"), "")
    if not well_formed(pre_session):
        pre_session = new_random_id()
    response = templates.TemplateResponse(
        request,
        "insured_login.html",
        {"csrf": _pages(request).csrf_token(pre_session, PURPOSE), "error": error},
        status_code=status,
        headers=NO_STORE,
    )
    _set_cookie(request, response, "login", pre_session, LOGIN_FORM_SECONDS)
    return response


@router.get("")
def login_form(request: Request) -> Response:
    """The log-in form: claim number, trip start, access code."""
    return _login_page(request)


@router.post("")
async def login(request: Request) -> Response:
    if not form_media_type(request) or not same_origin(request):
        return _login_page(request, error="Formulaire refusé : rechargez la page.", status=403)
    form = parse_form(await request.body())
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: dict[str, str]) -> Response:
    pre_session = request.cookies.get(_cookie(request, "login"), "")
    if not (
        well_formed(pre_session)
        and _pages(request).csrf_valid(
            form.get("csrf", ""), pre_session, PURPOSE, LOGIN_FORM_SECONDS
        )
    ):
        return _login_page(request, error="Ce formulaire a expiré : recommencez.", status=403)
    try:
        trip_start = parse_business_date(form.get("trip_start", "").strip())
    except ImplausibleInputError:
        return _login_page(request, error="Indiquez la date de début du voyage.", status=422)
    outcome = log_in(
        request,
        _app(request),
        form.get("claim_number", "").strip().upper(),
        trip_start,
        form.get("access_code", ""),
    )
    if isinstance(outcome, TooManyAttempts):
        minutes = -(-outcome.retry_after // 60)
        response = _login_page(
            request,
            error=f"Trop de tentatives : réessayez dans {minutes} min.",
            status=429,
        )
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if outcome is None:
        return _login_page(
            request,
            error="Numéro de dossier, date de début du voyage ou code d'accès incorrect.",
            status=401,
        )
    response = RedirectResponse("/insured/claim", status_code=303)
    _set_cookie(request, response, "session", outcome.token, SESSION_MINUTES * 60)
    response.delete_cookie(_cookie(request, "login"), path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    token = request.cookies.get(_cookie(request, "session"), "")
    form = parse_form(await request.body())
    if same_origin(request) and _pages(request).csrf_valid(
        form.get("csrf", ""), token, PURPOSE, SESSION_MINUTES * 60
    ):
        _sessions(request).end(token)
    response = RedirectResponse("/insured", status_code=303)
    response.delete_cookie(_cookie(request, "session"), path="/")
    return response


# ---------------------------------------------------------------------- the claim


def _claim_of(request: Request) -> tuple[Claim, str] | None:
    token = request.cookies.get(_cookie(request, "session"), "")
    claim = live_session(request, _app(request), token) if token else None
    return None if claim is None else (claim, token)


def _claim_page(
    request: Request,
    claim: Claim,
    token: str,
    *,
    error: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    view = insured_view(_app(request), claim)
    return templates.TemplateResponse(
        request,
        "insured_claim.html",
        {
            "view": view,
            "csrf": _pages(request).csrf_token(token, PURPOSE),
            "error": error,
            "done": done,
            "outstanding": [p for p in view.proofs if p.state == "outstanding"],
        },
        status_code=status,
        headers=NO_STORE,
    )


@router.get("/claim")
def claim_page(request: Request) -> Response:
    """The insured's claim: status, promise date, timeline, proofs, payments, forms."""
    found = _claim_of(request)
    if found is None:
        return RedirectResponse("/insured", status_code=303)
    done = DONE.get(request.query_params.get("done", ""))
    return _claim_page(request, *found, done=done)


def _refusal(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, DocumentTooLarge):
        return "Ce fichier dépasse 10 Mo : envoyez un fichier plus léger.", 413
    if isinstance(exc, UnsupportedDocumentType):
        return "Envoyez un PDF, une photo JPEG ou une image PNG.", 415
    if isinstance(exc, HTTPProblem):
        messages = {413: "Ce fichier dépasse 10 Mo.", 415: "Envoyez un PDF, un JPEG ou un PNG."}
        return messages.get(exc.status, DEFAULT_REFUSAL), exc.status
    if isinstance(exc, ClaimError):
        field = getattr(exc, "field", None)
        return REFUSALS.get(field or exc.rule, REFUSALS.get(exc.rule, DEFAULT_REFUSAL)), (
            422 if field else 409
        )
    return DEFAULT_REFUSAL, 422


@router.post("/claim/document")
async def send_document(request: Request) -> Response:
    """A requested proof sent from the page (multipart: file, proof_code, csrf)."""
    found = _claim_of(request)
    if found is None:
        return RedirectResponse("/insured", status_code=303)
    claim, token = found
    try:
        if not same_origin(request):
            raise HTTPProblem(403, "cross-site-request", "Refused", "not from this site")
        upload = await read_upload(request, ("proof_code", "csrf"))
        if not _pages(request).csrf_valid(
            upload.fields.get("csrf", ""), token, PURPOSE, SESSION_MINUTES * 60
        ):
            raise HTTPProblem(403, "csrf", "Refused", "the form expired")
        await run_in_threadpool(
            _app(request).receive_document,
            claim.id,
            content=upload.content,
            filename=upload.filename,
            proof_code=upload.fields.get("proof_code", ""),
            received_on=today_in_paris(),
            by=INSURED,
            requested_only=True,
        )
    except (HTTPProblem, ClaimError, DocumentTooLarge, UnsupportedDocumentType) as exc:
        message, status = _refusal(exc)
        return _claim_page(request, claim, token, error=message, status=status)
    except RequestValidationError:
        return _claim_page(request, claim, token, error=DEFAULT_REFUSAL, status=422)
    return RedirectResponse("/insured/claim?done=document", status_code=303)


@router.post("/claim/bank-details")
async def send_bank_details(request: Request) -> Response:
    """The insured's IBAN from the page (urlencoded: holder, iban, csrf)."""
    found = _claim_of(request)
    if found is None:
        return RedirectResponse("/insured", status_code=303)
    claim, token = found
    form = parse_form(await request.body())
    if not (
        form_media_type(request)
        and same_origin(request)
        and _pages(request).csrf_valid(form.get("csrf", ""), token, PURPOSE, SESSION_MINUTES * 60)
    ):
        return _claim_page(request, claim, token, error=DEFAULT_REFUSAL, status=403)
    try:
        await run_in_threadpool(
            _app(request).give_bank_details,
            claim.id,
            holder=form.get("holder", ""),
            iban=form.get("iban", ""),
            given_on=today_in_paris(),
            by=INSURED,
        )
    except ClaimError as exc:
        message, status = _refusal(exc)
        return _claim_page(request, claim, token, error=message, status=status)
    return RedirectResponse("/insured/claim?done=bank", status_code=303)
