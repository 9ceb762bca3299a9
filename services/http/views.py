"""From domain objects to the API's bodies."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from domain.claim import Claim
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


def claim_body(claim: Claim) -> ClaimPublic:
    fields = {
        f: getattr(claim, f)
        for f in (
            "claim_number",
            "version",
            "contract",
            "guarantee",
            "subscription_number",
            "event_date",
            "known_on",
            "declared_on",
            "booking_date",
            "subscription_date",
            "settlement_mode",
            "channel",
            "late_declaration",
            "declaration_working_days_late",
            "flags",
            "card_insurer_position_required",
            "decided_on",
            "refusal_reason",
            "handler",
            "closed_on",
            "withdrawn_on",
            "amount_paid",
        )
    }
    return ClaimPublic.model_validate(
        {
            **fields,
            "claim_id": claim.id,
            "status": claim.status.value,
            "cause": jsonable(claim.cause),
            "trip": jsonable(claim.trip),
            "insured": jsonable(claim.insured),
            "card_insurer_position": jsonable(claim.card_insurer_position),
            "proofs": ProofsPublic(
                requested=list(claim.proofs_requested),
                received=list(claim.proofs_received),
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
