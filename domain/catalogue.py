"""The contract catalogue: each contract's rules as data (one JSON file per contract).

The files live in `domain/contracts/` and are validated with pydantic when loaded. Loading is
done once by the wiring (`load_catalogue()`); the aggregate and the indemnity engine receive the
`ContractTerms` they need. Adding a contract is adding a file (docs/adr/0005).
"""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.values import CauseCategory, FeeBracket, Guarantee, SettlementMode

Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100)]
MedicalReferenceDate = Literal["first_manifestation", "contraindication"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeductibleTier(_Frozen):
    """The deductible for insured persons whose trip price is at most `up_to_trip_price_per_person`
    (inclusive; null: any price). Fixed per person, or a percentage of the basis with a minimum
    per person; neither: no deductible."""

    up_to_trip_price_per_person: Money | None = None
    fixed_per_person: Money | None = None
    percent: Percent | None = None
    minimum_per_person: Money | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> DeductibleTier:
        if self.fixed_per_person is not None and self.percent is not None:
            msg = "a tier is either fixed_per_person or percent, not both"
            raise ValueError(msg)
        if self.minimum_per_person is not None and self.percent is None:
            msg = "minimum_per_person goes with percent"
            raise ValueError(msg)
        return self


class DeductibleRule(_Frozen):
    """A deductible that applies to the claims it matches (every filter given must match)."""

    categories: tuple[CauseCategory, ...] | None = None
    cause_codes: tuple[str, ...] | None = None
    settlement_mode: SettlementMode | None = None
    tiers: tuple[DeductibleTier, ...] = (DeductibleTier(),)
    maximum_per_file: Money | None = None
    fixed_per_file: Money | None = None
    source: str = ""

    def matches(self, category: str, cause_code: str, settlement_mode: str) -> bool:
        return (
            (self.categories is None or category in self.categories)
            and (self.cause_codes is None or cause_code in self.cause_codes)
            and (self.settlement_mode is None or settlement_mode == self.settlement_mode)
        )

    def tier_for(self, trip_price: Decimal) -> DeductibleTier:
        for tier in self.tiers:
            limit = tier.up_to_trip_price_per_person
            if limit is None or trip_price <= limit:
                return tier
        msg = f"no deductible tier for a trip price of {trip_price}"
        raise ValueError(msg)

    @model_validator(mode="after")
    def _tiers_ascending(self) -> DeductibleRule:
        limits = [t.up_to_trip_price_per_person for t in self.tiers]
        if not limits or limits[-1] is not None:
            msg = "the last tier must have no upper bound (up_to_trip_price_per_person: null)"
            raise ValueError(msg)
        bounded = [limit for limit in limits[:-1] if limit is not None]
        if len(bounded) != len(limits) - 1 or bounded != sorted(bounded):
            msg = "tiers must be in ascending order of up_to_trip_price_per_person"
            raise ValueError(msg)
        return self


class NamedCause(_Frozen):
    """A cause code the contract's rules refer to (a deductible matching on `cause_codes`), with
    the clause of the seed it stands for, so a code is never a bare string in a rule."""

    category: CauseCategory
    label: str
    source: str = ""


class GuaranteeTerms(_Frozen):
    """Caps, deductibles and counting rules of one guarantee of one contract."""

    cap_per_person: Money | None = None
    cap_per_event: Money | None = None
    deductibles: tuple[DeductibleRule, ...] = ()
    fee_scale: tuple[FeeBracket, ...] | None = None
    counting_unit: Literal["days", "nights"] | None = None
    flat_amount_per_person_per_leg: Money | None = None
    minimum_delay_minutes: int | None = None
    valuables_cap_ratio: Annotated[Decimal, Field(ge=0, le=1)] | None = None
    never_reimbursed: tuple[str, ...] = ()
    source: str = ""

    def deductible_rule(
        self, category: str, cause_code: str, settlement_mode: str
    ) -> DeductibleRule | None:
        """The first rule matching the claim; None: this guarantee has no deductible."""
        for rule in self.deductibles:
            if rule.matches(category, cause_code, settlement_mode):
                return rule
        return None


class ContractTerms(_Frozen):
    """What one contract says: its guarantees and the rules of the claim lifecycle."""

    code: str
    name: str
    insurer: str
    handled_by: str
    source: Annotated[str, Field(description="seed file the rules come from")]
    guarantees: dict[Guarantee, GuaranteeTerms]
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
    medical_reference_date: Annotated[
        MedicalReferenceDate,
        Field(
            description="the date the fee scale is read at for a medical cause: "
            "`first_manifestation` (the event date: the first manifestation or first medical "
            "finding of the illness, 001 §1.2.3 and §2.1, 003) or `contraindication` (the date "
            "a doctor advised against travel, 002; the event date when none is recorded)"
        ),
    ] = "first_manifestation"
    causes: Annotated[
        dict[str, NamedCause],
        Field(description="the cause codes the contract's rules refer to, by code"),
    ] = {}

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
        cancellation = self.guarantees.get(Guarantee.CANCELLATION)
        if cancellation is not None and not cancellation.fee_scale:
            msg = "the cancellation guarantee needs a default fee_scale"
            raise ValueError(msg)
        interruption = self.guarantees.get(Guarantee.INTERRUPTION)
        if interruption is not None and interruption.counting_unit is None:
            msg = "the interruption guarantee needs a counting_unit (days or nights)"
            raise ValueError(msg)
        for code, cause in self.causes.items():
            if cause.category not in self.cause_categories:
                msg = f"cause {code}: category {cause.category} is not among cause_categories"
                raise ValueError(msg)
        for guarantee in self.guarantees.values():
            for rule in guarantee.deductibles:
                unknown = [code for code in rule.cause_codes or () if code not in self.causes]
                if unknown:
                    msg = f"deductible cause_codes {', '.join(unknown)} are not named in causes"
                    raise ValueError(msg)
        delay = self.guarantees.get(Guarantee.FLIGHT_DELAY)
        if delay is not None and (
            delay.flat_amount_per_person_per_leg is None or delay.minimum_delay_minutes is None
        ):
            msg = "the flight_delay guarantee needs its flat amount and minimum delay"
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
            if terms.code in contracts:
                msg = f"contract {terms.code} is defined twice ({entry.name})"
                raise ValueError(msg)
            contracts[terms.code] = terms
    return Catalogue(contracts=contracts)
