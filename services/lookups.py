"""Look-ups of `ClaimsApplication`: a claim by id (now or at a version; which snapshots it
loads), by number (and trip start, the insured's credential), and the display facts of its
body (docs/adr/0028)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import EventStore

from domain.claim import Claim
from domain.claim_number import ClaimNumberReservation, is_claim_number
from domain.claim_view import ClaimDisplay, fold_display
from domain.errors import ClaimNotFound, InvalidClaimData
from services.bulk import BulkMode

MAX_VERSION = 2**31 - 1


class _LedgerSnapshots(EventStore[UUID]):
    """A claim's snapshot taken before the money ledger (round 1) is not loaded: it kept the
    settlements without who paid them, which the events have; such a claim folds from its
    events, and its next snapshot is current (docs/adr/0027-money-ledger.md)."""

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        for snapshot in super().get(originator_id, gt=gt, lte=lte, desc=desc, limit=limit):
            state = getattr(snapshot, "state", {})
            if getattr(snapshot, "topic", "") == _CLAIM_TOPIC and state.get("class_version", 1) < 3:
                continue
            yield snapshot


_CLAIM_TOPIC = "domain.claim:Claim"


class ClaimLookups(BulkMode, Application[UUID]):
    """What `ClaimsApplication` answers about one claim without changing it."""

    def construct_repository(self) -> Repository[UUID]:
        repository = super().construct_repository()
        if self.snapshots is not None:
            repository.snapshot_store = _LedgerSnapshots(
                mapper=self.mapper, recorder=self.snapshots.recorder
            )
        return repository

    def get_claim(self, claim_id: UUID, *, version: int | None = None) -> Claim:
        """The claim now, or exactly as it was at `version` (audit replay). In bulk mode, the
        thread's claims held in memory are the current ones."""
        batch = self._bulk()
        if batch is not None and version is None and claim_id in batch.claims:
            return batch.claims[claim_id]
        if version is not None and not 1 <= version <= MAX_VERSION:
            raise InvalidClaimData(
                "version", f"must be between 1 and {MAX_VERSION}", claim_id=claim_id
            )
        try:
            claim: object = self.repository.get(claim_id, version=version)
        except AggregateNotFoundError:
            raise ClaimNotFound(f"no claim {claim_id}", claim_id=claim_id) from None
        if not isinstance(claim, Claim):
            raise ClaimNotFound(f"no claim {claim_id}", claim_id=claim_id)
        if version is not None and claim.version != version:
            raise ClaimNotFound(
                f"claim {claim_id} has no version {version} (it is at {claim.version})",
                claim_id=claim_id,
            )
        return claim

    def claim_display(self, claim: Claim) -> ClaimDisplay:
        """The display facts of the claim's body at the claim's version, folded from its stored
        events (`domain/claim_view.py`); the claim must be saved up to that version."""
        display = fold_display(self.events.get(claim.id, lte=claim.version))
        if display.version != claim.version:
            raise ValueError(f"claim {claim.id} is not saved up to version {claim.version}")
        return display

    def claim_id_for_number(self, claim_number: str) -> UUID:
        if not is_claim_number(claim_number):
            raise InvalidClaimData("claim_number", "must be S2 followed by 7 digits")
        try:
            reservation: object = self.repository.get(
                ClaimNumberReservation.create_id(claim_number)
            )
        except AggregateNotFoundError:
            raise ClaimNotFound(f"no claim {claim_number}") from None
        assert isinstance(reservation, ClaimNumberReservation)
        return reservation.claim_id

    def find_by_number(self, claim_number: str, *, trip_start: date | None = None) -> Claim:
        """Look a claim up by its number and, as the insured's file does, its trip start."""
        claim = self.get_claim(self.claim_id_for_number(claim_number))
        if trip_start is not None and claim.trip.departure_date != trip_start:
            # Same answer as an unknown number: the pair is the insured's credential.
            raise ClaimNotFound(f"no claim {claim_number} for a trip starting {trip_start}")
        return claim
