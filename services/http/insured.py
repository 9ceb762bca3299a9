"""The insured's side of the API (api.md v2 §3; docs/adr/0033-insured-access.md).

`POST /insured/sessions` logs in with the claim number, the trip's start and the access code
(401 insured-credentials-invalid; 429 too-many-attempts); the token it gives opens only
`/insured/claim*` of that claim, for 30 minutes, and dies with a new access code. The portal
(role `portal`) declares claims online: the 201 shows the access code once.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from domain.access_code import access_code_matches
from domain.claim import Claim
from domain.documents import DocumentTooLarge, UnsupportedDocumentType
from domain.errors import ClaimError
from domain.values import Document
from services.application import ClaimsApplication
from services.http.auth import Role, TokenRegistry
from services.http.deps import (
    Claims,
    bearer,
    horizon_days,
    require,
    today_in_paris,
)
from services.http.insured_schemas import (
    BankDetailsIn,
    InsuredDeclarationCreate,
    SessionCreate,
    SessionPublic,
    portal_declaration,
)
from services.http.insured_sessions import InsuredSessions, OpenedSession, TooManyAttempts
from services.http.insured_view import InsuredView, PortalDeclarationPublic, insured_view
from services.http.problems import COMMAND_RESPONSES, PROBLEM_RESPONSES, HTTPProblem
from services.http.schemas import implausible_dates
from services.http.sessions import client_address
from services.http.uploads import read_upload, sniff_errors, upload_body_schema
from services.idempotency import MAX_KEY_LENGTH, DuplicateRequest, IdempotencyKey
from services.insured import DeclarantContact

router = APIRouter(prefix="/api/v1/insured", tags=["insured"])
INSURED = "insured"  # the actor of what the insured does themselves
_DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)
INVALID = (
    401,
    "insured-credentials-invalid",
    "Invalid credentials",
    "the claim number, the trip's start date or the access code is wrong",
)


def _sessions(request: Request) -> InsuredSessions:
    return cast("InsuredSessions", request.app.state.insured_sessions)


def log_in(
    request: Request, app: ClaimsApplication, claim_number: str, trip_start: date, code: str
) -> OpenedSession | TooManyAttempts | None:
    """A throttled log-in (the API's and the page's): a session for the claim whose number,
    trip start and current access code these are; None for wrong credentials."""

    def authenticate() -> tuple[UUID, str] | None:
        try:
            claim = app.find_by_number(claim_number, trip_start=trip_start)
        except ClaimError:
            access_code_matches(code, _DUMMY_HASH)  # the same work either way
            return None
        code_hash = claim.current_code_hash
        if code_hash is None or not access_code_matches(code, code_hash):
            return None
        return claim.id, code_hash

    return _sessions(request).log_in(
        claim_number=claim_number, address=client_address(request), authenticate=authenticate
    )


def live_session(request: Request, app: ClaimsApplication, token: str) -> Claim | None:
    """The claim of a live session token (None: expired, ended, or its code replaced)."""
    session = _sessions(request).find(token)
    if session is None:
        return None
    claim = app.get_claim(session.claim_id)
    if claim.current_code_hash != session.code_hash:  # a new code ended the session
        _sessions(request).end_all(claim.id)
        return None
    return claim


SESSION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    429: {**PROBLEM_RESPONSES[401], "description": "Too many failed log-ins (Retry-After)"},
}


@router.post(
    "/sessions", status_code=201, response_model=SessionPublic, responses=SESSION_RESPONSES
)
def open_session(request: Request, body: SessionCreate, app: Claims) -> JSONResponse:
    """Log in as the insured of a claim: its number, the trip's start date and the access
    code. 5 failures in 15 minutes for a claim number, or from a client, block it (429)."""
    errors = implausible_dates(body, today=today_in_paris(), horizon_days=horizon_days(request))
    if errors:
        raise RequestValidationError(errors)

    outcome = log_in(request, app, body.claim_number, body.trip_start, body.access_code)
    if isinstance(outcome, TooManyAttempts):
        raise HTTPProblem(
            429,
            "too-many-attempts",
            "Too many attempts",
            "too many failed log-ins: try again later",
            headers={"Retry-After": str(outcome.retry_after)},
        )
    if outcome is None:
        raise HTTPProblem(*INVALID)
    session = SessionPublic(token=outcome.token, expires_at=outcome.expires_at)
    return JSONResponse(
        session.model_dump(mode="json"), status_code=201, headers={"Cache-Control": "no-store"}
    )


def insured_claim(
    request: Request,
    app: Claims,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Claim:
    """The claim of the caller's live insured session: 401 without one (expired, ended by a
    new access code); a staff or portal token is a role that may not (403)."""
    registry = cast("TokenRegistry", request.app.state.tokens)
    token = credentials.credentials.strip() if credentials else ""
    if token and registry.authenticate(token) is not None:
        raise HTTPProblem(403, "forbidden", "Forbidden", "only the insured's session opens this")
    claim = live_session(request, app, token) if token else None
    if claim is None:
        raise HTTPProblem(
            401,
            "unauthenticated",
            "Unauthenticated",
            "log in again with the current access code (POST /api/v1/insured/sessions)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.actor = INSURED
    return claim


InsuredClaim = Annotated[Claim, Depends(insured_claim)]
INSURED_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMAND_RESPONSES,
    415: {**COMMAND_RESPONSES[409], "description": "Not a PDF, JPEG or PNG"},
}


def _view(app: Any, claim: Claim) -> JSONResponse:
    view = insured_view(app, claim)
    return JSONResponse(view.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@router.get("/claim", response_model=InsuredView, responses=INSURED_RESPONSES)
def get_insured_claim(app: Claims, found: InsuredClaim) -> JSONResponse:
    """The insured's view of their claim: status, timeline, proofs, promise date, payments."""
    return _view(app, found)


