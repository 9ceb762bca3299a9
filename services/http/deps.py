"""Typed dependencies: the application, the caller, and the command context."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from domain.claim import Claim
from domain.plausibility import DateKind, ImplausibleInputError, check_business_date
from services.application import ClaimsApplication
from services.http.auth import STAFF_ROLES, Principal, Role, TokenRegistry
from services.http.problems import FieldError, HTTPProblem, invalid_input
from services.http.schemas import Day, implausible_dates
from services.http.views import claim_body
from services.idempotency import MAX_KEY_LENGTH, DuplicateRequest, IdempotencyKey
from services.ownership import ClaimAccess

PARIS = ZoneInfo("Europe/Paris")
_IF_MATCH = re.compile(r'^\s*"?(\d{1,9})"?\s*$')


def today_in_paris() -> date:
    """Business dates are Paris dates; used only where the API lets a date default to today."""
    return datetime.now(PARIS).date()


def horizon_days(request: Request) -> int:
    """How far ahead of today a planned date may lie (CLAIMS_TRIP_DATE_HORIZON_DAYS)."""
    return int(request.app.state.settings.trip_date_horizon_days)


def plausible_query_date(request: Request, name: str, value: date) -> date:
    """A query parameter's day, refused (422 naming it) outside 2000-01-01 .. today + horizon."""
    try:
        return check_business_date(
            value, DateKind.PLANNED, today=today_in_paris(), horizon_days=horizon_days(request)
        )
    except ImplausibleInputError as exc:
        raise invalid_input(name, str(exc), value.isoformat(), where="query") from None


def as_of_day(
    request: Request,
    as_of: Annotated[Day | None, Query(description="YYYY-MM-DD; default: today in Paris")] = None,
) -> date:
    """The day a read model is asked about: today in Paris unless given, and plausible."""
    if as_of is None:
        return today_in_paris()
    return plausible_query_date(request, "as_of", as_of)


AsOfDay = Annotated[date, Depends(as_of_day)]


def get_application(request: Request) -> ClaimsApplication:
    return cast("ClaimsApplication", request.app.state.claims)


Claims = Annotated[ClaimsApplication, Depends(get_application)]


def bearer_principal(registry: TokenRegistry, authorization: str | None) -> Principal | None:
    """Who an `Authorization: Bearer <token>` header belongs to, if anyone."""
    scheme, _, token = (authorization or "").partition(" ")
    return registry.authenticate(token.strip()) if scheme.lower() == "bearer" else None


UNAUTHENTICATED = (401, "unauthenticated", "Unauthenticated", "send Authorization: Bearer <token>")


