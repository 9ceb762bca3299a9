"""Documents of a claim and its access code, for the staff (api.md v2 §3, §4;
docs/adr/0032-documents-store.md, docs/adr/0033-insured-access.md).

A medical document's content is read only by medical advisers and admins (403
medical-document otherwise), and every such read is written in the access register before
the content leaves (`GET /admin/medical-reads`, admins and auditors). Reads leave the claim's
version unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StrictBool, ValidationError

from domain.documents import DocumentTooLarge, UnsupportedDocumentType
from domain.values import Document
from infra.access_register import AccessRegister
from services.http.auth import Principal, Role
from services.http.deps import AnyRole, Claims, HandlerCommand, require
from services.http.document_schemas import DocumentPublic, DocumentsPublic
from services.http.insured_sessions import InsuredSessions
from services.http.problems import COMMAND_RESPONSES, PROBLEM_RESPONSES, HTTPProblem
from services.http.schemas import ClaimPublic, Command, Day, LongText
from services.http.uploads import read_upload, sniff_errors, upload_body_schema
from services.http.views import document_body

router = APIRouter(prefix="/api/v1/claims", tags=["documents"])
register_router = APIRouter(prefix="/api/v1/admin", tags=["documents"])
MEDICAL_READERS = frozenset({Role.MEDICAL_ADVISER, Role.ADMIN})
READ_RESPONSES = {**PROBLEM_RESPONSES, 404: COMMAND_RESPONSES[404]}
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMAND_RESPONSES,
    415: {**COMMAND_RESPONSES[409], "description": "Not a PDF, JPEG or PNG"},
}


class DocumentReceipt(Command):
    """The form fields of a handler's upload."""

    proof_code: Document
    received_on: Day
    medical: StrictBool | None = None


class RejectionCreate(Command):
    rejected_on: Day
    reason: LongText


class AccessCodeCreate(Command):
    issued_on: Day


@router.post(
    "/{claim_id}/documents",
    response_model=ClaimPublic,
    responses=UPLOAD_RESPONSES,
    openapi_extra=upload_body_schema(
        {
            "proof_code": {"type": "string", "enum": [d.value for d in Document]},
            "received_on": {"type": "string", "format": "date"},
            "medical": {"type": "boolean"},
        },
        ["proof_code", "received_on"],
    ),
)
async def receive_document(request: Request, claim_id: UUID, ctx: HandlerCommand) -> JSONResponse:
    """A document received for a proof (multipart: file, proof_code, received_on, medical?):
    PDF, JPEG or PNG up to 10 MiB; it marks the proof received. `medical` defaults to true
    for medical and death certificates."""
    if ctx.access is not None:  # whose claim it is, before a byte of the file is read
        ctx.access.check(ctx.app.get_claim(claim_id))
    upload = await read_upload(request, ("proof_code", "received_on", "medical"))
    fields: dict[str, Any] = dict(upload.fields)
    if "medical" in fields:
        fields["medical"] = {"true": True, "false": False}.get(fields["medical"].lower(), "?")
    try:
        receipt = DocumentReceipt.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None
    try:
        return ctx.run(
            receipt,
            ctx.app.receive_document,
            claim_id,
            content=upload.content,
            filename=upload.filename,
            proof_code=receipt.proof_code.value,
            received_on=receipt.received_on,
            medical=receipt.medical,
            by=ctx.actor,
        )
    except (DocumentTooLarge, UnsupportedDocumentType) as exc:
        raise sniff_errors(exc) from None


@router.get("/{claim_id}/documents", response_model=DocumentsPublic, responses=READ_RESPONSES)
def list_documents(claim_id: UUID, app: Claims, who: AnyRole) -> DocumentsPublic:
    """The claim's documents; a medical one's name is "[medical]" except for the medical
    adviser and admins."""
    claim = app.get_claim(claim_id)
    reader = who.role in MEDICAL_READERS
    return DocumentsPublic(
        items=[
            DocumentPublic.model_validate(document_body(d, app.reveal, medical_reader=reader))
            for d in claim.claim_documents
        ]
    )


CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    200: {
        "description": "The document's bytes (PDF, JPEG or PNG)",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
        },
    },
}


@router.get(
    "/{claim_id}/documents/{document_id}/content",
    response_class=Response,
    responses=CONTENT_RESPONSES,
)
def document_content(
    request: Request, claim_id: UUID, document_id: str, app: Claims, who: AnyRole
) -> Response:
    """The document's content. A medical one only for the medical adviser and admins (403
    medical-document), and each of its reads is written in the access register first."""
    document = app.get_claim(claim_id).document(document_id)
    if document.medical:
        if who.role not in MEDICAL_READERS:
            raise HTTPProblem(
                403,
                "medical-document",
                "Medical document",
                "a medical document is read only by the medical adviser (and admins)",
            )
        _register(request).record(
            claim_id, document_id, actor=who.user_id, role=who.role.value, at=datetime.now(UTC)
        )
    _, content = app.document_content(claim_id, document_id)
    return Response(
        content,
        media_type=document.mime,
        headers={
            "Content-Disposition": f'attachment; filename="{document_id}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/{claim_id}/documents/{document_id}/rejection",
    response_model=ClaimPublic,
    responses=COMMAND_RESPONSES,
)
def reject_document(
    claim_id: UUID, document_id: str, body: RejectionCreate, ctx: HandlerCommand
) -> JSONResponse:
    """Reject a document: unless another document of the proof stands, the proof is
    requested again (outstanding). 409 document-already-rejected, claim-already-assessed."""
    return ctx.run(
        body,
        ctx.app.reject_document,
        claim_id,
        document_id=document_id,
        rejected_on=body.rejected_on,
        reason=body.reason,
        by=ctx.actor,
    )


@router.post("/{claim_id}/access-code", response_model=ClaimPublic, responses=COMMAND_RESPONSES)
def issue_access_code(
    request: Request, claim_id: UUID, body: AccessCodeCreate, ctx: HandlerCommand
) -> JSONResponse:
    """A new access code for the insured, sent by notification only (never in this answer);
    the old code and its sessions no longer open anything."""
    response = ctx.run(
        body, ctx.app.issue_access_code, claim_id, issued_on=body.issued_on, by=ctx.actor
    )
    cast("InsuredSessions", request.app.state.insured_sessions).end_all(claim_id)
    return response


# ---------------------------------------------------------------------- the access register


def _register(request: Request) -> AccessRegister:
    return cast("AccessRegister", request.app.state.access_register)


class MedicalReadPublic(BaseModel):
    claim_id: UUID
    document_id: str
    actor: str
    role: str
    read_at: datetime


class MedicalReadsPublic(BaseModel):
    items: list[MedicalReadPublic]


RegisterReader = Annotated[Principal, Depends(require(Role.AUDITOR))]


@register_router.get(
    "/medical-reads", response_model=MedicalReadsPublic, responses=PROBLEM_RESPONSES
)
def medical_reads(
    request: Request,
    _who: RegisterReader,
    claim_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> MedicalReadsPublic:
    """The access register: every read of a medical document (who, which, when in UTC),
    latest first (admins and auditors)."""
    reads = _register(request).reads(claim_id=claim_id, limit=limit)
    return MedicalReadsPublic(
        items=[
            MedicalReadPublic(
                claim_id=r.claim_id,
                document_id=r.document_id,
                actor=r.actor,
                role=r.role,
                read_at=r.read_at,
            )
            for r in reads
        ]
    )
