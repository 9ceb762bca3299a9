"""The contract catalogue: each contract's rules as data (one JSON file per contract).

The files live in `domain/contracts/` and are validated with pydantic when loaded. Loading is
done once by the wiring (`load_catalogue()`); the aggregate receives the `ContractTerms` it needs.
Only the rules the claim lifecycle needs are here; the indemnity engine adds caps and
deductibles.
"""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.values import CauseCategory, Guarantee, SettlementMode


class ContractTerms(BaseModel):
    """What one contract says about the claim lifecycle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    insurer: str
    handled_by: str
    source: Annotated[str, Field(description="seed file the rules come from")]
    guarantees: tuple[Guarantee, ...]
    cause_categories: tuple[CauseCategory, ...]
    medical_categories: tuple[CauseCategory, ...]
    max_insured_per_file: Annotated[int, Field(ge=1)]
    card_insurer_position_over_per_person: Annotated[
        Decimal | None,
        Field(
            description="trip price per person strictly above which the card insurer's "
            "position is required before assessment (001 §1.2.4); null: rule off"
        ),
    ] = None
    settlement_modes: tuple[SettlementMode, ...] = (SettlementMode.CASH,)
    voucher_categories: Annotated[
        tuple[CauseCategory, ...],
        Field(description="categories whose settlement mode is chosen at declaration"),
    ] = ()
    subscription_within_hours_of_booking: int | None = None
    declaration_working_days: int = 5

    @model_validator(mode="after")
    def _consistent(self) -> ContractTerms:
        if not set(self.medical_categories) <= set(self.cause_categories):
            msg = "medical_categories must be among cause_categories"
            raise ValueError(msg)
        if not set(self.voucher_categories) <= set(self.cause_categories):
            msg = "voucher_categories must be among cause_categories"
            raise ValueError(msg)
        if self.voucher_categories and SettlementMode.VOUCHER not in self.settlement_modes:
            msg = "voucher_categories need the voucher settlement mode"
            raise ValueError(msg)
        return self

    def requires_card_insurer_position(self, trip_prices: list[Decimal]) -> bool:
        threshold = self.card_insurer_position_over_per_person
        return threshold is not None and any(price > threshold for price in trip_prices)


class Catalogue(BaseModel):
    """Every contract the back office handles, by code."""

    model_config = ConfigDict(frozen=True)

    contracts: dict[str, ContractTerms]

    def get(self, code: str) -> ContractTerms | None:
        return self.contracts.get(code)


def load_catalogue() -> Catalogue:
    """Read and validate every contract file shipped in `domain/contracts/`."""
    folder = resources.files("domain").joinpath("contracts")
    contracts: dict[str, ContractTerms] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            terms = ContractTerms.model_validate_json(entry.read_text(encoding="utf-8"))
            contracts[terms.code] = terms
    return Catalogue(contracts=contracts)
