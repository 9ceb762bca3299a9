"""The insured's side and the documents, in `ClaimsApplication` (api.md v2 §3, §4;
docs/adr/0032-documents-store.md, docs/adr/0033-insured-access.md).

A mixin over the application's one command path (`_decide`). The domain decides; this layer
brings what the domain must not do itself: random draws (subject ids, access codes, salts),
the field cipher (the declarant's name and contacts, documents' names, IBANs), the access-code
outbox and the document store. Each store write comes before the event that refers to it, and
is undone (outbox) or left unreferenced (a content addressed by its digest) when the command is
refused, so nothing half-written is ever visible.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, Unpack
from uuid import UUID

from domain.access_code import ALPHABET, LENGTH, SALT_BYTES, hash_access_code, new_access_code
from domain.calendar import FrenchCalendar
from domain.catalogue import ContractTerms
from domain.claim import Claim
from domain.declarant import Declarant, validated_contacts
from domain.declaration import ClaimDeclaration
from domain.documents import ClaimDocument, medical_by_default, sniffed_type
from domain.iban import mask_iban, normalise_iban
from domain.proofs import checklist
from domain.sla import ClockKind, derive_clocks
from infra.access_code_outbox import AccessCodeOutbox
from infra.documents import DocumentStore
from infra.field_cipher import FieldCipher, FieldCipherError
from services.commands import CommandOptions
from services.idempotency import IdempotencyKey

T = TypeVar("T")
UNREADABLE = "[unreadable]"  # a sealed value this key cannot open (another key, or altered)


@dataclass(frozen=True)
class DeclarantContact:
    """The declarant as the caller gave them, in clear (never stored so)."""

    name: str
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True)
class InsuredSide:
    """What the insured's side needs besides the event store (built by services/wiring.py)."""

    outbox: AccessCodeOutbox
    documents: DocumentStore


