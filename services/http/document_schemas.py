"""Schemas of the claim body's v2 parts that the insured's side adds: the declarant, the
documents (api.md v2 §3, §4). Kept apart from services/http/schemas.py, which imports them."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel


class DeclarantPublic(BaseModel):
    """Who declared the claim, in clear for the staff (stored sealed)."""

    subject_id: UUID
    name: str
    email: str | None
    mobile: str | None


class DocumentPublic(BaseModel):
    """A document of the claim; a medical document's name is "[medical]" but for the roles
    that read medical contents."""

    document_id: str
    proof_code: str
    filename: str
    mime: str
    size: int
    sha256: str
    medical: bool
    state: str
    received_on: date
    received_by: str
    rejected_on: date | None
    rejection_reason: str | None


class DocumentsPublic(BaseModel):
    items: list[DocumentPublic]
    next_cursor: str | None = None
