"""Documents of a claim: the rules of api.md v2 §4 (docs/adr/0032-documents-store.md).

A document is the proof of a requested code (`proof_code`): its content lives encrypted in the
document store, addressed by its SHA-256; the claim's events carry only what describes it
(id, digest, size, type, proof code, the medical flag and the filename sealed by the service
layer). The type is sniffed from the bytes with `filetype` (a maintained library), never taken
from the name or the client's Content-Type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import filetype

from domain.errors import ClaimError, UnknownItem
from domain.values import Document

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # 10 MiB (api.md v2 §3 rule 3)
ALLOWED_TYPES = ("application/pdf", "image/jpeg", "image/png")
# Documents about health (RGPD article 9): medical unless the handler says otherwise.
MEDICAL_BY_DEFAULT = frozenset({Document.MEDICAL_CERTIFICATE, Document.DEATH_CERTIFICATE})
MEDICAL_FILENAME = "[medical]"  # what other roles see of a medical document's name


class DocumentState(StrEnum):
    RECEIVED = "received"
    REJECTED = "rejected"


class DuplicateDocument(ClaimError):  # noqa: N818 - api.md names the rule
    """The same content was already given for the same proof."""

    rule = "duplicate-document"


class DocumentAlreadyRejected(ClaimError):  # noqa: N818 - api.md names the rule
    rule = "document-already-rejected"


class ProofNotRequested(ClaimError):  # noqa: N818 - api.md names the rule
    """The insured sends only what was asked of them."""

    rule = "proof-not-requested"


class UnknownDocument(UnknownItem):
    rule = "unknown-document"


class DocumentTooLarge(ValueError):  # noqa: N818 - api.md names the rule
    """More than MAX_DOCUMENT_BYTES (413 document-too-large)."""


class UnsupportedDocumentType(ValueError):  # noqa: N818 - api.md names the rule
    """Not a PDF, JPEG or PNG by its bytes (415 unsupported-document-type)."""


@dataclass(frozen=True)
class ClaimDocument:
    """A document of a claim, as its events describe it."""

    document_id: str
    proof_code: str
    sha256: str
    size: int
    mime: str
    medical: bool
    filename: str  # sealed by the service layer
    received_on: date
    received_by: str
    state: str = DocumentState.RECEIVED.value
    rejected_on: date | None = None
    rejected_by: str | None = None
    rejection_reason: str | None = None


def sniffed_type(content: bytes) -> str:
    """The content's type from its bytes, if it is one we keep (PDF, JPEG, PNG); a document
    over the size limit is refused first."""
    if len(content) > MAX_DOCUMENT_BYTES:
        msg = f"a document is at most {MAX_DOCUMENT_BYTES} bytes, got {len(content)}"
        raise DocumentTooLarge(msg)
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        msg = "a document is a PDF, a JPEG or a PNG image (sniffed from its content)"
        raise UnsupportedDocumentType(msg)
    return str(kind.mime)


def medical_by_default(proof_code: str) -> bool:
    return proof_code in MEDICAL_BY_DEFAULT