# Declared in OpenAPI as the `HTTPBearer` scheme (the Authorize button of /docs); a missing or
# non-Bearer header is answered below, as a problem document.
bearer = HTTPBearer(
    auto_error=False, description="a token of CLAIMS_API_TOKENS: `Authorization: Bearer <token>`"
)


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    registry = cast("TokenRegistry", request.app.state.tokens)
    token = credentials.credentials.strip() if credentials else ""
    principal = registry.authenticate(token) if token else None
    if principal is None and token:
        # An insured's session token: its own paths only (services/http/insured.py); anywhere
        # else it is a role that may not (403), as api.md v2 says of insured and portal.
        insured = getattr(request.app.state, "insured_sessions", None)
        if insured is not None and insured.session_id_of(token) is not None:
            principal = Principal("insured", Role.INSURED)
    if principal is None:
        raise HTTPProblem(*UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})
    request.state.actor = principal.user_id
    return principal


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency that admits the given roles (and admin)."""
    allowed = {*roles, Role.ADMIN}

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            raise HTTPProblem(
                403, "forbidden", "Forbidden", f"role {principal.role} may not do this"
            )
        return principal

    return dependency


# Every staff role (api.md v2: the v1 roles and the medical adviser); not the portal or insured.
AnyRole = Annotated[Principal, Depends(require(*STAFF_ROLES))]


def expected_version(request: Request, if_match: str | None, *, creates: bool) -> int | None:
    if if_match is None or if_match.strip() == "*":
        if if_match is None and not creates and request.app.state.settings.require_if_match:
            raise HTTPProblem(
                428,
                "if-match-required",
                "If-Match required",
                'send If-Match: "<version>" from the claim\'s ETag',
            )
        return None
    if if_match.strip().startswith(("W/", "w/")):
        # If-Match compares strongly (RFC 9110 §13.1.1): a weak ETag never matches, and the
        # claim's ETags are strong. Refused rather than answered 412, which would say "reload".
        detail = 'If-Match takes the strong ETag of the claim\'s version, such as "3", not W/"3"'
        raise HTTPProblem(
            400,
            "weak-if-match",
            "Weak If-Match",
            detail,
            errors=[FieldError(field="If-Match", message=detail)],
        )
    match = _IF_MATCH.fullmatch(if_match)
    if match is None:
        detail = 'If-Match must be a version ETag such as "3"'
        raise HTTPProblem(
            400,
            "malformed-if-match",
            "Malformed If-Match",
            detail,
            errors=[FieldError(field="If-Match", message=detail)],
        )
    return int(match.group(1))


@dataclass(frozen=True)
class CommandContext:
    """Everything a command endpoint needs besides its body."""

    app: ClaimsApplication
    principal: Principal
    expected_version: int | None
    idempotency_key: str | None
    fingerprint: str
    earlier_fingerprints: tuple[str, ...]
    today: date
    horizon_days: int
    # Handler commands: who may act on the loaded claim (checked where the command loads it).
    access: ClaimAccess | None = None

    @property
    def actor(self) -> str:
        return self.principal.user_id

    def idempotency(self, status_code: int) -> IdempotencyKey | None:
        if self.idempotency_key is None:
            return None
        return IdempotencyKey(
            self.principal.user_id,
            self.idempotency_key,
            self.fingerprint,
            status_code,
            self.earlier_fingerprints,
        )

    def run(
        self,
        body: BaseModel,
        command: Callable[..., Any],
        *args: Any,
        status_code: int = 200,
        location: bool = False,
        new_claim: bool = False,
        **kwargs: Any,
    ) -> JSONResponse:
        """Run `command(*args, **kwargs)` (an application method) once, with the caller's
        preconditions (If-Match, Idempotency-Key, claim ownership; a new claim takes only the
        key), if its body's dates are plausible (422 naming each one that is not, and nothing
        written); replay the first response for a known Idempotency-Key."""
        errors = implausible_dates(body, today=self.today, horizon_days=self.horizon_days)
        if errors:
            raise RequestValidationError(errors)
        idempotency = self.idempotency(status_code)
        if idempotency is not None:
            outcome = self.app.previous_outcome(idempotency)
            if outcome is not None:
                return self._replay(
                    outcome.claim_id, outcome.version, outcome.status_code, location
                )
        try:
            if new_claim:  # no version to match, no handler whose claim it is yet
                result = command(*args, **kwargs, idempotency=idempotency)
            else:
                result = command(
                    *args,
                    **kwargs,
                    expected_version=self.expected_version,
                    idempotency=idempotency,
                    access=self.access,
                )
        except DuplicateRequest as duplicate:
            o = duplicate.outcome
            return self._replay(o.claim_id, o.version, o.status_code, location)
        claim = result[0] if isinstance(result, tuple) else result
        return claim_response(
            self.app,
            claim,
            status_code=status_code,
            location=location,
            position=self.app.last_position(),
        )

    def _replay(
        self, claim_id: UUID, version: int, status_code: int, location: bool
    ) -> JSONResponse:
        claim = self.app.get_claim(claim_id, version=version)
        response = claim_response(self.app, claim, status_code=status_code, location=location)
        response.headers["Idempotent-Replayed"] = "true"
        return response


def claim_response(
    app: ClaimsApplication,
    claim: Claim,
    *,
    status_code: int = 200,
    location: bool = False,
    position: int | None = None,
) -> JSONResponse:
    """The claim body (its display facts folded from the stored events: docs/adr/0028) with
    its ETag."""
    headers = {"ETag": f'"{claim.version}"'}
    if position is not None:
        headers["X-Position"] = str(position)  # send back as X-Consistent-With
    if location:
        headers["Location"] = f"/api/v1/claims/{claim.id}"
    return JSONResponse(
        claim_body(claim, app.claim_display(claim), app.reveal).model_dump(mode="json"),
        status_code=status_code,
        headers=headers,
    )


def request_fingerprints(method: str, path: str, body: bytes) -> tuple[str, str]:
    """What an Idempotency-Key's request was, as SHA-256 of its method, path and body: the
    canonical fingerprint, whose body is the JSON parsed and written again with sorted keys,
    no insignificant whitespace and ensure_ascii=False (so the same JSON formatted otherwise
    is the same request), and the raw one, of the body's bytes as sent.

    The canonical one is recorded. The raw one is what earlier versions recorded (the round-1
    store holds one: tests/fixtures/round1), so a record is the same request when it holds
    either. A body that is not JSON has only its raw bytes."""
    head = f"{method} {path}\n".encode()
    raw = hashlib.sha256(head + body).hexdigest()
    try:
        parsed = json.loads(body)
    except ValueError:  # not JSON (or not UTF-8): FastAPI answers it before any command runs
        return raw, raw
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(head + canonical.encode()).hexdigest(), raw


async def _command_context(
    request: Request,
    app: ClaimsApplication,
    principal: Principal,
    if_match: str | None,
    idempotency_key: str | None,
    *,
    creates: bool = False,
    access: ClaimAccess | None = None,
) -> CommandContext:
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        raise HTTPProblem(
            400,
            "malformed-idempotency-key",
            "Malformed Idempotency-Key",
            f"Idempotency-Key must have 1 to {MAX_KEY_LENGTH} characters",
        )
    fingerprint, raw_fingerprint = request_fingerprints(
        request.method, request.url.path, await request.body()
    )
    version = expected_version(request, if_match, creates=creates)
    return CommandContext(
        app,
        principal,
        version,
        idempotency_key,
        fingerprint,
        (raw_fingerprint,),
        today=today_in_paris(),
        horizon_days=horizon_days(request),
        access=access,
    )


HandlerPrincipal = Annotated[Principal, Depends(require(Role.HANDLER))]
ManagerPrincipal = Annotated[Principal, Depends(require(Role.MANAGER))]


async def handler_command(
    request: Request,
    app: Claims,
    principal: HandlerPrincipal,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> CommandContext:
    """A handler command: on a claim assigned to a handler, only that handler's (or an
    admin's); managers do not run them (docs/adr/0020-claim-ownership.md)."""
    access = ClaimAccess(principal.user_id, any_claim=principal.role == Role.ADMIN)
    return await _command_context(request, app, principal, if_match, idempotency_key, access=access)


