"""Per-person keys and the erasure of a subject, in `ClaimsApplication` (contract v2 §6;
docs/adr/0036-per-person-keys.md, docs/adr/0037-erasure-and-retention.md).

The mapper (`infra/personal_mapper.py`) seals and opens the claim events' personal fields once
`attach_keys` gave it the key store (services/wiring.py). `erase_subject` records
`PersonalDataErased` through the one command path (the domain checks the holds), then destroys
the subject's key and the claim's (a crash between leaves the event, and a retry finishes:
`destroy` is idempotent), deletes the claim's snapshots and documents' contents, and drops the
claim from this process's aggregate cache (the read models fold the event: the name-search
table drops the claim's names). The insured's access ends with the event (no access
code opens the claim any more); the HTTP layer also ends the sessions at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Unpack
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import EventStore, Mapper

from domain.claim import Claim
from domain.documents import ClaimDocument
from domain.errors import DocumentErased, SubjectAlreadyErased, UnknownSubject
from infra.erasure_store import delete_documents, delete_snapshots
from infra.keys import ERASED, KeyStore
from infra.personal_mapper import PersonalDataMapper, claim_key, subject_key
from services.commands import CommandOptions

if TYPE_CHECKING:
    from services.insured import InsuredSide


class ErasureCommands:
    """The key store on the mapper; `erase_subject`."""

    keys: KeyStore | None = None

    if TYPE_CHECKING:
        mapper: Mapper[UUID]
        snapshots: EventStore[UUID] | None
        repository: Repository[UUID]
        insured_side: InsuredSide | None

        def _on_claim(
            self,
            claim_id: UUID,
            decide: Callable[[Claim], object],
            **options: Unpack[CommandOptions],
        ) -> Claim: ...

    def construct_mapper(self) -> Mapper[UUID]:
        base: Mapper[UUID] = super().construct_mapper()  # type: ignore[misc]
        return PersonalDataMapper(base.transcoder, base.compressor, base.cipher)

    def attach_keys(self, keys: KeyStore) -> None:
        """Seal new events' personal fields with `keys`, and open stored ones through it."""
        self.keys = keys
        if isinstance(self.mapper, PersonalDataMapper):
            self.mapper.attach(keys)

    def get_claim(self, claim_id: UUID, *, version: int | None = None) -> Claim:
        """An erased claim is never served from the aggregate cache (it may hold the state
        read before the erasure, in this process or, fast-forwarded, in another one), and its
        keys are read again from the table."""
        claim: Claim = super().get_claim(claim_id, version=version)  # type: ignore[misc]
        if version is None and claim.erased_on is not None:
            if self.keys is not None:  # erased by another process: its keys may be cached here
                for key_id in [claim_key(claim_id), *map(subject_key, claim.erased_subjects)]:
                    self.keys.forget(key_id)
            return super().get_claim(claim_id, version=claim.version)  # type: ignore[misc,no-any-return]
        return claim

    def subject_claim(self, subject_id: UUID) -> UUID:
        """The claim that names this subject; UnknownSubject (404) if none."""
        owner = None if self.keys is None else self.keys.owner(subject_key(subject_id))
        if owner is None:
            raise UnknownSubject(f"no subject {subject_id}")
        return UUID(owner)

    def erase_subject(
        self,
        subject_id: UUID,
        *,
        erased_on: date,
        basis: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        """Erase a subject's personal data, and the claim's free text with it (api.md v2 §6)."""
        keys = self._keys()
        claim_id = self.subject_claim(subject_id)
        if keys.state(subject_key(subject_id)) == "destroyed":
            raise SubjectAlreadyErased(f"subject {subject_id} is already erased", claim_id=claim_id)
        return self.erase_subjects(
            claim_id, [subject_id], erased_on=erased_on, basis=basis, by=by, **options
        )

    def erase_subjects(
        self,
        claim_id: UUID,
        subject_ids: list[UUID],
        *,
        erased_on: date,
        basis: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        """Erase these subjects of the claim in one `PersonalDataErased` (the retention's)."""
        self._keys()
        self._on_claim(
            claim_id,
            lambda c: c.erase_personal_data(
                subject_ids=subject_ids, erased_on=erased_on, basis=basis, by=by
            ),
            **options,
        )
        self.finish_erasure(claim_id, subject_ids)
        return self.get_claim(claim_id)

    def finish_erasure(self, claim_id: UUID, subject_ids: list[UUID]) -> None:
        """What follows a recorded `PersonalDataErased` (idempotent: a retry completes it)."""
        keys = self._keys()
        for key_id in [*(subject_key(s) for s in subject_ids), claim_key(claim_id)]:
            keys.ensure(key_id, owner=str(claim_id))  # stored before the keys: a tombstone
            keys.destroy(key_id)
        if self.snapshots is not None:
            delete_snapshots(self.snapshots.recorder, claim_id)
        side = self.insured_side
        if side is not None:
            delete_documents(side.documents, claim_id)
        cache = getattr(self.repository, "cache", None)
        if cache is not None:
            with contextlib.suppress(KeyError):
                cache.get(claim_id, evict=True)

    def claim_erased(self, claim_id: UUID) -> bool:
        """Whether the claim's key is destroyed (its documents' contents are gone: 410)."""
        return self.keys is not None and self.keys.is_destroyed(claim_key(claim_id))

    def document_content(self, claim_id: UUID, document_id: str) -> tuple[ClaimDocument, bytes]:
        """DocumentErased (410) once the claim's personal data is erased."""
        if self.claim_erased(claim_id):
            raise DocumentErased(f"document {document_id} was erased", claim_id=claim_id)
        return super().document_content(claim_id, document_id)  # type: ignore[misc,no-any-return]

    def reveal(self, sealed: str) -> str:
        """An erased value stays `[erased]` (not an unreadable ciphertext)."""
        return ERASED if sealed == ERASED else super().reveal(sealed)  # type: ignore[misc]

    def _keys(self) -> KeyStore:
        if self.keys is None:
            msg = "no key store: services/wiring.py attaches one"
            raise RuntimeError(msg)
        return self.keys
