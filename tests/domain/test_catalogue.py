from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.catalogue import ContractTerms, DeductibleRule, DeductibleTier, load_catalogue
from domain.values import Guarantee


def test_the_three_contracts_load_and_validate() -> None:
    catalogue = load_catalogue()
    assert sorted(catalogue.contracts) == ["CA2624", "CORSAIR_7906011", "MULTIASSISTANCE_PLUS"]


def test_only_ca2624_requires_the_card_insurer_position_strictly_over_10000() -> None:
    catalogue = load_catalogue()
    ca = catalogue.contracts["CA2624"]
    assert ca.requires_card_insurer_position([Decimal("10000.01")])
    assert not ca.requires_card_insurer_position([Decimal("10000.00")])
    for code in ("MULTIASSISTANCE_PLUS", "CORSAIR_7906011"):
        assert not catalogue.contracts[code].requires_card_insurer_position([Decimal("99999")])


def test_a_contract_file_with_inconsistent_categories_is_refused() -> None:
    with pytest.raises(ValidationError, match="medical_categories"):
        ContractTerms(
            code="X",
            name="x",
            insurer="x",
            handled_by="x",
            source="x",
            guarantees={},
            cause_categories=("other",),
            medical_categories=("medical",),
            max_insured_per_file=9,
        )


def test_a_cancellation_guarantee_without_a_fee_scale_is_refused() -> None:
    with pytest.raises(ValidationError, match="fee_scale"):
        ContractTerms.model_validate(
            {
                "code": "X",
                "name": "x",
                "insurer": "x",
                "handled_by": "x",
                "source": "x",
                "guarantees": {"cancellation": {"cap_per_person": "100.00"}},
                "cause_categories": ["other"],
                "medical_categories": [],
                "max_insured_per_file": 9,
            }
        )


def test_deductible_tiers_must_end_open_and_ascend() -> None:
    with pytest.raises(ValidationError, match="last tier"):
        DeductibleRule(tiers=(DeductibleTier(up_to_trip_price_per_person=Decimal("2000.00")),))
    with pytest.raises(ValidationError, match="either fixed_per_person or percent"):
        DeductibleTier(fixed_per_person=Decimal("50.00"), percent=Decimal("5"))


def test_ca2624_tiers_at_2000_per_person_take_the_lower_tier_at_exactly_2000() -> None:
    cancellation = load_catalogue().contracts["CA2624"].guarantees[Guarantee.CANCELLATION]
    rule = cancellation.deductible_rule("A", "serious_illness", "cash")
    assert rule is not None
    assert rule.tier_for(Decimal("2000.00")).fixed_per_person == Decimal("50.00")
    assert rule.tier_for(Decimal("2000.01")).fixed_per_person == Decimal("100.00")


def test_category_d_deductible_depends_on_the_settlement_mode() -> None:
    cancellation = load_catalogue().contracts["CA2624"].guarantees[Guarantee.CANCELLATION]
    cash = cancellation.deductible_rule("D", "personal", "cash")
    voucher = cancellation.deductible_rule("D", "personal", "voucher")
    assert cash is not None
    assert cash.tiers[0].percent == Decimal("20")
    assert voucher is not None
    assert voucher.tiers[0] == DeductibleTier()


def test_the_medical_reference_date_is_a_contract_setting() -> None:
    """Domain rules §7 decision: 001 (§1.2.3 "première manifestation de la maladie") and 003
    (frais d'annulation, "à compter de la première manifestation") read the fee scale at the
    first manifestation, 002 ("à la date de la contre indication") at the contra-indication."""
    contracts = load_catalogue().contracts
    assert {code: terms.medical_reference_date for code, terms in contracts.items()} == {
        "CA2624": "first_manifestation",
        "CORSAIR_7906011": "first_manifestation",
        "MULTIASSISTANCE_PLUS": "contraindication",
    }
    with pytest.raises(ValidationError, match="medical_reference_date"):
        ContractTerms.model_validate(
            {**contracts["CA2624"].model_dump(), "medical_reference_date": "cancellation"}
        )


def test_corsair_names_its_three_25_percent_causes() -> None:
    """003 frais d'annulation: congés payés supprimés ou modifiés par l'employeur, mutation
    professionnelle, vol de la carte d'identité / du passeport ou impossibilité de refaire les
    visas: "Une franchise de 25 % reste à votre charge"."""
    corsair = load_catalogue().contracts["CORSAIR_7906011"]
    rule = corsair.guarantees[Guarantee.CANCELLATION].deductibles[0]
    assert rule.cause_codes == (
        "paid_leave_withdrawn_or_moved",
        "job_transfer",
        "identity_papers_stolen_or_visas_not_renewable",
    )
    assert rule.tiers == (DeductibleTier(percent=Decimal("25")),)
    assert {corsair.causes[code].category for code in rule.cause_codes} == {"other"}


def test_a_deductible_on_a_cause_code_the_contract_does_not_name_is_refused() -> None:
    corsair = load_catalogue().contracts["CORSAIR_7906011"].model_dump(mode="json")
    corsair["guarantees"]["cancellation"]["deductibles"][0]["cause_codes"].append("typo")
    with pytest.raises(ValidationError, match="typo are not named in causes"):
        ContractTerms.model_validate(corsair)
    corsair = load_catalogue().contracts["CORSAIR_7906011"].model_dump(mode="json")
    corsair["causes"]["job_transfer"]["category"] = "A"
    with pytest.raises(ValidationError, match="not among cause_categories"):
        ContractTerms.model_validate(corsair)
