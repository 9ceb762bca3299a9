"""Documents of a claim (api.md v2 §4; docs/adr/0032-documents-store.md): received, they
satisfy their proof; rejected, the proof is outstanding again.

Part of the `Claim` aggregate (see `domain/claim/__init__.py` for how parts make one aggregate).
The events describe a document (id, SHA-256, size, type, proof code, medical flag, the filename
sealed by the service layer); its content is never in an event.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate

from domain.claim.state import ClaimState
from domain.documents import (
    ALLOWED_TYPES,
    MAX_DOCUMENT_BYTES,
    ClaimDocument,
    DocumentAlreadyRejected,
    DocumentState,
    DuplicateDocument,
    ProofNotRequested,
    UnknownDocument,
)
from domain.errors import InvalidClaimData
from domain.validation import not_before, require_code, require_text
from domain.values import Document

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DocumentsPart(ClaimState):
    """The documents received for the claim's proofs, and their rejections."""

    if TYPE_CHECKING:
        documents: list[ClaimDocument]

        def receive_proof(self, *, document: str, received_on: date, by: str) -> None: ...

        def request_proofs(self, *, documents: list[str], requested_on: date, by: str) -> None: ...

    @property
    def claim_documents(self) -> list[ClaimDocument]:
        return list(getattr(self, "documents", []))

    def document(self, document_id: str) -> ClaimDocument:
        for document in self.claim_documents:
            if document.document_id == document_id:
                return document
        raise UnknownDocument(f"no document {document_id!r} on this claim", claim_id=self.id)

    def _next_document_id(self) -> str:
        return f"{self.claim_number}-D{len(self.claim_documents) + 1}"

    class DocumentReceived(Aggregate.Event):
        document_id: str
        proof_code: str
        sha256: str
        size: int
        mime: str
        medical: bool
        filename: str  # sealed by the service layer (personal data)
        received_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

        def apply(self, aggregate: DocumentsPart) -> None:
            aggregate._document_received(
                ClaimDocument(
                    document_id=self.document_id,
                    proof_code=self.proof_code,
                    sha256=self.sha256,
                    size=self.size,
                    mime=self.mime,
                    medical=self.medical,
                    filename=self.filename,
                    received_on=self.received_on,
                    received_by=self.by,
                )
            )

    def receive_document(
        self,
        *,
        proof_code: str,
        sha256: str,
        size: int,
        mime: str,
        medical: bool,
        filename: str,
        received_on: date,
        by: str,
        requested_only: bool = False,
    ) -> str:
        """Record a document for a proof; it marks the proof received when the proof is
        outstanding (the same checks as any receipt). `requested_only`: the insured sends only
        what was requested (`proof-not-requested`). The same content for the same proof twice
        is refused (`duplicate-document`). Returns the document's id."""
        code = require_code("proof_code", proof_code, Document)
        if not _SHA256.match(sha256):
            raise InvalidClaimData("sha256", "the hex SHA-256 of the content")
        if not 0 < size <= MAX_DOCUMENT_BYTES:
            raise InvalidClaimData("size", f"between 1 and {MAX_DOCUMENT_BYTES} bytes")
        if mime not in ALLOWED_TYPES:
            raise InvalidClaimData("mime", "a PDF, a JPEG or a PNG")
        self._after_declaration("received_on", received_on)
        self._after_decisive_step("received_on", received_on)
        self._after_last_request("received_on", received_on)
        self._ensure_open()
        self._ensure_not_assessed()
        if requested_only and code not in self.proofs_requested:
            raise ProofNotRequested(f"{code} was not requested for this claim", claim_id=self.id)
        if any(d.sha256 == sha256 and d.proof_code == code for d in self.claim_documents):
            raise DuplicateDocument(f"this content was already given for {code}", claim_id=self.id)
        document_id = self._next_document_id()
        self.trigger_event(
            self.DocumentReceived,
            document_id=document_id,
            proof_code=code,
            sha256=sha256,
            size=size,
            mime=mime,
            medical=medical,
            filename=require_text("filename", filename),
            received_on=received_on,
            by=by,
        )
        if code in self.proofs_outstanding:
            self.receive_proof(document=code, received_on=received_on, by=by)
        return document_id

    def _document_received(self, document: ClaimDocument) -> None:
        self.documents = [*self.claim_documents, document]
        self._fact(document.received_on, f"the receipt of {document.proof_code}", main=True)

    class DocumentRejected(Aggregate.Event):
        document_id: str
        rejected_on: date
        reason: str
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.rejected_on

        def apply(self, aggregate: DocumentsPart) -> None:
            aggregate._document_rejected(
                document_id=self.document_id,
                rejected_on=self.rejected_on,
                reason=self.reason,
                by=self.by,
            )

    def reject_document(self, *, document_id: str, rejected_on: date, reason: str, by: str) -> None:
        """Reject a document (illegible, not the right one...): unless another document of
        the same proof stands, the proof is requested again, so it is outstanding (api.md v2
        §4 rule 4; the handling clock waits for it again)."""
        document = self.document(document_id)
        why = require_text("reason", reason)
        not_before("rejected_on", rejected_on, "the document's receipt", document.received_on)
        self._after_declaration("rejected_on", rejected_on)
        self._after_main_track("rejected_on", rejected_on)
        self._ensure_open()
        self._ensure_not_assessed()
        if document.state == DocumentState.REJECTED:
            raise DocumentAlreadyRejected(
                f"document {document_id} is already rejected", claim_id=self.id
            )
        self.trigger_event(
            self.DocumentRejected,
            document_id=document_id,
            rejected_on=rejected_on,
            reason=why,
            by=by,
        )
        standing = [
            d
            for d in self.claim_documents
            if d.proof_code == document.proof_code and d.state == DocumentState.RECEIVED
        ]
        if not standing:
            self.request_proofs(documents=[document.proof_code], requested_on=rejected_on, by=by)

    def _document_rejected(
        self, *, document_id: str, rejected_on: date, reason: str, by: str
    ) -> None:
        self.documents = [
            replace(
                d,
                state=DocumentState.REJECTED.value,
                rejected_on=rejected_on,
                rejected_by=by,
                rejection_reason=reason,
            )
            if d.document_id == document_id
            else d
            for d in self.claim_documents
        ]
        self._fact(rejected_on, "the document's rejection", main=True)
