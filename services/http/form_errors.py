"""What the API would answer as a problem, as French messages next to the field it names
(docs/adr/0026-command-forms.md); the messages are marked for the catalogue with N_."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from domain.errors import ClaimError, InvalidClaimData, VersionMismatch
from services.http.forms import N_
from services.http.problems import HTTPProblem
from services.ownership import NotYourClaim

MESSAGES = {
    "missing": N_("Required."),
    "string_too_short": N_("Required."),
    "enum": N_("Not one of the choices."),
    "literal_error": N_("Not one of the choices."),
    "extra_forbidden": N_("Not a field of this form."),
    "too_short": N_("Choose at least one."),
    "too_long": N_("Too many."),
    "int_type": N_("A whole number."),
    "int_parsing": N_("A whole number."),
    "greater_than_equal": N_("Too small."),
    "less_than_equal": N_("Too large."),
    "implausible_date": N_("Implausible date: not before 1 January 2000, nor in the future."),
}
# The API's rules (problem types) the forms can meet, in words.
RULES = {
    "invalid-claim-data": N_("Refused: this value does not fit the claim or its contract."),
    "dates-out-of-order": N_("The dates are not in order."),
    "too-many-insured": N_("Too many insured people for the contract."),
    "claim-closed": N_("The claim is closed."),
    "claim-withdrawn": N_("The claim has been withdrawn."),
    "proofs-incomplete": N_("Proofs are still outstanding."),
    "card-insurer-position-required": N_("The card insurer's position is required first."),
    "claim-already-assessed": N_("The claim has already been assessed."),
    "claim-not-accepted": N_("The claim has not been accepted."),
    "settlement-of-refused-claim": N_("A refused claim is not paid."),
    "claim-already-settled": N_("The indemnity has already been paid."),
    "settlement-mode-not-allowed": N_("This settlement mode is not allowed for the claim."),
    "indemnity-unpaid": N_("The indemnity has not been paid yet."),
    "withdrawal-after-settlement": N_("A paid claim cannot be withdrawn."),
    "claim-not-reopenable": N_("The claim cannot be reopened."),
    "unknown-complaint": N_("Unknown complaint."),
    "complaint-already-acknowledged": N_("The complaint has already been acknowledged."),
    "complaint-already-answered": N_("The complaint has already been answered."),
    "complaint-not-answered": N_("The complaint has not been answered yet."),
    "complaint-already-escalated": N_("The complaint has already been escalated."),
    "mediation-without-written-complaint": N_("Mediation needs a written complaint first."),
    "mediation-premature": N_("Too early to refer to the mediator."),
    "mediation-too-late": N_("Too late to refer to the mediator."),
    "mediation-already-referred": N_("Already referred to the mediator."),
    "mediation-not-referred": N_("Not referred to the mediator."),
    "mediation-already-concluded": N_("The mediator has already given an opinion."),
    "not-your-claim": N_("This claim is assigned to another handler."),
    # Money (docs/adr/0027-money-ledger.md)
    "reserve-over-authority": N_("This reserve is above your authority limit."),
    "payment-exceeds-indemnity": N_("The payments would exceed the accepted indemnity."),
    "final-amount-mismatch": N_("A final payment pays exactly the rest of the indemnity."),
    "supplement-without-reopening": N_("A supplement is paid only on a reopened claim."),
    "unknown-payment": N_("Unknown payment."),
    "payment-not-pending-approval": N_("This payment is not awaiting approval."),
    "approver-is-requester": N_("A payment is approved by a manager other than its requester."),
    "approval-over-authority": N_("This payment is above your authority limit."),
    "payment-not-approved": N_("This payment has not been approved."),
    "payment-not-issued": N_("This payment has not been issued."),
    "payment-already-issued": N_("This payment has already been issued."),
    "payment-not-cancellable": N_("This payment can no longer be cancelled."),
    "payment-in-progress": N_("Another payment is awaiting approval or issuance."),
    "approval-required": N_("Above your authority limit: request a payment for approval."),
    "unknown-recovery": N_("Unknown recovery."),
    "recovery-without-payment": N_("Nothing has been paid on this claim to recover."),
    "recovery-exceeds-paid": N_("The recoveries would exceed what was paid."),
    "recovery-not-expected": N_("This recovery is no longer expected."),
    "version-mismatch": N_("The claim has changed since this page was shown: reload it."),
    "concurrent-update": N_("The claim has changed since this page was shown: reload it."),
}
STALE = RULES["version-mismatch"]
HANDLER_UNKNOWN = N_("Not the user id of a handler.")
OTHER_ERROR = N_("Refused.")


@dataclass
class FormOutcome:
    """A form refused: its messages by field (`""` for the form itself) and the status."""

    status: int
    errors: dict[str, str] = field(default_factory=dict)


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path", "header"))


def _message_of(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in MESSAGES:
        return MESSAGES[kind]
    if kind == "implausible":  # a check after parsing (the assignment's handler)
        return HANDLER_UNKNOWN
    msg = str(error.get("msg", ""))
    if "date" in msg.lower():
        return N_("A date, as the calendar gives it.")
    if "money" in msg.lower() or "amount" in msg.lower() or "decimal" in msg.lower():
        return N_("An amount with at most two decimals, e.g. 1200,00.")
    return N_("Invalid value.")


def validation_outcome(errors: list[Any]) -> FormOutcome:
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(_field_name(tuple(error.get("loc", ()))) or "", _message_of(error))
    return FormOutcome(422, found)


def error_outcome(exc: Exception) -> FormOutcome:
    """The French for what the API would answer with a problem document."""
    if isinstance(exc, ValidationError | RequestValidationError):
        return validation_outcome(list(exc.errors()))
    if isinstance(exc, VersionMismatch):
        return FormOutcome(412, {"": STALE})
    if isinstance(exc, NotYourClaim):
        return FormOutcome(403, {"": RULES["not-your-claim"]})
    if isinstance(exc, InvalidClaimData):
        message = RULES.get(exc.rule, RULES["invalid-claim-data"])
        return FormOutcome(422, {exc.field.split("[")[0]: message, "": message})
    if isinstance(exc, ClaimError):
        return FormOutcome(409, {"": RULES.get(exc.rule, OTHER_ERROR)})
    if isinstance(exc, HTTPProblem):
        return FormOutcome(exc.status, {"": OTHER_ERROR})
    raise exc
