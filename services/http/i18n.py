"""The pages' language: French first, English only by an explicit switch (docs/adr/0023).

The French catalogue is services/http/locale/fr/LC_MESSAGES/messages.po, with the English
texts as message ids. It is read and compiled in memory when this module is imported (Babel's
`read_po` and `write_mo`), so no compiled `.mo` file is kept in the repository or needed at
build time: `make run` and `make test` on a fresh machine use the `.po` as it is. A message
missing from the catalogue shows in English, and tests/services/test_i18n.py fails on it.

Amounts, numbers and dates are formatted by Babel for the page's locale (fr_FR, or en_GB when
switched): `16 826,66 €` with its narrow no-break space, `17 avril 2026`. Codes (statuses,
clocks, event types, causes, documents...) are never shown raw: `label(kind, code)` gives
their words, through the catalogue.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context

LANGUAGES = {"fr": "fr_FR", "en": "en_GB"}
DEFAULT_LANGUAGE = "fr"
LANGUAGE_COOKIE = "claims_lang"
CATALOGUE = Path(__file__).with_name("locale") / "fr" / "LC_MESSAGES" / "messages.po"


def _compile(po_file: Path) -> Translations:
    with po_file.open("rb") as source:
        catalog = read_po(source, locale="fr")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


TRANSLATIONS: dict[str, NullTranslations] = {
    "fr": _compile(CATALOGUE),
    "en": NullTranslations(),
}

# The words for each code the pages show, in English (the catalogue's message ids).
LABELS: dict[str, dict[str, str]] = {
    "status": {
        "declared": "Declared",
        "proofs_requested": "Proofs requested",
        "proofs_complete": "Proofs complete",
        "awaiting_card_insurer": "Awaiting the card insurer",
        "accepted": "Accepted",
        "refused": "Refused",
        "settled": "Paid",
        "closed": "Closed",
        "withdrawn": "Withdrawn",
    },
    "clock": {
        "declaration": "Declaration deadline",
        "complaint_acknowledgement": "Complaint acknowledgement",
        "complaint_answer": "Complaint answer",
        "handling": "Handling",
        "payment": "Payment",
        "mediation_referral": "Referral to the mediator",
        "prescription": "Prescription",
    },
    "clock_state": {
        "running": "Running",
        "at_risk": "At risk",
        "breached": "Breached",
        "met": "Met",
        "missed": "Missed",
    },
    "event": {
        "Declared": "Claim declared",
        "HandlerAssigned": "Handler assigned",
        "ProofsRequested": "Proofs requested",
        "ProofReceived": "Proof received",
        "CardInsurerPositionReceived": "Card insurer's position received",
        "Accepted": "Indemnity accepted",
        "Refused": "Claim refused",
        "Settled": "Indemnity paid",
        "Closed": "Claim closed",
        "Withdrawn": "Claim withdrawn",
        "Reopened": "Claim reopened",
        "ComplaintOpened": "Complaint received",
        "ComplaintAcknowledged": "Complaint acknowledged",
        "ComplaintAnswered": "Complaint answered",
        "ComplaintEscalated": "Complaint escalated (recours)",
        "MediationReferred": "Referred to the mediator",
        "MediationConcluded": "Mediator's opinion",
        "PrescriptionInterrupted": "Prescription interrupted",
        "NoteAdded": "Note added",
        "ReserveSet": "Reserve set",
        "ReserveAdjusted": "Reserve adjusted",
        "ReserveReleased": "Reserve released",
        "PaymentRequested": "Payment requested",
        "PaymentApproved": "Payment approved",
        "PaymentRejected": "Payment rejected",
        "PaymentIssued": "Payment issued",
        "PaymentFailed": "Payment failed",
        "PaymentReturned": "Payment returned",
        "PaymentCancelled": "Payment cancelled",
        "RecoveryExpected": "Recovery expected",
        "RecoveryReceived": "Recovery received",
        "RecoveryWrittenOff": "Recovery written off",
        "ComplaintQualified": "Complaint qualified",
        "CorrectiveActionRecorded": "Corrective action recorded",
        "CorrectiveActionCompleted": "Corrective action completed",
        "AccessCodeIssued": "Access code issued",
        "BankDetailsGiven": "Bank details given",
        "DocumentReceived": "Document received",
        "DocumentRejected": "Document rejected",
        "PersonalDataErased": "Personal data erased",
    },
    "guarantee": {
        "cancellation": "Trip cancellation",
        "interruption": "Trip interruption",
        "baggage": "Baggage",
        "flight_delay": "Flight delay",
        "missed_departure": "Missed departure",
    },
    "cause": {
        "serious_illness": "Serious illness",
        "serious_accident": "Serious accident",
        "death": "Death",
        "economic_dismissal": "Economic dismissal",
        "visa_refusal": "Visa refused",
        "home_damage": "Serious damage to the home",
        "unforeseeable_event": "Unforeseeable event",
        "personal_reason": "Personal reason",
        "illness": "Illness",
        "accident": "Accident",
        "dismissal": "Dismissal",
        "job_transfer": "Job transfer",
        "exam_resit": "Exam resit",
    },
    "document": {
        "medical_certificate": "Medical certificate",
        "death_certificate": "Death certificate",
        "civil_status_record": "Civil status record",
        "cancellation_invoice": "Cancellation invoice",
        "booking_form": "Booking form",
        "identity_document": "Identity document",
        "bank_details": "Bank details",
        "card_insurer_position": "Card insurer's position",
        "police_report": "Police report",
        "carrier_report": "Carrier's report",
        "other": "Other document",
    },
    "channel": {
        "online": "Online",
        "email": "Email",
        "post": "Post",
        "phone": "Phone",
        "agency": "Agency",
    },
    "flag": {
        "late_declaration": "Late declaration",
        "event_before_subscription": "Event before subscription",
        "subscription_after_window": "Subscription after the window",
    },
    "stage": {
        "received": "Complaints received",
        "acknowledged": "Acknowledged",
        "answered": "Answers sent",
        "escalated": "Recours received",
        "mediation_referred": "Referred to the mediator",
        "mediation_concluded": "Mediator's opinions",
    },
    "indemnity_step": {
        "accepted": "accepted",
        "refused": "refused",
        "reopened": "reopened",
        "paid": "paid",
        "failed": "payment failed",
        "returned": "payment returned",
    },
    "action": {
        "acknowledge the complaint": "Acknowledge the complaint",
        "answer the complaint": "Answer the complaint",
        "assess the claim": "Assess the claim",
        "pay the indemnity": "Pay the indemnity",
        "request the proofs": "Request the proofs",
        "chase the missing proofs": "Chase the missing proofs",
        "obtain the card insurer's position": "Obtain the card insurer's position",
        "close the claim": "Close the claim",
    },
    "card_decision": {"paid": "Paid by the card insurer", "refused": "Refused by the card insurer"},
    "mode": {"cash": "Transfer", "voucher": "Voucher", "transfer": "Transfer", "cheque": "Cheque"},
    "payment_decision": {"approve": "Approve", "reject": "Reject"},
    "payment_kind": {"partial": "Partial", "final": "Final", "supplement": "Supplement"},
    "payment_state": {
        "pending_approval": "Awaiting approval",
        "approved": "Approved",
        "rejected": "Rejected",
        "issued": "Issued",
        "failed": "Failed",
        "returned": "Returned",
        "cancelled": "Cancelled",
    },
    "recovery_source": {
        "card_insurer": "Card insurer",
        "carrier": "Carrier",
        "third_party": "Third party",
        "other_insurer": "Other insurer",
    },
    "recovery_state": {
        "expected": "Expected",
        "received": "Received",
        "written_off": "Written off",
    },
    "complaint_channel": {
        "letter": "Letter",
        "registered_letter": "Registered letter",
        "email": "Email",
        "web_form": "Web form",
        "phone": "Phone",
        "in_person": "In person",
    },
    "complaint_outcome": {
        "upheld": "Upheld",
        "partially_upheld": "Partly upheld",
        "rejected": "Rejected",
    },
    "prescription_act": {
        "expert_appointed": "Expert appointed",
        "registered_letter": "Registered letter with acknowledgement",
        "insurer_acknowledgement": "Insurer's acknowledgement of the right",
        "court_action": "Court action",
    },
    "mediation_outcome": {
        "in_favour_of_insured": "In favour of the insured",
        "in_favour_of_insurer": "In favour of the insurer",
        "partial": "Partly in favour of the insured",
    },
    # The dashboard's figures (projections/dashboard/queries.py DEFINITIONS), by key.
    "figure": {
        "claims": "Claims",
        "open_claims": "Claims not closed",
        "by_status": "Claims by status",
        "by_contract": "Claims by contract",
        "status_groups.in_progress": "In progress",
        "status_groups.awaiting_closure": "Awaiting closure",
        "status_groups.closed": "Closed or withdrawn",
        "ageing": "Age of the claims not closed",
        "sla": "SLA clocks",
        "breached_clocks": "Breached clocks",
        "at_risk_clocks": "Clocks at risk",
        "open_complaints": "Open complaints",
        "open_mediations": "Open mediations",
        "complaint_stages": "Complaint and mediation stages reached",
        "indemnities.accepted": "Indemnities accepted",
        "indemnities.paid": "Indemnities paid",
        "indemnities.paid_on_current_acceptances": "Paid on the current acceptances",
        "indemnities.paid_before_reopening": "Paid before a reopening",
        "indemnities.accepted_this_month": "Accepted this month",
        "indemnities.paid_this_month": "Paid this month",
        "money.outstanding_reserve": "Outstanding reserve",
        "money.paid_by_month": "Paid per month",
        "money.recovered_by_month": "Recovered per month",
        "money.incurred_by_contract": "Incurred by contract",
    },
    # The keys of a claim's body (services/http/views.py), as the audit page names them.
    "field": {
        "amount": "Amount",
        "amount_paid": "Amount paid",
        "approval_required": "Approval required",
        "acknowledged_on": "Acknowledged on",
        "action": "Action",
        "action_id": "Action number",
        "answered_on": "Answered on",
        "bank_details": "Bank details",
        "bank_reference": "Bank reference",
        "basis": "Basis",
        "booking_date": "Booked on",
        "cancelled_by": "Cancelled by",
        "cancelled_on": "Cancelled on",
        "capped_per_event": "Capped per event",
        "capped_per_person": "Capped per person",
        "card_insurer_deduction": "Card insurer's deduction",
        "card_insurer_position": "Card insurer's position",
        "card_insurer_position_required": "Card insurer's position required",
        "category": "Cause category",
        "cause": "Cause",
        "channel": "Channel",
        "claim_id": "Claim id",
        "claim_number": "Claim number",
        "closed_by": "Closed by",
        "closed_on": "Closed on",
        "code": "Cause",
        "complaint_id": "Complaint number",
        "complaints": "Complaints",
        "complete": "Complete",
        "contract": "Contract",
        "corrective_actions": "Corrective actions",
        "created_at": "Created at",
        "currency": "Currency",
        "decided_by": "Decided by",
        "decided_on": "Decided on",
        "decision": "Decision",
        "decision_reason": "Reason of the decision",
        "declaration_working_days_late": "Working days late",
        "declared_on": "Declared on",
        "deductible": "Deductible",
        "departure_date": "Departure",
        "description": "Description",
        "destination": "Destination",
        "done_on": "Done on",
        "due_on": "Due on",
        "escalated_on": "Recours received on",
        "event_date": "Event date",
        "expected_by": "Expected by",
        "expected_on": "Expected on",
        "failed_on": "Failed on",
        "failure_reason": "Reason of the failure",
        "financials": "Money",
        "flags": "Flags",
        "guarantee": "Guarantee",
        "handler": "Handler",
        "holder": "Account holder",
        "iban_masked": "IBAN (masked)",
        "incurred": "Incurred",
        "indemnity": "Indemnity",
        "insured": "Insured",
        "issued_by": "Issued by",
        "issued_on": "Issued on",
        "kind": "Kind",
        "known_on": "Known on",
        "late_declaration": "Late declaration",
        "mediation": "Mediation",
        "mode": "Mode",
        "modified_at": "Modified at",
        "motive": "Motive",
        "name": "Name",
        "outcome": "Outcome",
        "outstanding": "Outstanding",
        "owner": "Owner",
        "paid": "Paid",
        "paid_on": "Paid on",
        "payable": "Payable",
        "payee": "Payee",
        "payment_id": "Payment number",
        "payments": "Payments",
        "per_insured": "Per insured",
        "proofs": "Proofs",
        "qualified_on": "Qualified on",
        "reason": "Reason",
        "received": "Received",
        "received_amount": "Amount received",
        "received_on": "Received on",
        "recorded_on": "Recorded on",
        "recours_answered_on": "Recours answered on",
        "recours_outcome": "Outcome of the recours",
        "recovered": "Recovered",
        "recoveries": "Recoveries",
        "recovery_id": "Recovery number",
        "reference": "Payment reference",
        "referred_on": "Referred on",
        "refusal_reason": "Reason of the refusal",
        "requested": "Requested",
        "requested_by": "Requested by",
        "requested_on": "Requested on",
        "reserve": "Reserve",
        "return_date": "Return",
        "root_cause": "Root cause",
        "sent_on": "Sent on",
        "settlement_mode": "Settlement mode",
        "settlements": "Settlements",
        "source": "From",
        "state": "State",
        "status": "Status",
        "subrogation": "Subrogation (the insurer takes over the insured's rights)",
        "subscription_date": "Subscribed on",
        "subscription_number": "Subscription number",
        "summary": "Summary",
        "total": "Total",
        "trace": "Calculation trace",
        "transport_price": "Transport price",
        "trip": "Trip",
        "trip_price": "Trip price",
        "version": "Version",
        "withdrawn_on": "Withdrawn on",
        "write_off_reason": "Reason of the write-off",
        "written_off_on": "Written off on",
    },
    "category": {
        "A": "Category A",
        "B": "Category B",
        "C": "Category C",
        "D": "Category D",
        "medical": "Medical cause",
        "other": "Other cause",
    },
}


def language_of(cookie: str | None, query: str | None = None) -> str:
    """The page's language: `?lang=` when given, else the cookie, else French. The
    browser's Accept-Language is not read: the back office is French whatever it says."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    return DEFAULT_LANGUAGE