async def declaration_command(
    request: Request,
    app: Claims,
    principal: HandlerPrincipal,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> CommandContext:
    """A new claim has no version to match."""
    return await _command_context(request, app, principal, None, idempotency_key, creates=True)


async def manager_command(
    request: Request,
    app: Claims,
    principal: ManagerPrincipal,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> CommandContext:
    return await _command_context(request, app, principal, if_match, idempotency_key)


ReservePrincipal = Annotated[Principal, Depends(require(Role.HANDLER, Role.MANAGER))]


async def reserve_command(
    request: Request,
    app: Claims,
    principal: ReservePrincipal,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> CommandContext:
    """The reserve: a handler command (owner-checked), which managers run too, on any claim
    (docs/adr/0020-claim-ownership.md: managers approve and reserve)."""
    access = ClaimAccess(principal.user_id, any_claim=principal.role != Role.HANDLER)
    return await _command_context(request, app, principal, if_match, idempotency_key, access=access)


def authority(request: Request, principal: Principal) -> Decimal:
    """The caller's authority limit: CLAIMS_AUTHORITY_LIMITS for their role."""
    return cast("Decimal", request.app.state.settings.authority_limit(principal.role.value))


HandlerCommand = Annotated[CommandContext, Depends(handler_command)]
ReserveCommand = Annotated[CommandContext, Depends(reserve_command)]
DeclarationCommand = Annotated[CommandContext, Depends(declaration_command)]
ManagerCommand = Annotated[CommandContext, Depends(manager_command)]