@router.put("/claim/bank-details", response_model=InsuredView, responses=INSURED_RESPONSES)
def give_bank_details(
    request: Request, body: BankDetailsIn, app: Claims, found: InsuredClaim
) -> JSONResponse:
    """The insured's bank details (IBAN checked, mod-97): the `bank_details` proof when it was
    requested; refused while a transfer is in flight (409 payment-in-progress)."""
    claim = app.give_bank_details(
        found.id, holder=body.holder, iban=body.iban, given_on=today_in_paris(), by=INSURED
    )
    return _view(app, claim)


@router.post(
    "/claim/documents",
    response_model=InsuredView,
    responses=INSURED_RESPONSES,
    openapi_extra=upload_body_schema(
        {"proof_code": {"type": "string", "enum": [d.value for d in Document]}}, ["proof_code"]
    ),
)
async def upload_document(request: Request, app: Claims, found: InsuredClaim) -> JSONResponse:
    """Send a requested proof (PDF, JPEG or PNG up to 10 MiB): it is received at once."""
    upload = await read_upload(request, ("proof_code",))
    proof_code = upload.fields.get("proof_code")
    if not proof_code:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", "proof_code"), "msg": "a proof code"}]
        )
    try:
        claim, _ = app.receive_document(
            found.id,
            content=upload.content,
            filename=upload.filename,
            proof_code=proof_code,
            received_on=today_in_paris(),
            by=INSURED,
            requested_only=True,
        )
    except (DocumentTooLarge, UnsupportedDocumentType) as exc:
        raise sniff_errors(exc) from None
    return _view(app, claim)


# ---------------------------------------------------------------------- the portal

PortalPrincipal = Depends(require(Role.PORTAL))


@router.post(
    "/declarations",
    status_code=201,
    response_model=PortalDeclarationPublic,
    responses=COMMAND_RESPONSES,
    dependencies=[PortalPrincipal],
)
async def declare_online(
    request: Request,
    body: InsuredDeclarationCreate,
    app: Claims,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """A claim declared by the insured online (role `portal`): the view, with the access code
    shown this once (null when an Idempotency-Key replays the first answer); the cause's
    proofs are requested at once."""
    today = today_in_paris()
    errors = implausible_dates(body, today=today, horizon_days=horizon_days(request))
    if errors:
        raise RequestValidationError(errors)
    portal = request.state.actor
    idempotency = None
    if idempotency_key is not None:
        if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
            raise HTTPProblem(
                400,
                "malformed-idempotency-key",
                "Malformed Idempotency-Key",
                f"Idempotency-Key must have 1 to {MAX_KEY_LENGTH} characters",
            )
        raw = await request.body()
        fingerprint = hashlib.sha256(b"POST /api/v1/insured/declarations\n" + raw).hexdigest()
        idempotency = IdempotencyKey(portal, idempotency_key, fingerprint, 201, ())
        earlier = app.previous_outcome(idempotency)
        if earlier is not None:
            return _replay(app, earlier.claim_id, earlier.version)
    contact = DeclarantContact(body.declarant.name, body.declarant.email, body.declarant.mobile)
    try:
        claim, code = app.declare_online(
            portal_declaration(body, today),
            contact=contact,
            by=portal,
            idempotency=idempotency,
        )
    except DuplicateRequest as duplicate:
        return _replay(app, duplicate.outcome.claim_id, duplicate.outcome.version)
    view = insured_view(app, claim).model_dump(mode="json")
    return JSONResponse(
        {**view, "access_code": code},
        status_code=201,
        headers={"Cache-Control": "no-store", "Location": "/api/v1/insured/claim"},
    )


def _replay(app: Any, claim_id: Any, version: int) -> JSONResponse:
    claim = app.get_claim(claim_id, version=version)
    view = insured_view(app, claim).model_dump(mode="json")
    return JSONResponse(
        {**view, "access_code": None},
        status_code=201,
        headers={"Idempotent-Replayed": "true", "Cache-Control": "no-store"},
    )