def gettext(language: str, message: str) -> str:
    return TRANSLATIONS[language].gettext(message)


def label(language: str, kind: str, code: object) -> str:
    """The words for a code, never the code itself (an unknown one is spelled out)."""
    text = str(code.value if hasattr(code, "value") else code)
    words = LABELS.get(kind, {}).get(text)
    if words is None:
        words = text.replace("_", " ").capitalize()
    return gettext(language, words)


def money(language: str, amount: Decimal | str | int | None, currency: str = "EUR") -> str:
    if amount is None or amount == "":
        return "—"
    return str(format_currency(Decimal(str(amount)), currency, locale=LANGUAGES[language]))


def number(language: str, value: int | Decimal | float | None) -> str:
    if value is None:
        return "—"
    return str(format_decimal(value, locale=LANGUAGES[language]))


def percent(language: str, value: float | None) -> str:
    if value is None:
        return "—"
    return str(format_percent(value / 100, format="#,##0.#\u00a0%", locale=LANGUAGES[language]))


def day(language: str, value: date | str | None, form: str = "long") -> str:
    if value is None or value == "":
        return "—"
    when = date.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(when, form, locale=LANGUAGES[language]))


def month(language: str, value: str) -> str:
    """A calendar month given as YYYY-MM, in words ("octobre 2026")."""
    year, number = (int(part) for part in value.split("-"))
    return str(format_date(date(year, number, 1), "LLLL y", locale=LANGUAGES[language]))