class InsuredCommands:
    """Declarant, access codes, bank details given by the insured, documents."""

    iban_cipher: FieldCipher
    personal_cipher: FieldCipher  # purpose "personal": names and contacts, documents' names
    insured_side: InsuredSide | None = None

    if TYPE_CHECKING:

        def _decide(
            self, claim_id: UUID, decide: Callable[[Claim], T], **options: Unpack[CommandOptions]
        ) -> tuple[Claim, T]: ...

        def _on_claim(
            self,
            claim_id: UUID,
            decide: Callable[[Claim], object],
            **options: Unpack[CommandOptions],
        ) -> Claim: ...

        def declare(
            self,
            declaration: ClaimDeclaration,
            *,
            by: str,
            idempotency: IdempotencyKey | None = None,
            contact: DeclarantContact | None = None,
            then: Callable[[Claim], None] | None = None,
        ) -> Claim: ...

        def get_claim(self, claim_id: UUID, *, version: int | None = None) -> Claim: ...

        def _terms(self, contract: str) -> ContractTerms: ...

        def _events_of(self, claim_id: UUID) -> list[Any]: ...

        calendar: FrenchCalendar

    def _side(self) -> InsuredSide:
        if self.insured_side is None:
            msg = "the insured's side is not wired (services/wiring.py attaches it)"
            raise RuntimeError(msg)
        return self.insured_side

    # ------------------------------------------------------------------ personal data

    def with_subjects(
        self, declaration: ClaimDeclaration, contact: DeclarantContact | None
    ) -> ClaimDeclaration:
        """The declaration with a subject id for each person (api.md v2 §6: drawn here, the
        domain stays pure) and the declarant's name and contacts validated and sealed."""
        insured = tuple(
            person if person.subject_id is not None else replace(person, subject_id=uuid.uuid4())
            for person in declaration.insured
        )
        declarant = declaration.declarant
        if contact is not None:
            name, email, mobile = validated_contacts(contact.name, contact.email, contact.mobile)
            declarant = Declarant(
                subject_id=uuid.uuid4(),
                name=self.seal_personal(name),
                email=None if email is None else self.seal_personal(email),
                mobile=None if mobile is None else self.seal_personal(mobile),
            )
        return replace(declaration, insured=insured, declarant=declarant)

    def seal_personal(self, value: str) -> str:
        return self.personal_cipher.seal(value)

    def reveal(self, sealed: str) -> str:
        """A sealed personal value in clear, for the claim body (`[unreadable]` when this key
        cannot open it)."""
        try:
            return self.personal_cipher.open(sealed)
        except FieldCipherError:
            return UNREADABLE

    # ------------------------------------------------------------------ access codes

    @staticmethod
    def draw_access_code() -> tuple[str, str]:
        """A new code and its salted hash."""
        code = new_access_code([secrets.randbelow(len(ALPHABET)) for _ in range(LENGTH)])
        return code, hash_access_code(code, secrets.token_bytes(SALT_BYTES))

    def issue_access_code(
        self, claim_id: UUID, *, issued_on: date, by: str, **options: Unpack[CommandOptions]
    ) -> Claim:
        """A new access code for the claim's insured: its plain text waits in the outbox until
        the notification sends it; the old code and its sessions no longer open anything."""
        outbox = self._side().outbox
        code, code_hash = self.draw_access_code()
        outbox.put(claim_id, code_hash, code)
        try:
            return self._on_claim(
                claim_id,
                lambda c: c.issue_access_code(issued_on=issued_on, code_hash=code_hash, by=by),
                **options,
            )
        except BaseException:
            outbox.remove(claim_id, code_hash)
            raise

    def declare_online(
        self,
        declaration: ClaimDeclaration,
        *,
        contact: DeclarantContact,
        by: str,
        idempotency: IdempotencyKey | None = None,
    ) -> tuple[Claim, str]:
        """A declaration through the insured's portal (api.md v2 §3): the claim, its access code
        and the automatic request of the cause's proofs (rules.md "Proofs"), in one save.
        Returns the claim and the code in clear (shown once, in the 201)."""
        side = self._side()
        code, code_hash = self.draw_access_code()
        holder: dict[str, UUID] = {}

        def then(claim: Claim) -> None:
            terms = self._terms(claim.contract)
            if "claim_id" in holder:  # a retry under the next number: a new claim id
                side.outbox.remove(holder["claim_id"], code_hash)
            holder["claim_id"] = claim.id
            side.outbox.put(claim.id, code_hash, code)
            claim.issue_access_code(issued_on=claim.declared_on, code_hash=code_hash, by=by)
            claim.request_proofs(
                documents=checklist(
                    guarantee=claim.guarantee,
                    cause_code=claim.cause.code,
                    medical=claim.medical_cause,
                    no_proof_category=claim.cause.category in terms.voucher_categories,
                    identity_of_each_insured=terms.code == "CA2624",
                    card_insurer_position=claim.card_insurer_position_required,
                ),
                requested_on=claim.declared_on,
                by=by,
            )

        try:
            claim = self.declare(
                declaration, by=by, idempotency=idempotency, contact=contact, then=then
            )
        except BaseException:
            if "claim_id" in holder:
                side.outbox.remove(holder["claim_id"], code_hash)
            raise
        return claim, code

    # ------------------------------------------------------------------ bank details

    def give_bank_details(
        self,
        claim_id: UUID,
        *,
        holder: str,
        iban: str,
        given_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        """The insured's bank details: the IBAN validated (422 `iban`), then only its mask and
        its ciphertext go further."""
        compact = normalise_iban(iban)
        masked, sealed = mask_iban(compact), self.iban_cipher.seal(compact)
        return self._on_claim(
            claim_id,
            lambda c: c.give_bank_details(
                holder=holder,
                iban_masked=masked,
                iban_ciphertext=sealed,
                given_on=given_on,
                by=by,
            ),
            **options,
        )

    # ------------------------------------------------------------------ documents

    def receive_document(
        self,
        claim_id: UUID,
        *,
        content: bytes,
        filename: str,
        proof_code: str,
        received_on: date,
        by: str,
        medical: bool | None = None,
        requested_only: bool = False,
        **options: Unpack[CommandOptions],
    ) -> tuple[Claim, str]:
        """A document for a proof: its type sniffed from the bytes (too large or not a PDF,
        JPEG or PNG: refused before anything is written), its content sealed in the document
        store, then the event that describes it. Returns the claim and the document's id."""
        mime = sniffed_type(content)
        digest = hashlib.sha256(content).hexdigest()
        self.get_claim(claim_id)  # an unknown claim stores nothing
        self._side().documents.put(claim_id, digest, content)
        sealed_name = self.seal_personal(filename or "document")
        return self._decide(
            claim_id,
            lambda c: c.receive_document(
                proof_code=proof_code,
                sha256=digest,
                size=len(content),
                mime=mime,
                medical=medical_by_default(proof_code) if medical is None else medical,
                filename=sealed_name,
                received_on=received_on,
                by=by,
                requested_only=requested_only,
            ),
            **options,
        )

    def reject_document(
        self,
        claim_id: UUID,
        *,
        document_id: str,
        rejected_on: date,
        reason: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.reject_document(
                document_id=document_id, rejected_on=rejected_on, reason=reason, by=by
            ),
            **options,
        )

    def document_content(self, claim_id: UUID, document_id: str) -> tuple[ClaimDocument, bytes]:
        """A document and its content in clear (the caller checks who may read it)."""
        claim = self.get_claim(claim_id)
        document = claim.document(document_id)
        content = self._side().documents.get(claim_id, document.sha256)
        if content is None:
            msg = f"the content of document {document_id} is missing from the store"
            raise LookupError(msg)
        return document, content

    # ------------------------------------------------------------------ the insured's view

    def handling_promise(self, claim: Claim) -> date | None:
        """The due date of the handling clock running since the file became complete (api.md
        v2 §3 rule 5: 10 jours ouvrés online, 45 days otherwise); None until it is complete
        (or while the card insurer's position is awaited)."""
        if not claim.proofs_complete:
            return None
        handling = [
            clock
            for clock in derive_clocks(self._events_of(claim.id), self.calendar)
            if clock.kind == ClockKind.HANDLING
        ]
        if not handling:
            return None
        return max(handling, key=lambda clock: clock.started_on).due_on
