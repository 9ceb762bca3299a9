"""The proofs rules (rules.md "Proofs"): completeness, and the per-cause checklist."""

from __future__ import annotations

import pytest

from domain.proofs import checklist, proofs_complete


def test_a_file_is_complete_when_something_was_requested_and_nothing_is_outstanding() -> None:
    assert proofs_complete(any_requested=True, outstanding=[])
    assert not proofs_complete(any_requested=False, outstanding=[])
    assert not proofs_complete(any_requested=True, outstanding=["booking_form"])


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        # 002 "Frais d'annulation": a medical certificate for illness or accident.
        (
            {"guarantee": "cancellation", "cause_code": "illness", "medical": True},
            ["cancellation_invoice", "booking_form", "medical_certificate"],
        ),
        # 001-003: death certificate and fiche d'état civil.
        (
            {"guarantee": "cancellation", "cause_code": "death", "medical": True},
            ["cancellation_invoice", "booking_form", "death_certificate", "civil_status_record"],
        ),
        # 001 category B: any document proving the cause (e.g. the dismissal letter); the ID
        # of every insured person (001 "pièces justificatives").
        (
            {
                "guarantee": "cancellation",
                "cause_code": "economic_dismissal",
                "medical": False,
                "identity_of_each_insured": True,
            },
            ["cancellation_invoice", "booking_form", "other", "identity_document"],
        ),
        # 001 category D: no proof of the cause; bank details and ID of the account holder.
        (
            {
                "guarantee": "cancellation",
                "cause_code": "personal_reason",
                "medical": False,
                "no_proof_category": True,
                "identity_of_each_insured": True,
            },
            ["cancellation_invoice", "booking_form", "bank_details", "identity_document"],
        ),
        # 001 §1.2.4: over €10,000 per person, the card insurer's position.
        (
            {
                "guarantee": "cancellation",
                "cause_code": "serious_illness",
                "medical": True,
                "card_insurer_position": True,
            },
            [
                "cancellation_invoice",
                "booking_form",
                "medical_certificate",
                "card_insurer_position",
            ],
        ),
        # 002/003 baggage: police or carrier report.
        (
            {"guarantee": "baggage", "cause_code": "theft", "medical": False},
            ["carrier_report", "police_report"],
        ),
        # 002 flight delay: the airline's delay declaration, ticket and boarding pass.
        ({"guarantee": "flight_delay", "cause_code": "delay", "medical": False}, ["other"]),
    ],
)
def test_the_checklist_per_cause(kind: dict[str, object], expected: list[str]) -> None:
    assert checklist(**kind) == expected  # type: ignore[arg-type]
