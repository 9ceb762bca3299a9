"""The French messages, from the Jinja2 templates beside this module (api.md v2 §5 rule 2: they
name neither the cause nor a document).

A template (`<template>.txt`) has three blocks: the e-mail's `subject`, its `body` (plain text,
which `layout.html` also gives as HTML, escaped) and the `sms`. The proofs are given as codes
and shown by the labels below; a proof that would tell the cause (a medical or death
certificate, a police report...) is shown as a supporting document of the event, without its
nature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.notification import Channel, Template

TEMPLATES = Path(__file__).with_name("templates")
SMS_MAX = 320  # two SMS segments

# Proofs shown by what they are; any other proof tells the cause and is shown as this one.
PROOF_LABELS = {
    "cancellation_invoice": "la facture des frais d'annulation",
    "booking_form": "le bulletin d'inscription au voyage",
    "identity_document": "une pièce d'identité",
    "bank_details": "un relevé d'identité bancaire (RIB)",
    "card_insurer_position": "la réponse de l'assureur de votre carte bancaire",
}
EVENT_PROOF = "un justificatif de l'événement (à nous adresser sous pli confidentiel)"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    sms: str


def proof_labels(codes: list[str]) -> list[str]:
    labels: list[str] = []
    for code in codes:
        label = PROOF_LABELS.get(code, EVENT_PROOF)
        if label not in labels:
            labels.append(label)
    return labels


def _day(value: str | None) -> str:
    return format_date(date.fromisoformat(value), format="long", locale="fr_FR") if value else ""


def _amount(value: str | None) -> str:
    return format_currency(Decimal(value), "EUR", locale="fr_FR") if value else ""


class Renderer:
    """Renders a notification's messages from its template and parameters."""

    def __init__(self) -> None:
        self.text = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=False,  # noqa: S701 - plain text and SMS; the HTML is escaped below
            undefined=StrictUndefined,
            keep_trailing_newline=False,
        )
        self.html = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
        )

    def context(self, name: str, params: dict[str, Any], access_code: str | None) -> dict[str, Any]:
        return {
            "name": name,
            "claim_number": params["claim_number"],
            "proofs": proof_labels(list(params.get("proofs") or [])),
            "access_code": access_code,
            "declared_on": _day(params.get("declared_on")),
            "requested_on": _day(params.get("requested_on")),
            "paid_on": _day(params.get("paid_on")),
            "sent_on": _day(params.get("sent_on")),
            "amount": _amount(params.get("amount")),
            "decision": params.get("decision"),
            "reminder_day": params.get("reminder_day"),
        }

    def render(
        self,
        template: Template,
        *,
        name: str,
        params: dict[str, Any],
        access_code: str | None = None,
    ) -> Message:
        context = self.context(name, params, access_code)
        source = self.text.get_template(f"{template.value}.txt")
        blocks = {
            block: "".join(render(source.new_context(context))).strip()
            for block, render in source.blocks.items()
        }
        signature = self.text.get_template("_signature.txt").render(context).strip()
        text = f"{blocks['body']}\n\n{signature}\n"
        html = self.html.get_template("layout.html").render(
            subject=blocks["subject"],
            paragraphs=[_paragraph(p) for p in blocks["body"].split("\n\n") if p.strip()],
            signature=signature.splitlines(),
        )
        return Message(blocks["subject"], text, html, " ".join(blocks["sms"].split())[:SMS_MAX])


def _paragraph(text: str) -> dict[str, list[str]]:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    items = [line[2:] for line in lines if line.startswith("- ")]
    plain = [line for line in lines if not line.startswith("- ")]
    if items and not plain:
        return {"entries": items, "lines": []}
    return {"entries": [], "lines": lines}


def channel_text(message: Message, channel: Channel) -> str:
    return message.sms if channel == Channel.SMS else message.text