def moment(language: str, value: datetime | None) -> str:
    """A recorded time, in UTC (the store's), to the second."""
    if value is None:
        return "—"
    return (
        str(
            format_datetime(value.astimezone(UTC), "medium", tzinfo=UTC, locale=LANGUAGES[language])
        )
        + " UTC"
    )


def _lang(context: Context) -> str:
    found = context.get("lang", DEFAULT_LANGUAGE)
    return found if found in LANGUAGES else DEFAULT_LANGUAGE


def install(environment: Any) -> None:
    """The gettext callables, `label` and the Babel filters, in a Jinja environment whose
    templates get `lang` from their context."""
    environment.add_extension("jinja2.ext.i18n")

    @pass_context
    def _gettext(context: Context, message: str, **variables: Any) -> str:
        text = gettext(_lang(context), message)
        return text % variables if variables else text

    @pass_context
    def _ngettext(context: Context, one: str, many: str, n: int, **variables: Any) -> str:
        text = TRANSLATIONS[_lang(context)].ngettext(one, many, n)
        return text % {"num": n, **variables}

    environment.install_gettext_callables(_gettext, _ngettext, newstyle=False)
    environment.globals["_"] = _gettext

    def with_lang(function: Any) -> Any:
        @pass_context
        def bound(context: Context, *args: Any) -> Any:
            return function(_lang(context), *args)

        return bound

    environment.filters["money"] = with_lang(money)
    environment.filters["number"] = with_lang(number)
    environment.filters["percent"] = with_lang(percent)
    environment.filters["day"] = with_lang(day)
    environment.filters["month"] = with_lang(month)
    environment.filters["moment"] = with_lang(moment)
    environment.globals["label"] = with_lang(label)
