"""`ClaimsApplication`: the event-sourced claims service (get -> decide -> save).

One short method per command, all through one path (`_decide`): it loads the claim, checks
that the caller may act on it (claim ownership, services/ownership.py) and the caller's
expected version (If-Match), lets the aggregate decide, and saves its new events in one
transaction. A concurrent writer that saved first makes the save fail on the (claim id,
version) uniqueness of the store: the command raises `ConcurrentUpdate` and nothing of it is
written. Bulk loading: `services/bulk.py`; audit replay: `services/audit.py`; look-ups:
`services/lookups.py`; keys and erasure: `services/erasure.py`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, TypeVar, Unpack
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import EnvType

from domain.calendar import FrenchCalendar
from domain.catalogue import Catalogue, ContractTerms, load_catalogue
from domain.claim import Claim
from domain.claim_number import (
    ClaimNumberReservation,
    ClaimNumberSequence,
)
from domain.declaration import ClaimDeclaration
from domain.errors import ConcurrentUpdate, InvalidClaimData, VersionMismatch
from domain.values import AssessmentInputs
from infra.event_log import StoredEventLog
from infra.field_cipher import FieldCipher
from projections.retry import attempts
from services.audit import AuditReplay
from services.bulk import COLLISION_BACKOFF, DECLARATION_ATTEMPTS, BulkMode
from services.commands import CommandOptions
from services.erasure import ErasureCommands
from services.idempotency import (
    CommandOutcome,
    DuplicateRequest,
    IdempotencyKey,
    IdempotencyKeyReused,
    IdempotentRequest,
)
from services.insured import DeclarantContact, InsuredCommands
from services.lookups import ClaimLookups
from services.money import MoneyCommands
from services.ownership import ClaimAccess
from services.reports.complaints import complaints_register
from services.transcodings import register_domain_transcodings

T = TypeVar("T")

SNAPSHOT_INTERVAL = 50
COMMAND_ATTEMPTS = 5


class ClaimsApplication(
    ErasureCommands, ClaimLookups, MoneyCommands, InsuredCommands, BulkMode, AuditReplay
):
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
        personal_cipher: FieldCipher | None = None,
    ) -> None:
        super().__init__(env)
        self.iban_cipher = iban_cipher or FieldCipher(None)
        self.personal_cipher = personal_cipher or FieldCipher(None, purpose="personal")
        self._local = threading.local()
        self.catalogue = catalogue or load_catalogue()
        self.calendar = calendar or FrenchCalendar()

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save, and remember (per thread) the position of the last event written (a caller
        waits for the read models to reach it: read-your-writes)."""
        recordings = super().save(*objs, **kwargs)
        if recordings:
            self._local.position = recordings[-1].notification.id
        return recordings

    def last_position(self) -> int | None:
        """The notification id of the last event this thread saved."""
        return getattr(self._local, "position", None)

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
        contact: DeclarantContact | None = None,
        then: Callable[[Claim], None] | None = None,
    ) -> Claim:
        """Open a claim under the next free claim number. Each person gets a subject id, and
        the declarant (`contact`) is validated and sealed (services/insured.py); `then` decides
        more on the new claim, saved with it (the portal's access code and proof request)."""
        terms = self._terms(declaration.contract)
        declaration = self.with_subjects(declaration, contact)
        batch = self._bulk()
        if batch is not None:
            claim = self._declare_in_bulk(batch, declaration, terms, by, idempotency)
            if then is not None:
                then(claim)
            return claim
        for _ in attempts(DECLARATION_ATTEMPTS, COLLISION_BACKOFF):
            sequence = self._number_sequence()
            (number,) = sequence.issue()
            claim = Claim.declare(
                declaration, claim_number=number, terms=terms, calendar=self.calendar, by=by
            )
            if then is not None:
                then(claim)
            reservation = ClaimNumberReservation(claim_number=number, claim_id=claim.id)
            records = []
            if idempotency is not None:
                records.append(
                    IdempotentRequest.record(
                        idempotency, claim_id=claim.id, version=claim.version, result=None
                    )
                )
            try:
                self.save(sequence, reservation, claim, *records)
            except IntegrityError:
                self._raise_if_duplicate(idempotency)
                continue  # another declaration took this number first: take the next one
            return claim
        raise ConcurrentUpdate("could not issue a claim number: too many concurrent declarations")

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
        if not idempotency.same_request(record.fingerprint):
            raise IdempotencyKeyReused(
                f"Idempotency-Key {idempotency.key!r} was used for a different request"
            )
        return record.outcome

    def _raise_if_duplicate(self, idempotency: IdempotencyKey | None) -> None:
        if idempotency is not None:
            outcome = self.previous_outcome(idempotency)
            if outcome is not None:
                raise DuplicateRequest(outcome)

    def _decide(
        self, claim_id: UUID, decide: Callable[[Claim], T], **options: Unpack[CommandOptions]
    ) -> tuple[Claim, T]:
        """The one path of every claim command: load, check the caller's preconditions
        (`options`), decide, save (`_execute`)."""
        return self._execute(
            claim_id,
            options.get("expected_version"),
            options.get("idempotency"),
            options.get("access"),
            decide,
        )

    def _on_claim(
        self, claim_id: UUID, decide: Callable[[Claim], object], **options: Unpack[CommandOptions]
    ) -> Claim:
        return self._decide(claim_id, decide, **options)[0]

    def assign_handler(
        self,
        claim_id: UUID,
        *,
        handler: str,
        assigned_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.assign_handler(handler=handler, assigned_on=assigned_on, by=by),
            **options,
        )

    def request_proofs(
        self,
        claim_id: UUID,
        *,
        documents: list[str],
        requested_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.request_proofs(documents=documents, requested_on=requested_on, by=by),
            **options,
        )

    def receive_proof(
        self,
        claim_id: UUID,
        *,
        document: str,
        received_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.receive_proof(document=document, received_on=received_on, by=by),
            **options,
        )

    def receive_card_insurer_position(
        self,
        claim_id: UUID,
        *,
        decision: str,
        amount_paid: Decimal,
        received_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.receive_card_insurer_position(
                decision=decision, amount_paid=amount_paid, received_on=received_on, by=by
            ),
            **options,
        )

    def accept(
        self,
        claim_id: UUID,
        *,
        decided_on: date,
        inputs: AssessmentInputs,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        """Accept the claim with the indemnity computed under its contract."""
        return self._on_claim(
            claim_id,
            lambda c: c.accept(
                decided_on=decided_on, inputs=inputs, terms=self._terms(c.contract), by=by
            ),
            **options,
        )

    def refuse(
        self,
        claim_id: UUID,
        *,
        decided_on: date,
        reason: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id, lambda c: c.refuse(decided_on=decided_on, reason=reason, by=by), **options
        )

    def close_claim(
        self,
        claim_id: UUID,
        *,
        closed_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(claim_id, lambda c: c.close(closed_on=closed_on, by=by), **options)

    def withdraw(
        self,
        claim_id: UUID,
        *,
        withdrawn_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id, lambda c: c.withdraw(withdrawn_on=withdrawn_on, by=by), **options
        )

    def reopen(
        self,
        claim_id: UUID,
        *,
        reopened_on: date,
        reason: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id, lambda c: c.reopen(reopened_on=reopened_on, reason=reason, by=by), **options
        )

    def open_complaint(
        self,
        claim_id: UUID,
        *,
        sent_on: date,
        received_on: date,
        channel: str,
        summary: str,
        by: str,
        motive: str | None = None,
        root_cause: str | None = None,
        **options: Unpack[CommandOptions],
    ) -> tuple[Claim, str]:
        """Returns the claim and the new complaint's id."""
        return self._decide(
            claim_id,
            lambda c: c.open_complaint(
                sent_on=sent_on,
                received_on=received_on,
                channel=channel,
                summary=summary,
                motive=motive,
                root_cause=root_cause,
                by=by,
            ),
            **options,
        )

    def acknowledge_complaint(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        sent_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.acknowledge_complaint(complaint_id=complaint_id, sent_on=sent_on, by=by),
            **options,
        )

    def answer_complaint(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        sent_on: date,
        outcome: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.answer_complaint(
                complaint_id=complaint_id, sent_on=sent_on, outcome=outcome, by=by
            ),
            **options,
        )

    def escalate_complaint(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        received_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.escalate_complaint(
                complaint_id=complaint_id, received_on=received_on, by=by
            ),
            **options,
        )

    def qualify_complaint(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        qualified_on: date,
        motive: str,
        root_cause: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.qualify_complaint(
                complaint_id=complaint_id,
                qualified_on=qualified_on,
                motive=motive,
                root_cause=root_cause,
                by=by,
            ),
            **options,
        )

    def record_corrective_action(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        recorded_on: date,
        action: str,
        owner: str,
        due_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.record_corrective_action(
                complaint_id=complaint_id,
                recorded_on=recorded_on,
                action=action,
                owner=owner,
                due_on=due_on,
                by=by,
            ),
            **options,
        )

    def complete_corrective_action(
        self,
        claim_id: UUID,
        *,
        complaint_id: str,
        action_id: str,
        done_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.complete_corrective_action(
                complaint_id=complaint_id, action_id=action_id, done_on=done_on, by=by
            ),
            **options,
        )

    def complaints_register(
        self,
        *,
        received_from: date,
        received_to: date,
        as_of: date,
        progress: Callable[[int], object] | None = None,
    ) -> dict[str, Any]:
        """The register of complaints received in the period, as of a day (its JSON body)."""
        return complaints_register(
            StoredEventLog(self.recorder, self.mapper),
            self._events_of,
            self.calendar,
            received_from=received_from,
            received_to=received_to,
            as_of=as_of,
            progress=progress,
        )

    def refer_to_mediation(
        self,
        claim_id: UUID,
        *,
        referred_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.refer_to_mediation(referred_on=referred_on, calendar=self.calendar, by=by),
            **options,
        )

    def conclude_mediation(
        self,
        claim_id: UUID,
        *,
        decided_on: date,
        outcome: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.conclude_mediation(decided_on=decided_on, outcome=outcome, by=by),
            **options,
        )

    def add_note(
        self,
        claim_id: UUID,
        *,
        text: str,
        noted_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id, lambda c: c.add_note(text=text, noted_on=noted_on, by=by), **options
        )

    def interrupt_prescription(
        self,
        claim_id: UUID,
        *,
        act: str,
        interrupted_on: date,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.interrupt_prescription(act=act, interrupted_on=interrupted_on, by=by),
            **options,
        )
