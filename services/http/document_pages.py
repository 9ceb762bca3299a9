"""The handler's screens for a claim's documents and access code (issue 19): the list of the
documents (a medical one's name and content only for the medical adviser and admins, each
read registered), a form to upload one, one to reject one, one to issue a new access code.

A page of its own, linked from the claim page; logged in with the staff pages' session
(services/http/sessions.py, docs/adr/0018), its forms same-origin and CSRF-checked, the
commands run through the application with the caller's claim ownership (docs/adr/0020).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from domain.claim import Claim
from domain.documents import DocumentTooLarge, UnsupportedDocumentType
from domain.errors import ClaimError
from domain.plausibility import ImplausibleInputError, parse_business_date
from domain.values import Document
from infra.access_register import AccessRegister
from services.application import ClaimsApplication
from services.http import i18n
from services.http.auth import STAFF_ROLES, Principal, Role, TokenRegistry
from services.http.deps import today_in_paris
from services.http.insured_sessions import InsuredSessions
from services.http.problems import HTTPProblem
from services.http.sessions import PageSessions, parse_form, same_origin
from services.http.uploads import read_upload
from services.http.views import document_body
from services.ownership import ClaimAccess

router = APIRouter(include_in_schema=False)
MEDICAL_READERS = frozenset({Role.MEDICAL_ADVISER, Role.ADMIN})
COMMANDERS = frozenset({Role.HANDLER, Role.ADMIN})
PURPOSE = "claim-documents"
FORM_SECONDS = 12 * 3600


def _context(request: Request) -> dict[str, Any]:
    return {
        "logout_csrf": getattr(request.state, "logout_csrf", None),
        "lang": "fr",
        "switch_url": "/language?lang=en&next=" + quote(str(request.url.path)),
    }


templates = Jinja2Templates(
    directory=str(Path(__file__).with_name("templates")), context_processors=[_context]
)
i18n.install(templates.env)

MESSAGES = {
    "duplicate-document": "This document was already received for this proof.",
    "document-already-rejected": "This document is already rejected.",
    "claim-already-assessed": "The claim is already assessed: reopen it first.",
    "not-your-claim": "This claim is assigned to another handler.",
}


def _who(request: Request) -> tuple[str, Principal] | None:
    sessions = cast("PageSessions", request.app.state.sessions)
    session_id = request.cookies.get(sessions.session_cookie, "")
    principal = sessions.find(session_id) if session_id else None
    registry = cast("TokenRegistry", request.app.state.tokens)
    if principal is None or not registry.knows(principal) or principal.role not in STAFF_ROLES:
        return None
    request.state.logout_csrf = sessions.csrf_token(session_id, "logout")
    request.state.actor = principal.user_id
    return session_id, principal


def _app(request: Request) -> ClaimsApplication:
    return cast("ClaimsApplication", request.app.state.claims)


def _page(
    request: Request,
    claim: Claim,
    session_id: str,
    who: Principal,
    *,
    message: str | None = None,
    status: int = 200,
) -> Response:
    app = _app(request)
    reader = who.role in MEDICAL_READERS
    documents = [document_body(d, app.reveal, medical_reader=reader) for d in claim.claim_documents]
    sessions = cast("PageSessions", request.app.state.sessions)
    return templates.TemplateResponse(
        request,
        "claim_documents.html",
        {
            "claim": claim,
            "documents": documents,
            "codes": [d.value for d in Document],
            "csrf": sessions.csrf_token(session_id, PURPOSE),
            "may_command": who.role in COMMANDERS,
            "medical_reader": reader,
            "message": message,
            "today": today_in_paris().isoformat(),
        },
        status_code=status,
    )


def _claim(request: Request, claim_number: str) -> Claim | None:
    try:
        return _app(request).find_by_number(claim_number)
    except ClaimError:
        return None


@router.get("/claims/{claim_number}/documents")
def documents_page(request: Request, claim_number: str) -> Response:
    """The claim's documents and the forms for them."""
    found = _who(request)
    if found is None:
        return RedirectResponse(f"/login?next=/claims/{quote(claim_number)}/documents", 303)
    claim = _claim(request, claim_number)
    if claim is None:
        return Response("not found", status_code=404, media_type="text/plain")
    done = {"1": "Recorded."}.get(request.query_params.get("done", ""))
    return _page(request, claim, *found, message=done)


@router.get("/claims/{claim_number}/documents/{document_id}/content")
def document_content(request: Request, claim_number: str, document_id: str) -> Response:
    """A document's content; a medical one for the medical adviser and admins only, each
    read written in the access register first."""
    found = _who(request)
    claim = _claim(request, claim_number) if found is not None else None
    if found is None or claim is None:
        return Response("not found", status_code=404, media_type="text/plain")
    who = found[1]
    try:
        document = claim.document(document_id)
    except ClaimError:
        return Response("not found", status_code=404, media_type="text/plain")
    if document.medical:
        if who.role not in MEDICAL_READERS:
            return Response("medical document", status_code=403, media_type="text/plain")
        cast("AccessRegister", request.app.state.access_register).record(
            claim.id, document_id, actor=who.user_id, role=who.role.value, at=datetime.now(UTC)
        )
    _, content = _app(request).document_content(claim.id, document_id)
    return Response(
        content,
        media_type=document.mime,
        headers={"Content-Disposition": f'attachment; filename="{document_id}"'},
    )


