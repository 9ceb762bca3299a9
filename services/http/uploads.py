"""Multipart uploads of documents (api.md v2 §3 rule 3, §4): the form read with Starlette's
parser (python-multipart), its fields checked here, the file's type sniffed from its bytes.

The body's size is bounded before it is read (services/http/limits.py: the document routes
take 10 MiB and the form's overhead; beyond, 413 `document-too-large`); a file over 10 MiB is
refused with the same answer, a type other than PDF, JPEG or PNG with 415
`unsupported-document-type`. Nothing is stored before all of this holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from domain.documents import MAX_DOCUMENT_BYTES, DocumentTooLarge, UnsupportedDocumentType
from domain.plausibility import LINE, ImplausibleInputError, plausible_text
from services.http.problems import HTTPProblem, invalid_input

MULTIPART = "multipart/form-data"
FORM_OVERHEAD = 64 * 1024  # the form's boundaries and fields around the file
MAX_UPLOAD_BODY = MAX_DOCUMENT_BYTES + FORM_OVERHEAD


def upload_body_schema(fields: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    """The OpenAPI request body of an upload route (a file and the given fields)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                MULTIPART: {
                    "schema": {
                        "type": "object",
                        "required": ["file", *required],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            **fields,
                        },
                    }
                }
            },
        }
    }


def too_large() -> HTTPProblem:
    return HTTPProblem(
        413,
        "document-too-large",
        "Document too large",
        f"a document is at most {MAX_DOCUMENT_BYTES} bytes (10 MiB)",
        headers={"Connection": "close"},
    )


def unsupported_type() -> HTTPProblem:
    return HTTPProblem(
        415,
        "unsupported-document-type",
        "Unsupported document type",
        "a document is a PDF, a JPEG or a PNG image (its type is read from its content)",
    )


@dataclass(frozen=True)
class Upload:
    content: bytes
    filename: str
    fields: dict[str, str]


async def read_upload(request: Request, field_names: tuple[str, ...]) -> Upload:
    """The uploaded file and the named text fields of a multipart form (422 naming a missing
    or implausible one; 415 for another media type)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != MULTIPART:
        raise HTTPProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "send the document as multipart/form-data with a `file` part",
        )
    try:
        form = await request.form(max_files=1, max_fields=len(field_names) + 1)
    except HTTPProblem:
        raise
    except Exception as exc:  # a malformed form (the parser's own errors)
        raise invalid_input("file", "a malformed multipart form", None, where="body") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise invalid_input("file", "the form has no file part named `file`", None, where="body")
    content = await upload.read(MAX_DOCUMENT_BYTES + 1)
    await form.close()
    if len(content) > MAX_DOCUMENT_BYTES:
        raise too_large()
    if not content:
        raise invalid_input("file", "the file is empty", None, where="body")
    fields: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    for name in field_names:
        value = form.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append({"type": "invalid", "loc": ("body", name), "msg": "must be text"})
            continue
        try:
            fields[name] = plausible_text(value, LINE).strip()
        except ImplausibleInputError as exc:
            errors.append({"type": "implausible", "loc": ("body", name), "msg": str(exc)})
    if errors:
        raise RequestValidationError(errors)
    try:
        filename = plausible_text(upload.filename or "document", LINE).strip() or "document"
    except ImplausibleInputError:
        filename = "document"
    return Upload(content, filename, fields)


def sniff_errors(exc: Exception) -> HTTPProblem:
    """The HTTP answer to a refused content."""
    if isinstance(exc, DocumentTooLarge):
        return too_large()
    if isinstance(exc, UnsupportedDocumentType):
        return unsupported_type()
    raise exc
