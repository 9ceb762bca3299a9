"""The templates (api.md v2 §5 rule 2): French, and they name neither the cause nor a document."""

from __future__ import annotations

import re

import pytest

from domain.notification import Channel, Template
from domain.values import Document
from services.http.i18n import LABELS, label
from services.notifications.render import (
    EVENT_PROOF,
    PROOF_LABELS,
    SMS_MAX,
    TEMPLATES,
    Renderer,
    channel_text,
    proof_labels,
)

PARAMS = {
    "claim_number": "S20000001",
    "declared_on": "2026-03-04",
    "requested_on": "2026-03-05",
    "paid_on": "2026-03-20",
    "sent_on": "2026-03-21",
    "amount": "550.00",
    "decision": "accepted",
    "reminder_day": 15,
    "proofs": [d.value for d in Document],
}
# Words that tell the cause or a document's nature (French and the codes themselves).
CAUSE_WORDS = re.compile(
    r"médic|medic|maladi|malad|hospital|décès|deces|death|accident|grossesse|"
    r"certificat|police|vol\b|licenci|cambriol|état civil|etat civil|transporteur|"
    r"\bcause\b|motif",
    re.IGNORECASE,
)


def causes() -> set[str]:
    """Every cause code, with its English and French labels (the pages' catalogue)."""
    codes = set(LABELS["cause"])
    return codes | {label(language, "cause", code) for code in codes for language in ("en", "fr")}


def documents(*, telling_the_cause_only: bool) -> set[str]:
    """Document codes and their labels (those that tell the cause only, or all)."""
    codes = {d.value for d in Document}
    if telling_the_cause_only:
        codes -= set(PROOF_LABELS)
    return codes | {
        label(language, "document", code) for code in codes for language in ("en", "fr")
    }


def test_the_template_sources_name_no_cause_and_no_document() -> None:
    sources = sorted(TEMPLATES.glob("*"))
    assert len(sources) == len(Template) + 2  # + the signature and the HTML layout
    for source in sources:
        text = source.read_text(encoding="utf-8")
        assert not CAUSE_WORDS.search(text), (source.name, CAUSE_WORDS.search(text))
        for name in causes() | documents(telling_the_cause_only=False):
            assert name.lower() not in text.lower(), (source.name, name)


@pytest.mark.parametrize("template", list(Template))
def test_every_message_is_french_and_tells_nothing_of_the_cause(template: Template) -> None:
    message = Renderer().render(
        template, name="Jeanne Martin", params=PARAMS, access_code="K7M2Q9XR"
    )
    for text in (message.subject, message.text, message.html, message.sms):
        assert "S20000001" in text
        assert not CAUSE_WORDS.search(text), (template, CAUSE_WORDS.search(text))
        for name in causes() | documents(telling_the_cause_only=True):
            assert name.lower() not in text.lower(), (template, name)
    assert "Bonjour Jeanne Martin" in message.text
    assert "<p>Bonjour Jeanne Martin,</p>" in message.html
    assert len(channel_text(message, Channel.SMS)) <= SMS_MAX


def test_a_proof_that_would_tell_the_cause_is_shown_as_a_supporting_document() -> None:
    labels = proof_labels(["medical_certificate", "death_certificate", "booking_form"])
    assert labels == [EVENT_PROOF, PROOF_LABELS["booking_form"]]


def test_the_receipt_gives_the_number_the_code_and_the_proofs() -> None:
    message = Renderer().render(
        Template.DECLARATION_RECEIPT,
        name="Jeanne Martin",
        params={**PARAMS, "proofs": ["cancellation_invoice", "identity_document"]},
        access_code="K7M2Q9XR",
    )
    assert "S20000001" in message.subject
    assert "K7M2Q9XR" in message.text
    assert "- la facture des frais d'annulation\n- une pièce d'identité" in message.text
    assert "4 mars 2026" in message.text
    assert "K7M2Q9XR" in message.sms


def test_names_are_escaped_in_the_html() -> None:
    message = Renderer().render(
        Template.PROOFS_COMPLETE, name="<script>x</script>", params=PARAMS, access_code=None
    )
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
