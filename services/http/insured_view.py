"""The insured's view of their claim (api.md v2 §3): what they may know, in French.

Built from the claim and its events, never from the staff's body: no reserve, notes, handler,
amounts of other people's work, nor any document's name (rule 2). The timeline lists the facts
that concern the insured, each with its business date and its French label.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from domain.claim import Claim
from domain.ledger import PaymentState
from services.application import ClaimsApplication
from services.http import i18n
from services.http.schemas import BankDetailsPublic, MoneyOut

LANGUAGE = "fr"
# The events the insured sees on their timeline (the others are the back office's own work).
TIMELINE_EVENTS = frozenset(
    {
        "Declared",
        "ProofsRequested",
        "ProofReceived",
        "CardInsurerPositionReceived",
        "Accepted",
        "Refused",
        "Settled",
        "PaymentIssued",
        "PaymentFailed",
        "PaymentReturned",
        "Closed",
        "Withdrawn",
        "Reopened",
        "ComplaintOpened",
        "ComplaintAcknowledged",
        "ComplaintAnswered",
        "MediationReferred",
        "MediationConcluded",
        "AccessCodeIssued",
        "BankDetailsGiven",
        "DocumentReceived",
        "DocumentRejected",
    }
)
# Payments the insured hears of: not the ones still being approved or turned down inside.
VISIBLE_PAYMENTS = frozenset(
    {PaymentState.APPROVED, PaymentState.ISSUED, PaymentState.FAILED, PaymentState.RETURNED}
)


class TimelineItem(BaseModel):
    on: date
    label: str


class ProofItem(BaseModel):
    code: str
    label: str
    state: str  # outstanding | received


class InsuredPayment(BaseModel):
    payment_id: str
    amount: MoneyOut
    state: str
    state_label: str
    mode: str
    requested_on: date
    issued_on: date | None
    iban_masked: str | None


class InsuredView(BaseModel):
    """What the insured sees of their claim."""

    claim_number: str
    status: str
    status_label: str
    timeline: list[TimelineItem]
    proofs: list[ProofItem]
    handling_promise_on: date | None
    payments: list[InsuredPayment]
    bank_details: BankDetailsPublic | None


class PortalDeclarationPublic(InsuredView):
    """The portal's 201: the view and the access code, shown this once (null on a replay)."""

    access_code: str | None


def insured_view(app: ClaimsApplication, claim: Claim) -> InsuredView:
    timeline = [
        TimelineItem(on=entry.business_date, label=i18n.label(LANGUAGE, "event", entry.type))
        for entry in app.history(claim.id)
        if entry.type in TIMELINE_EVENTS and entry.version <= claim.version
    ]
    proofs = [
        ProofItem(
            code=code,
            label=i18n.label(LANGUAGE, "document", code),
            state="outstanding" if code in claim.proofs_outstanding else "received",
        )
        for code in claim.proofs_requested
    ]
    payments = [
        InsuredPayment(
            payment_id=p.payment_id,
            amount=Decimal(p.amount),
            state=p.state,
            state_label=i18n.label(LANGUAGE, "payment_state", p.state),
            mode=p.mode,
            requested_on=p.requested_on,
            issued_on=p.issued_on,
            iban_masked=p.iban_masked,
        )
        for p in claim.payments
        if p.state in VISIBLE_PAYMENTS
    ]
    bank: dict[str, Any] | None = None
    if claim.bank_details is not None:
        bank = {"holder": claim.bank_details.holder, "iban_masked": claim.bank_details.iban_masked}
    return InsuredView(
        claim_number=claim.claim_number,
        status=claim.status.value,
        status_label=i18n.label(LANGUAGE, "status", claim.status),
        timeline=timeline,
        proofs=proofs,
        handling_promise_on=app.handling_promise(claim),
        payments=payments,
        bank_details=None if bank is None else BankDetailsPublic.model_validate(bank),
    )
