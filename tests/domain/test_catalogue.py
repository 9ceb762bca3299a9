from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.catalogue import ContractTerms, load_catalogue


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
            guarantees=("cancellation",),
            cause_categories=("other",),
            medical_categories=("medical",),
            max_insured_per_file=9,
        )
