"""`ClaimsApplication`: the event-sourced claims service (get -> decide -> save).

One method per command. Each loads the claim, checks that the caller may act on it (claim
ownership, services/ownership.py) and the caller's expected version (If-Match), lets the
aggregate decide, and saves its new events in one transaction. A concurrent writer
that saved first makes the save fail on the (claim id, version) uniqueness of the store: the
command raises `ConcurrentUpdate` and nothing of it is written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import (
    Aggregate,
    AggregateEvent,
    CanMutateAggregate,
    DomainEventProtocol,
)
from eventsourcing.persistence import EventStore, IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import EnvType

from domain.calendar import FrenchCalendar
from domain.catalogue import Catalogue, ContractTerms, load_catalogue
from domain.claim import Claim
from domain.claim_number import (
    ClaimNumberReservation,
    ClaimNumberSequence,
    format_claim_number,
    is_claim_number,
)
from domain.declaration import ClaimDeclaration
from domain.errors import ClaimNotFound, ConcurrentUpdate, InvalidClaimData, VersionMismatch
from domain.sla import ClockStatus, business_date, clocks_as_of
from domain.values import AssessmentInputs
from infra.field_cipher import FieldCipher
from projections.retry import attempts, jittered
from services.idempotency import (
    CommandOutcome,
    DuplicateRequest,
    IdempotencyKey,
    IdempotencyKeyReused,
    IdempotentRequest,
)
from services.money import MoneyCommands
from services.ownership import ClaimAccess
from services.transcodings import register_domain_transcodings

T = TypeVar("T")

SNAPSHOT_INTERVAL = 50
DECLARATION_ATTEMPTS = 100
COMMAND_ATTEMPTS = 5
# Before the n-th retry of a save that lost a race: a random pause of up to n x 2 ms.
COLLISION_BACKOFF = jittered(0.002)
MAX_VERSION = 2**31 - 1
_EVENT_METADATA = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp", "by"}
)
# Sealed fields: never shown, not even sealed (the history shows the masked value beside).
_SEALED = frozenset({"iban_ciphertext"})


@dataclass(frozen=True)
class HistoryEntry:
    """One stored event as auditors read it: who, what, the business data, when recorded."""

    version: int
    type: str
    recorded_at: datetime
    actor: str
    business_date: date
    data: dict[str, Any]


@dataclass
class _Bulk:
    """What a thread in bulk mode holds in memory until its next save."""

    claims_per_save: int
    sequence: ClaimNumberSequence | None = None  # loaded when first needed
    claims: dict[UUID, Claim] = field(default_factory=dict)
    reservations: list[ClaimNumberReservation] = field(default_factory=list)


def _event_data(domain_event: CanMutateAggregate[UUID]) -> dict[str, Any]:
    return {
        f.name: getattr(domain_event, f.name)
        for f in fields(domain_event)  # type: ignore[arg-type]
        if f.name not in _EVENT_METADATA and f.name not in _SEALED
    }


class _LedgerSnapshots(EventStore[UUID]):
    """A claim's snapshot taken before the money ledger (round 1) is not loaded: it kept the
    settlements without who paid them, which the events have; such a claim folds from its
    events, and its next snapshot is current (docs/adr/0022-money-ledger.md)."""

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


class ClaimsApplication(MoneyCommands, Application[UUID]):
    """Claims, their numbers, and the audit replay of both."""

    name = "Claims"
    snapshotting_intervals: ClassVar[dict[type[Aggregate], int]] = {  # type: ignore[assignment]
        Claim: SNAPSHOT_INTERVAL,
        ClaimNumberSequence: SNAPSHOT_INTERVAL,
    }

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        catalogue: Catalogue | None = None,
        calendar: FrenchCalendar | None = None,
        iban_cipher: FieldCipher | None = None,
    ) -> None:
        super().__init__(env)
        self.iban_cipher = iban_cipher or FieldCipher(None)
        self._local = threading.local()
        self.catalogue = catalogue or load_catalogue()
        self.calendar = calendar or FrenchCalendar()

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save, and remember (per thread) the position of the last event written, so that a
        caller can wait for the read models to reach it (read-your-writes)."""
        recordings = super().save(*objs, **kwargs)
        if recordings:
            self._local.position = recordings[-1].notification.id
        return recordings

    def last_position(self) -> int | None:
        """The notification id of the last event this thread saved."""
        return getattr(self._local, "position", None)

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

    def construct_repository(self) -> Repository[UUID]:
        repository = super().construct_repository()
        if self.snapshots is not None:
            repository.snapshot_store = _LedgerSnapshots(
                mapper=self.mapper, recorder=self.snapshots.recorder
            )
        return repository

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # ------------------------------------------------------------------ declaration

    def declare(
        self,
        declaration: ClaimDeclaration,
        *,
        by: str,
        idempotency: IdempotencyKey | None = None,
    ) -> Claim:
        """Open a claim under the next free claim number."""
        terms = self._terms(declaration.contract)
        batch = self._bulk()
        if batch is not None:
            return self._declare_in_bulk(batch, declaration, terms, by, idempotency)
        for _ in attempts(DECLARATION_ATTEMPTS, COLLISION_BACKOFF):
            sequence = self._number_sequence()
            (number,) = sequence.issue()
            claim = Claim.declare(
                declaration, claim_number=number, terms=terms, calendar=self.calendar, by=by
            )
            reservation = ClaimNumberReservation(claim_number=number, claim_id=claim.id)
            records = []
            if idempotency is not None:
                records.append(
                    IdempotentRequest.record(idempotency, claim_id=claim.id, version=1, result=None)
                )
            try:
                self.save(sequence, reservation, claim, *records)
            except IntegrityError:
                self._raise_if_duplicate(idempotency)
                continue  # another declaration took this number first: take the next one
            return claim
        raise ConcurrentUpdate("could not issue a claim number: too many concurrent declarations")

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

    def _terms(self, contract: str) -> ContractTerms:
        terms = self.catalogue.get(contract)
        if terms is None:
            known = ", ".join(sorted(self.catalogue.contracts))
            raise InvalidClaimData("contract", f"unknown contract {contract!r}; known: {known}")
        return terms

    def _number_sequence(self) -> ClaimNumberSequence:
        try:
            sequence: object = self.repository.get(ClaimNumberSequence.create_id())
        except AggregateNotFoundError:
            return ClaimNumberSequence()
        assert isinstance(sequence, ClaimNumberSequence)
        return sequence

    # ------------------------------------------------------------------ commands

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

    def _execute(
        self,
        claim_id: UUID,
        expected_version: int | None,
        idempotency: IdempotencyKey | None,
        access: ClaimAccess | None,
        decide: Callable[[Claim], T],
    ) -> tuple[Claim, T]:
        """Load, check the caller may act on the claim (`access`, when given), decide, save.
        The check reads the claim this attempt saves over: a reassignment saved in between
        makes the save fail on the claim's version, and the next attempt checks again. Without
        an expected version a lost race is retried on the new state; with one, it is the
        caller's to resolve (`VersionMismatch`/`ConcurrentUpdate`)."""
        batch = self._bulk()
        if batch is not None:
            return self._execute_in_bulk(
                batch, claim_id, expected_version, idempotency, access, decide
            )
        tries = 1 if expected_version is not None else COMMAND_ATTEMPTS
        for _ in attempts(tries, COLLISION_BACKOFF):
            claim = self.get_claim(claim_id)
            if access is not None:
                access.check(claim)
            if expected_version is not None and expected_version != claim.version:
                raise VersionMismatch(
                    claim_id=claim_id, expected=expected_version, actual=claim.version
                )
            result = decide(claim)
            records = []
            if idempotency is not None:
                records.append(
                    IdempotentRequest.record(
                        idempotency,
                        claim_id=claim_id,
                        version=claim.version,
                        result=None if result is None else str(result),
                    )
                )
            try:
                self.save(claim, *records)
            except IntegrityError:
                self._raise_if_duplicate(idempotency)
                continue
            return claim, result
        raise ConcurrentUpdate(
            "the claim was changed by another writer; reload and retry", claim_id=claim_id
        )

    def previous_outcome(self, idempotency: IdempotencyKey) -> CommandOutcome | None:
        """The outcome of an earlier request with this caller's key, if there was one."""
        try:
            record: object = self.repository.get(idempotency.record_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(record, IdempotentRequest)
        if record.fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {idempotency.key!r} was used for a different request"
            )
        return record.outcome

    def _raise_if_duplicate(self, idempotency: IdempotencyKey | None) -> None:
        if idempotency is not None:
            outcome = self.previous_outcome(idempotency)
            if outcome is not None:
                raise DuplicateRequest(outcome)

    def assign_handler(
        self,
        claim_id: UUID,
        *,
        handler: str,
        assigned_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.assign_handler(handler=handler, assigned_on=assigned_on, by=by),
        )[0]

    def request_proofs(
        self,
        claim_id: UUID,
        *,
        documents: list[str],
        requested_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.request_proofs(documents=documents, requested_on=requested_on, by=by),
        )[0]

    def receive_proof(
        self,
        claim_id: UUID,
        *,
        document: str,
        received_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.receive_proof(document=document, received_on=received_on, by=by),
        )[0]

    def receive_card_insurer_position(
        self,
        claim_id: UUID,
        *,
        decision: str,
        amount_paid: Decimal,
        received_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.receive_card_insurer_position(
                decision=decision, amount_paid=amount_paid, received_on=received_on, by=by
            ),
        )[0]

    def accept(
        self,
        claim_id: UUID,
        *,
        decided_on: date,
        inputs: AssessmentInputs,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        """Accept the claim with the indemnity computed under its contract."""
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.accept(
                decided_on=decided_on, inputs=inputs, terms=self._terms(c.contract), by=by
            ),
        )[0]

    def refuse(
        self,
        claim_id: UUID,
        *,
        decided_on: date,
        reason: str,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.refuse(decided_on=decided_on, reason=reason, by=by),
        )[0]

    def close_claim(
        self,
        claim_id: UUID,
        *,
        closed_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.close(closed_on=closed_on, by=by),
        )[0]

    def withdraw(
        self,
        claim_id: UUID,
        *,
        withdrawn_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.withdraw(withdrawn_on=withdrawn_on, by=by),
        )[0]

    def reopen(
        self,
        claim_id: UUID,
        *,
        reopened_on: date,
        reason: str,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.reopen(reopened_on=reopened_on, reason=reason, by=by),
        )[0]

    def open_complaint(
        self,
        claim_id: UUID,
        *,
        sent_on: date,
        received_on: date,
        channel: str,
        summary: str,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> tuple[Claim, str]:
        """Returns the claim and the new complaint's id."""
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.open_complaint(
                sent_on=sent_on, received_on=received_on, channel=channel, summary=summary, by=by
            ),
        )

    def acknowledge_complaint(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        sent_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.acknowledge_complaint(complaint_id=complaint_id, sent_on=sent_on, by=by),
        )[0]

    def answer_complaint(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        sent_on: date,
        outcome: str,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.answer_complaint(
                complaint_id=complaint_id, sent_on=sent_on, outcome=outcome, by=by
            ),
        )[0]

    def escalate_complaint(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        received_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.escalate_complaint(
                complaint_id=complaint_id, received_on=received_on, by=by
            ),
        )[0]

    def refer_to_mediation(
        self,
        claim_id: UUID,
        *,
        referred_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.refer_to_mediation(referred_on=referred_on, calendar=self.calendar, by=by),
        )[0]

    def conclude_mediation(
        self,
        claim_id: UUID,
        *,
        decided_on: date,
        outcome: str,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.conclude_mediation(decided_on=decided_on, outcome=outcome, by=by),
        )[0]

    def add_note(
        self,
        claim_id: UUID,
        *,
        text: str,
        noted_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.add_note(text=text, noted_on=noted_on, by=by),
        )[0]

    def interrupt_prescription(
        self,
        claim_id: UUID,
        *,
        act: str,
        interrupted_on: date,
        by: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
        access: ClaimAccess | None = None,
    ) -> Claim:
        return self._execute(
            claim_id,
            expected_version,
            idempotency,
            access,
            lambda c: c.interrupt_prescription(act=act, interrupted_on=interrupted_on, by=by),
        )[0]

    # ------------------------------------------------------------------ queries and replay

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

    def claim_as_of(self, claim_id: UUID, at: datetime) -> Claim:
        """The claim as it was recorded at a moment (audit replay by recording time)."""
        if at.tzinfo is None:
            raise InvalidClaimData("as_of", "needs a time-zone offset", claim_id=claim_id)
        version = None
        for stored in self._events_of(claim_id):
            if stored.timestamp > at:
                break
            version = stored.originator_version
        if version is None:
            raise ClaimNotFound(
                f"claim {claim_id} did not exist at {at.isoformat()}", claim_id=claim_id
            )
        return self.get_claim(claim_id, version=version)

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

    def history(self, claim_id: UUID) -> list[HistoryEntry]:
        """Every event of the claim in order, with actor, business data and recording time."""
        return [
            HistoryEntry(
                version=stored.originator_version,
                type=type(stored).__name__,
                recorded_at=stored.timestamp,
                actor=getattr(stored, "by", ""),
                business_date=business_date(stored),
                data=_event_data(stored),
            )
            for stored in self._events_of(claim_id)
        ]

    def sla_clocks(self, claim_id: UUID, *, as_of: date) -> list[ClockStatus]:
        """The claim's SLA clocks and their states at the end of a business day."""
        return clocks_as_of(self._events_of(claim_id), as_of, self.calendar)

    def _events_of(self, claim_id: UUID) -> list[AggregateEvent]:
        """The claim's stored events in order; ClaimNotFound for anything but a claim."""
        stored = list(self.events.get(claim_id))
        events: list[AggregateEvent] = [
            e for e in stored if isinstance(e, Claim.Declared | Claim.Event)
        ]
        if not events or len(events) != len(stored):
            raise ClaimNotFound(f"no claim {claim_id}", claim_id=claim_id)
        return events
