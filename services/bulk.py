"""Bulk mode of `ClaimsApplication` (docs/adr/0012-bulk-mode.md): the same commands and rules
on claims held in memory, saved many claims per transaction (imports, the demo, the scale
benchmark)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from domain.calendar import FrenchCalendar
from domain.catalogue import ContractTerms
from domain.claim import Claim
from domain.claim_number import ClaimNumberReservation, ClaimNumberSequence, format_claim_number
from domain.declaration import ClaimDeclaration
from domain.errors import ConcurrentUpdate
from projections.retry import attempts, jittered
from services.idempotency import IdempotencyKey
from services.ownership import ClaimAccess

T = TypeVar("T")

DECLARATION_ATTEMPTS = 100
# Before the n-th retry of a save that lost a race: a random pause of up to n x 2 ms.
COLLISION_BACKOFF = jittered(0.002)


@dataclass
class _Bulk:
    """What a thread in bulk mode holds in memory until its next save."""

    claims_per_save: int
    sequence: ClaimNumberSequence | None = None  # loaded when first needed
    claims: dict[UUID, Claim] = field(default_factory=dict)
    reservations: list[ClaimNumberReservation] = field(default_factory=list)


class BulkMode(Application[UUID]):
    """What `ClaimsApplication` adds for bulk loading; the methods it relies on are its own."""

    _local: threading.local
    calendar: FrenchCalendar

    def get_claim(self, claim_id: UUID, *, version: int | None = None) -> Claim:
        raise NotImplementedError

    def declare(
        self,
        declaration: ClaimDeclaration,
        *,
        by: str,
        idempotency: IdempotencyKey | None = None,
    ) -> Claim:
        raise NotImplementedError

    def _number_sequence(self) -> ClaimNumberSequence:
        raise NotImplementedError

    @contextmanager
    def bulk(self, *, claims_per_save: int = 100) -> Iterator[None]:
        """Bulk loading (imports, the scale benchmark): in this block, this thread's commands
        act on claims held in memory, with the same rules, and are saved together about
        `claims_per_save` claims per transaction (with the numbers they took and their
        reservations). Expected versions and idempotency keys are refused here. Bulk loading
        expects no concurrent declarations: a number taken meanwhile fails the save with
        `ConcurrentUpdate`. If the block raises, its unsaved claims are discarded; saved
        batches stay (each is whole)."""
        if self._bulk() is not None:
            raise RuntimeError("this thread is already in bulk mode")
        batch = _Bulk(claims_per_save)
        self._local.bulk = batch
        try:
            yield
            self._flush(batch)
        finally:
            self._local.bulk = None

    def _bulk(self) -> _Bulk | None:
        return getattr(self._local, "bulk", None)

    def _bulk_sequence(self, batch: _Bulk) -> ClaimNumberSequence:
        if batch.sequence is None:
            batch.sequence = self._number_sequence()
        return batch.sequence

    def _flush(self, batch: _Bulk) -> None:
        if not batch.claims:
            return
        sequence = self._bulk_sequence(batch)
        try:
            if batch.reservations:
                issued = sequence.issue(len(batch.reservations))
                assert issued == [r.claim_number for r in batch.reservations]
            self.save(sequence, *batch.reservations, *batch.claims.values())
        except BaseException as exc:
            # Nothing of this batch was written: its claims are dropped, and numbering starts
            # again from what the store holds.
            batch.sequence = None
            if isinstance(exc, IntegrityError):
                raise ConcurrentUpdate(
                    "another writer saved first during a bulk load: the unsaved batch was dropped"
                ) from None
            raise
        finally:
            batch.claims.clear()
            batch.reservations.clear()

    def import_claims(
        self,
        declarations: Sequence[ClaimDeclaration],
        *,
        by: str,
        then: Callable[[Claim], object] | None = None,
    ) -> list[Claim]:
        """Bulk import: declare many claims (and optionally take each through further
        commands with `then`) in one transaction, numbered from one block of the sequence."""
        if not declarations:
            return []
        for _ in attempts(DECLARATION_ATTEMPTS, COLLISION_BACKOFF):
            try:
                with self.bulk(claims_per_save=len(declarations) + 1):
                    claims = [self.declare(declaration, by=by) for declaration in declarations]
                    if then is not None:
                        for claim in claims:
                            then(claim)
            except ConcurrentUpdate:
                continue  # another declaration took these numbers first: number them again
            return claims
        raise ConcurrentUpdate("could not issue claim numbers: too many concurrent declarations")

    def _declare_in_bulk(
        self,
        batch: _Bulk,
        declaration: ClaimDeclaration,
        terms: ContractTerms,
        by: str,
        idempotency: IdempotencyKey | None,
    ) -> Claim:
        if idempotency is not None:
            raise ValueError("idempotency keys are not taken in bulk mode")
        # A number counts only once its declaration passed the rules (no gap); the batch's
        # numbers are issued as one block when it is saved.
        sequence = self._bulk_sequence(batch)
        number = format_claim_number(sequence.last_serial + len(batch.reservations) + 1)
        claim = Claim.declare(
            declaration, claim_number=number, terms=terms, calendar=self.calendar, by=by
        )
        batch.claims[claim.id] = claim
        batch.reservations.append(ClaimNumberReservation(claim_number=number, claim_id=claim.id))
        if len(batch.claims) >= batch.claims_per_save:
            self._flush(batch)
        return claim

    def _execute_in_bulk(
        self,
        batch: _Bulk,
        claim_id: UUID,
        expected_version: int | None,
        idempotency: IdempotencyKey | None,
        access: ClaimAccess | None,
        decide: Callable[[Claim], T],
    ) -> tuple[Claim, T]:
        if expected_version is not None or idempotency is not None:
            raise ValueError("expected versions and idempotency keys are not taken in bulk mode")
        claim = batch.claims.get(claim_id)
        if claim is None:
            claim = batch.claims[claim_id] = self.get_claim(claim_id)
        if access is not None:
            access.check(claim)
        pending = len(claim.pending_events)
        try:
            result = decide(claim)
        except Exception:
            # Rules are checked before any event is triggered; anything else is a defect that
            # must not be saved half-applied.
            if len(claim.pending_events) != pending:
                batch.claims.clear()
                batch.reservations.clear()
                raise RuntimeError("a command failed after changing the claim") from None
            raise
        if len(batch.claims) >= batch.claims_per_save:
            self._flush(batch)
        return claim, result
