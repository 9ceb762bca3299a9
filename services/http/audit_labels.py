"""The audit page's fields and values in words (docs/adr/0023): a claim body's dotted keys
(`financials.payments.0.state`) as French labels (`Argent / Paiements / n° 1 / État`), and
its values as the claim page shows them (codes by their label, dates and amounts by Babel).
The raw key stays in the page as `data-code`, never as text."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from services.http import i18n

MONEY = {
    "amount",
    "amount_paid",
    "basis",
    "capped_per_event",
    "capped_per_person",
    "card_insurer_deduction",
    "deductible",
    "incurred",
    "paid",
    "payable",
    "received_amount",
    "recovered",
    "reserve",
    "total",
    "transport_price",
    "trip_price",
}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def field_label(lang: str, dotted: str) -> str:
    """`proofs.received.0` -> `Pièces / Reçues / n° 1` (a list item by its rank)."""
    words = []
    for part in dotted.split("."):
        if part.isdigit():
            words.append(i18n.gettext(lang, "no. %(n)s") % {"n": int(part) + 1})
        else:
            words.append(i18n.label(lang, "field", part))
    return " / ".join(words)


def _code_kind(parts: list[str]) -> str | None:
    """The i18n.label kind of the codes a key holds, if it holds codes."""
    names = [p for p in parts if not p.isdigit()]
    last = names[-1] if names else ""
    if parts[0] == "proofs" and last in ("requested", "received", "outstanding"):
        return "document"
    in_complaint = parts[0] == "complaints"
    kinds = {
        "status": "status",
        "guarantee": "guarantee",
        "category": "category",
        "code": "cause",
        "flags": "flag",
        "settlement_mode": "mode",
        "mode": "mode",
        "kind": "payment_kind",
        "source": "recovery_source",
        "channel": "complaint_channel" if in_complaint else "channel",
        "outcome": "complaint_outcome" if in_complaint else "mediation_outcome",
        "recours_outcome": "complaint_outcome",
        "decision": "card_decision" if parts[0] == "card_insurer_position" else None,
        "state": "payment_state" if "payments" in names else "recovery_state",
    }
    return kinds.get(last)


def field_value(lang: str, dotted: str, value: str) -> str:
    """A value of the body as the claim page shows it."""
    if value == "":
        return ""
    parts = dotted.split(".")
    if value in ("True", "False"):
        return i18n.gettext(lang, "yes") if value == "True" else i18n.gettext(lang, "no")
    kind = _code_kind(parts)
    if kind is not None:
        return i18n.label(lang, kind, value)
    last = [p for p in parts if not p.isdigit()][-1]
    if last in MONEY:
        try:
            return i18n.money(lang, Decimal(value))
        except InvalidOperation:
            return value
    if _DAY.match(value):
        return i18n.day(lang, date.fromisoformat(value))
    if _MOMENT.match(value):
        try:
            return i18n.moment(lang, datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def labelled(lang: str, lines: dict[str, str]) -> list[tuple[str, str, str]]:
    """(key, label, value) of each line of a flattened body."""
    return [(key, field_label(lang, key), field_value(lang, key, v)) for key, v in lines.items()]
