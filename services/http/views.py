"""From domain objects to the API's bodies.

The claim body is built by `claim_body` from the aggregate's state (what decisions need) and
the display facts folded from the claim's events (`domain/claim_view.py`, docs/adr/0028).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from domain.claim import Claim
from domain.claim_view import ClaimDisplay
from domain.documents import MEDICAL_FILENAME, ClaimDocument
from domain.ledger import incurred
from services.audit import HistoryEntry
from services.http.schemas import ClaimPublic, HistoryEntryPublic, ProofsPublic


def jsonable(value: Any) -> Any:
    """Event data as JSON: dates ISO, money as strings, value objects as objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


SEALED = "[sealed]"  # a personal value shown without the key to open it


def _sealed(_value: str) -> str:
    return SEALED


def declarant_body(claim: Claim, reveal: Callable[[str], str]) -> dict[str, Any] | None:
    """The declarant in clear (`reveal` opens the sealed values: services/insured.py)."""
    declarant = getattr(claim, "declarant", None)
    if declarant is None:
        return None
    return {
        "subject_id": declarant.subject_id,
        "name": reveal(declarant.name),
        "email": None if declarant.email is None else reveal(declarant.email),
        "mobile": None if declarant.mobile is None else reveal(declarant.mobile),
    }


def document_body(
    document: ClaimDocument, reveal: Callable[[str], str], *, medical_reader: bool
) -> dict[str, Any]:
    """A document as the caller may see it: a medical one's name only for the roles that read
    medical contents (api.md v2 §4 rule 1)."""
    hidden = document.medical and not medical_reader
    return {
        "document_id": document.document_id,
        "proof_code": document.proof_code,
        "filename": MEDICAL_FILENAME if hidden else reveal(document.filename),
        "mime": document.mime,
        "size": document.size,
        "sha256": document.sha256,
        "medical": document.medical,
        "state": document.state,
        "received_on": document.received_on,
        "received_by": document.received_by,
        "rejected_on": document.rejected_on,
        "rejection_reason": document.rejection_reason,
    }


# The claim's own fields the body takes from the aggregate (the state its decisions need).
_STATE_FIELDS = (
    "claim_number",
    "version",
    "contract",
    "guarantee",
    "event_date",
    "declared_on",
    "settlement_mode",
    "card_insurer_position_required",
    "decided_on",
    "handler",
    "closed_on",
    "withdrawn_on",
    "amount_paid",
)


def display_from_aggregate(claim: Claim) -> ClaimDisplay:
    """The display facts as the aggregate still holds them: the body's former source, kept
    for the callers that do not fold the events yet (the pages) and as the reference the
    fold is tested against (tests/application/test_claim_body.py)."""
    return ClaimDisplay(
        version=claim.version,
        subscription_number=claim.subscription_number,
        known_on=claim.known_on,
        booking_date=claim.booking_date,
        subscription_date=claim.subscription_date,
        channel=claim.channel,
        late_declaration=claim.late_declaration,
        declaration_working_days_late=claim.declaration_working_days_late,
        flags=tuple(claim.flags),
        refusal_reason=claim.refusal_reason,
        proofs_received=tuple(claim.proofs_received),
    )


def claim_body(
    claim: Claim,
    display: ClaimDisplay | None = None,
    reveal: Callable[[str], str] | None = None,
) -> ClaimPublic:
    """The claim body: the aggregate's state and the display facts of the same version
    (`ClaimsApplication.claim_display(claim)`; without them, as the aggregate holds them).
    `reveal` opens the sealed personal values (without it they read "[sealed]"); a medical
    document's name is never in the body ("[medical]")."""
    opener = reveal or _sealed
    if display is None:
        display = display_from_aggregate(claim)
    if display.version != claim.version:
        raise ValueError(f"display of v{display.version} for claim v{claim.version}")
    return ClaimPublic.model_validate(
        {
            **{f: getattr(claim, f) for f in _STATE_FIELDS},
            "subscription_number": display.subscription_number,
            "known_on": display.known_on,
            "booking_date": display.booking_date,
            "subscription_date": display.subscription_date,
            "channel": display.channel,
            "late_declaration": display.late_declaration,
            "declaration_working_days_late": display.declaration_working_days_late,
            "flags": list(display.flags),
            "refusal_reason": display.refusal_reason,
            "claim_id": claim.id,
            "status": claim.status.value,
            "cause": jsonable(claim.cause),
            "trip": jsonable(claim.trip),
            "insured": jsonable(claim.insured),
            "declarant": declarant_body(claim, opener),
            "documents": [
                document_body(d, opener, medical_reader=False)
                for d in getattr(claim, "claim_documents", [])
            ],
            "card_insurer_position": jsonable(claim.card_insurer_position),
            "proofs": ProofsPublic(
                requested=list(claim.proofs_requested),
                received=list(display.proofs_received),
                outstanding=list(claim.proofs_outstanding),
                complete=claim.proofs_complete,
            ),
            "indemnity": jsonable(claim.indemnity),
            "settlements": jsonable(claim.settlements),
            "bank_details": None
            if claim.bank_details is None
            else {
                "holder": claim.bank_details.holder,
                "iban_masked": claim.bank_details.iban_masked,
            },
            "financials": {
                "reserve": claim.reserve,
                "paid": claim.amount_paid,
                "recovered": claim.amount_recovered,
                "incurred": incurred(
                    paid=claim.amount_paid,
                    reserve=claim.reserve,
                    recovered=claim.amount_recovered,
                ),
                "payments": jsonable(claim.payments),
                "recoveries": jsonable(claim.recoveries),
            },
            "complaints": jsonable(claim.complaints),
            "mediation": jsonable(claim.mediation),
            "created_at": claim.created_on,
            "modified_at": claim.modified_on,
        }
    )


def history_entry(entry: HistoryEntry) -> HistoryEntryPublic:
    return HistoryEntryPublic(
        version=entry.version,
        type=entry.type,
        recorded_at=entry.recorded_at,
        actor=entry.actor,
        business_date=entry.business_date,
        data=jsonable(entry.data),
    )
