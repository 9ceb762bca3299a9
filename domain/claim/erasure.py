"""Erasure of a claim's personal data (contract v2 §6; docs/adr/0037-erasure-and-retention.md).

Part of the `Claim` aggregate (see `domain/claim/__init__.py` for how parts make one aggregate).
The event names the erased subjects, the basis and the day, never a name: the erasure itself is
the destruction of the data keys, done by the service layer once the event is recorded. The
domain decides whether the claim may be erased: closed or withdrawn, no open complaint nor
mediation (a legal hold), each subject named by the claim and not erased yet.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.claim.state import ClaimState
from domain.errors import ClaimNotClosed, LegalHold, SubjectAlreadyErased, UnknownSubject
from domain.validation import require_code

if TYPE_CHECKING:
    from domain.declarant import Declarant
    from domain.values import Complaint, Insured, Mediation


class ErasureBasis(StrEnum):
    REQUEST = "request"  # the person asked (RGPD art. 17)
    RETENTION = "retention"  # the retention period ended


def open_holds(complaints: list[Complaint], mediation: Mediation | None) -> list[str]:
    """What keeps a claim's personal data: an open complaint (not answered, or its recours
    not answered) and a mediation not concluded."""
    holds = [f"complaint {c.complaint_id}" for c in complaints if not c.internal_avenues_exhausted]
    if mediation is not None and mediation.decided_on is None:
        holds.append("mediation")
    return holds


class ErasurePart(ClaimState):
    """The erasure of the claim's personal data, subject by subject."""

    if TYPE_CHECKING:
        insured: list[Insured]
        declarant: Declarant | None
        access_code_hash: str | None

    class PersonalDataErased(Aggregate.Event):
        subject_ids: list[UUID]
        erased_on: date
        basis: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.erased_on

        def apply(self, aggregate: ErasurePart) -> None:
            aggregate._personal_data_erased(self.subject_ids, self.erased_on)

    @property
    def subject_ids(self) -> list[UUID]:
        """The claim's subjects: each insured person (from v2 on) and the declarant."""
        ids = [p.subject_id for p in self.insured if p.subject_id is not None]
        declarant = getattr(self, "declarant", None)
        if declarant is not None:
            ids.append(declarant.subject_id)
        return ids

    @property
    def erased_subjects(self) -> list[UUID]:
        return list(getattr(self, "erased_subject_ids", []))

    @property
    def erased_on(self) -> date | None:
        return getattr(self, "personal_data_erased_on", None)

    @property
    def holds(self) -> list[str]:
        return open_holds(self.complaints, self.mediation)

    def erase_personal_data(
        self, *, subject_ids: list[UUID], erased_on: date, basis: str, by: str
    ) -> None:
        """Erase the subjects' personal data (and with it the claim's free text: the claim's
        key goes with any subject's). Refused while a complaint or mediation is open, before
        the claim is closed or withdrawn, and for a subject already erased."""
        code = require_code("basis", basis, ErasureBasis)
        unknown = [s for s in subject_ids if s not in self.subject_ids]
        if not subject_ids or unknown:
            raise UnknownSubject(f"no such subject on claim {self.claim_number}", claim_id=self.id)
        erased = [s for s in subject_ids if s in self.erased_subjects]
        if erased:
            raise SubjectAlreadyErased(f"subject {erased[0]} is already erased", claim_id=self.id)
        self._after_declaration("erased_on", erased_on)
        self._after_every_fact("erased_on", erased_on)
        if self.closed_on is None and self.withdrawn_on is None:
            raise ClaimNotClosed(
                f"claim {self.claim_number} is neither closed nor withdrawn", claim_id=self.id
            )
        holds = self.holds
        if holds:
            raise LegalHold(f"{', '.join(holds)} still open", claim_id=self.id)
        self.trigger_event(
            self.PersonalDataErased,
            subject_ids=list(dict.fromkeys(subject_ids)),
            erased_on=erased_on,
            basis=code,
            by=by,
        )

    def _personal_data_erased(self, subject_ids: list[UUID], erased_on: date) -> None:
        self.erased_subject_ids = [*self.erased_subjects, *subject_ids]
        self.personal_data_erased_on = erased_on
        # The insured's access ends: no code opens the claim any more (sessions end with it).
        self.access_code_hash = None
        self._fact(erased_on, "the erasure of personal data")