def _command_guard(
    request: Request, claim_number: str, csrf: str
) -> tuple[Claim, str, Principal] | Response:
    found = _who(request)
    if found is None:
        return RedirectResponse("/login", 303)
    claim = _claim(request, claim_number)
    if claim is None:
        return Response("not found", status_code=404, media_type="text/plain")
    session_id, who = found
    sessions = cast("PageSessions", request.app.state.sessions)
    if not (same_origin(request) and sessions.csrf_valid(csrf, session_id, PURPOSE, FORM_SECONDS)):
        return _page(request, claim, session_id, who, message="Form refused.", status=403)
    if who.role not in COMMANDERS:
        return _page(request, claim, session_id, who, message="Form refused.", status=403)
    return claim, session_id, who


def _refused(
    request: Request, claim: Claim, session_id: str, who: Principal, exc: Exception
) -> Response:
    if isinstance(exc, DocumentTooLarge) or (isinstance(exc, HTTPProblem) and exc.status == 413):
        message, status = "The file is over 10 MiB.", 413
    elif isinstance(exc, UnsupportedDocumentType) or (
        isinstance(exc, HTTPProblem) and exc.status == 415
    ):
        message, status = "Send a PDF, a JPEG or a PNG.", 415
    elif isinstance(exc, ClaimError):
        message = MESSAGES.get(exc.rule, "The form was refused: check its fields.")
        status = 403 if exc.rule == "not-your-claim" else 409
        status = 422 if hasattr(exc, "field") else status
    else:
        message, status = "The form was refused: check its fields.", 422
    fresh = _claim(request, claim.claim_number) or claim
    return _page(request, fresh, session_id, who, message=message, status=status)


def _access(who: Principal) -> ClaimAccess:
    return ClaimAccess(who.user_id, any_claim=who.role == Role.ADMIN)


@router.post("/claims/{claim_number}/documents")
async def upload_document(request: Request, claim_number: str) -> Response:
    """Upload a document (multipart: file, proof_code, received_on, medical)."""
    try:
        upload = await read_upload(request, ("proof_code", "received_on", "medical", "csrf"))
    except Exception as exc:  # refused before the guard: answered on the page below
        found = _who(request)
        claim = _claim(request, claim_number)
        if found is None or claim is None:
            return RedirectResponse("/login", 303)
        return _refused(request, claim, *found, exc)
    guarded = _command_guard(request, claim_number, upload.fields.get("csrf", ""))
    if isinstance(guarded, Response):
        return guarded
    claim, session_id, who = guarded
    try:
        received_on = parse_business_date(upload.fields.get("received_on", ""))
        await run_in_threadpool(
            _app(request).receive_document,
            claim.id,
            content=upload.content,
            filename=upload.filename,
            proof_code=upload.fields.get("proof_code", ""),
            received_on=received_on,
            medical=True if upload.fields.get("medical") == "on" else None,
            by=who.user_id,
            access=_access(who),
        )
    except (ClaimError, DocumentTooLarge, UnsupportedDocumentType, ImplausibleInputError) as exc:
        return _refused(request, claim, session_id, who, exc)
    return RedirectResponse(f"/claims/{claim.claim_number}/documents?done=1", 303)


@router.post("/claims/{claim_number}/documents/{document_id}/rejection")
async def reject_document(request: Request, claim_number: str, document_id: str) -> Response:
    form = parse_form(await request.body())
    guarded = _command_guard(request, claim_number, form.get("csrf", ""))
    if isinstance(guarded, Response):
        return guarded
    claim, session_id, who = guarded
    try:
        await run_in_threadpool(
            _app(request).reject_document,
            claim.id,
            document_id=document_id,
            rejected_on=parse_business_date(form.get("rejected_on", "")),
            reason=form.get("reason", ""),
            by=who.user_id,
            access=_access(who),
        )
    except (ClaimError, ImplausibleInputError) as exc:
        return _refused(request, claim, session_id, who, exc)
    return RedirectResponse(f"/claims/{claim.claim_number}/documents?done=1", 303)


@router.post("/claims/{claim_number}/access-code")
async def issue_access_code(request: Request, claim_number: str) -> Response:
    form = parse_form(await request.body())
    guarded = _command_guard(request, claim_number, form.get("csrf", ""))
    if isinstance(guarded, Response):
        return guarded
    claim, session_id, who = guarded
    try:
        await run_in_threadpool(
            _app(request).issue_access_code,
            claim.id,
            issued_on=parse_business_date(form.get("issued_on", "")),
            by=who.user_id,
            access=_access(who),
        )
    except (ClaimError, ImplausibleInputError) as exc:
        return _refused(request, claim, session_id, who, exc)
    cast("InsuredSessions", request.app.state.insured_sessions).end_all(claim.id)
    return RedirectResponse(f"/claims/{claim.claim_number}/documents?done=1", 303)
