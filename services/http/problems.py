"""RFC 9457 problem documents, and the one mapping from errors to HTTP statuses."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    ClaimError,
    ClaimNotFound,
    DocumentErased,
    InvalidClaimData,
    UnknownItem,
    UnknownPayment,
    UnknownRecovery,
    VersionMismatch,
)
from services.idempotency import IdempotencyKeyReused
from services.ownership import NotYourClaim

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    correlation_id: str | None = None


class HTTPProblem(Exception):  # noqa: N818 - raised to answer with a problem document
    def __init__(
        self,
        status: int,
        rule: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.rule = rule
        self.title = title
        self.detail = detail
        self.headers = headers
        self.errors = errors

    def response(self) -> JSONResponse:
        return problem_response(
            self.status,
            self.rule,
            self.title,
            self.detail,
            errors=self.errors,
            headers=self.headers,
        )


def problem_response(
    status: int,
    rule: str,
    title: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    correlation_id: str | None = None,
) -> JSONResponse:
    body = Problem(
        type=f"/problems/{rule}",
        title=title,
        status=status,
        detail=detail,
        errors=errors,
        correlation_id=correlation_id,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def invalid_input(field: str, message: str, value: object, *, where: str) -> RequestValidationError:
    """A validation error found after parsing, answered exactly as pydantic's are: a 422
    problem whose `errors` name the field (`where` is "body", "query", "path" or "header")."""
    return RequestValidationError(
        [{"type": "implausible", "loc": (where, field), "msg": message, "input": value}]
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if part.isdigit() else (f".{part}" if name else part)
    return name or "body"


def claim_error_response(exc: ClaimError) -> JSONResponse:
    if isinstance(exc, ClaimNotFound):
        return problem_response(404, exc.rule, "Claim not found", exc.message)
    if isinstance(exc, UnknownPayment | UnknownRecovery):
        title = "Payment not found" if isinstance(exc, UnknownPayment) else "Recovery not found"
        return problem_response(404, exc.rule, title, exc.message)
    if isinstance(exc, UnknownItem):
        return problem_response(404, exc.rule, "Not found", exc.message)
    if isinstance(exc, DocumentErased):
        return problem_response(410, exc.rule, "Document erased", exc.message)
    if isinstance(exc, NotYourClaim):
        return problem_response(403, exc.rule, "Not your claim", exc.message)
    if isinstance(exc, VersionMismatch):
        return problem_response(
            412, exc.rule, "Version mismatch", exc.message, headers={"ETag": f'"{exc.actual}"'}
        )
    if isinstance(exc, InvalidClaimData):
        return problem_response(
            422,
            exc.rule,
            "Invalid claim data",
            exc.message,
            errors=[FieldError(field=exc.field, message=exc.message)],
        )
    if isinstance(exc, IdempotencyKeyReused):
        return problem_response(
            422,
            exc.rule,
            "Idempotency-Key reused",
            exc.message,
            errors=[FieldError(field="Idempotency-Key", message=exc.message)],
        )
    title = exc.rule.replace("-", " ").capitalize()
    return problem_response(409, exc.rule, title, exc.message)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ClaimError)
    async def _claim_error(_request: Request, exc: ClaimError) -> JSONResponse:
        return claim_error_response(exc)

    @app.exception_handler(HTTPProblem)
    async def _http_problem(_request: Request, exc: HTTPProblem) -> JSONResponse:
        return problem_response(
            exc.status, exc.rule, exc.title, exc.detail, errors=exc.errors, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        content_type = request.headers.get("content-type", "")
        # Uploads (multipart) name their bad fields like JSON bodies do (services/http/uploads.py).
        if request.method == "POST" and not ("json" in content_type or "multipart" in content_type):
            return problem_response(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as JSON with Content-Type: application/json",
            )
        errors = [
            FieldError(field=_field_name(tuple(e.get("loc", ()))), message=e.get("msg", ""))
            for e in exc.errors()
        ]
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem_response(
                400,
                "malformed-json",
                "Malformed JSON",
                "the request body is not valid JSON",
                errors=errors,
            )
        fields = ", ".join(sorted({e.field for e in errors}))
        return problem_response(
            422, "invalid-request", "Invalid request", f"invalid fields: {fields}", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        rule = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem_response(
            exc.status_code,
            rule,
            str(exc.detail),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, description in (
        (400, "Malformed request"),
        (401, "Missing or unknown bearer token"),
        (403, "Role not allowed, or the claim is assigned to another handler (not-your-claim)"),
        (422, "Invalid input; `errors` names each field"),
    )
}
COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    **{
        status: {
            "model": Problem,
            "description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status, description in (
            (404, "Unknown claim, payment or recovery"),
            (409, "The command is not allowed in the claim's state; `type` names the rule"),
            (412, "If-Match does not match the claim's version"),
            (413, "The body exceeds the limit (CLAIMS_MAX_BODY_BYTES)"),
            (428, "If-Match is required"),
        )
    },
}
