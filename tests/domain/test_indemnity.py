"""The indemnity engine: the seeds' worked examples and scenarios per contract and category."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D  # noqa: N817 - amounts read better short
from typing import Any

import pytest

from domain.catalogue import ContractTerms
from domain.errors import InvalidClaimData
from domain.indemnity import ClaimFacts, allocate, compute_indemnity, fee_due
from domain.values import (
    AssessmentInputs,
    BaggageItem,
    FeeBracket,
    FeeInput,
    Guarantee,
    Indemnity,
    Insured,
    LegDelay,
    TicketCost,
    Trip,
)
from tests.domain.gwt import terms

DEPARTURE = date(2026, 7, 21)


def facts(
    *prices: str,
    guarantee: str = "cancellation",
    category: str = "A",
    days_before: int = 4,
    **overrides: Any,
) -> ClaimFacts:
    """A claim whose insured P1, P2... paid these trip prices, the event `days_before`
    calendar days before a 21 July 2026 departure."""
    fields: dict[str, Any] = {
        "guarantee": guarantee,
        "category": category,
        "cause_code": "x",
        "settlement_mode": "cash",
        "medical": category in ("A", "medical"),
        "insured": tuple(Insured(f"P{i + 1}", D(p)) for i, p in enumerate(prices or ("1200.00",))),
        "trip": Trip(DEPARTURE, DEPARTURE + timedelta(days=13), "Lisbon", D("500.00")),
        "event_date": DEPARTURE - timedelta(days=days_before),
    }
    fields.update(overrides)
    return ClaimFacts(**fields)


def fees(*invoiced: str, non_refundable: str = "0.00") -> AssessmentInputs:
    return AssessmentInputs(
        fees=tuple(FeeInput(f"P{i + 1}", D(v), D(non_refundable)) for i, v in enumerate(invoiced))
    )


def payables(indemnity: Indemnity) -> list[D]:
    return [share.payable for share in indemnity.per_insured]


def deductibles(indemnity: Indemnity) -> list[D]:
    return [share.deductible for share in indemnity.per_insured]


CA = terms("CA2624")
MA = terms("MULTIASSISTANCE_PLUS")
CO = terms("CORSAIR_7906011")
SEED_004_SCALE = CA.guarantees[Guarantee.CANCELLATION].fee_scale or ()

# ------------------------------------------------------------------ seed 004 worked examples


def test_seed_004_departure_21_july_cancelled_17_july_is_75_percent() -> None:
    due, bracket = fee_due(SEED_004_SCALE, D("1200.00"), (DEPARTURE - date(2026, 7, 17)).days)
    assert due == D("900.00")
    assert bracket is not None
    assert bracket.percent == D("75")


@pytest.mark.parametrize(
    ("days_before", "due"),
    [
        (45, "60.00"),
        (31, "60.00"),
        (30, "300.00"),
        (21, "300.00"),
        (20, "600.00"),
        (8, "600.00"),
        (7, "900.00"),
        (2, "900.00"),
        (1, "1080.00"),
        (0, "1200.00"),
    ],
)
def test_seed_004_fee_scale_brackets(days_before: int, due: str) -> None:
    assert fee_due(SEED_004_SCALE, D("1200.00"), days_before)[0] == D(due)


def test_the_fee_due_never_exceeds_the_trip_price() -> None:
    assert fee_due(SEED_004_SCALE, D("40.00"), 0)[0] == D("40.00")  # minimum 60 > price


def test_seed_004_interruption_example_in_days_is_250() -> None:
    # From 1 July for 14 days, interrupted 9 July, 1,200 of which 500 transport.
    by_days = MA.model_copy(
        update={
            "guarantees": {
                **MA.guarantees,
                Guarantee.INTERRUPTION: MA.guarantees[Guarantee.INTERRUPTION].model_copy(
                    update={"counting_unit": "days"}
                ),
            }
        }
    )
    claim = facts(
        "1200.00",
        guarantee="interruption",
        category="medical",
        trip=Trip(date(2014, 7, 1), date(2014, 7, 14), "Crete", D("500.00")),
        event_date=date(2014, 7, 8),
        interrupted_on=date(2014, 7, 9),
    )
    assert compute_indemnity(by_days, claim, AssessmentInputs()).total == D("250.00")


def test_multiassistance_interruption_counts_nights_from_the_night_after_the_return() -> None:
    claim = facts(
        "1200.00",
        guarantee="interruption",
        category="medical",
        trip=Trip(date(2026, 7, 1), date(2026, 7, 14), "Crete", D("500.00")),
        event_date=date(2026, 7, 8),
        interrupted_on=date(2026, 7, 9),
    )
    result = compute_indemnity(MA, claim, AssessmentInputs())
    assert result.total == D("269.23")  # 700 x 5 / 13 nights
    assert any("nights: 5 unused of 13" in line for line in result.trace)


def test_interruption_is_capped_per_person() -> None:
    claim = facts(
        "20000.00",
        guarantee="interruption",
        category="medical",
        trip=Trip(date(2026, 7, 1), date(2026, 7, 14), "Bali", D("0.00")),
        event_date=date(2026, 7, 2),
        interrupted_on=date(2026, 7, 2),
    )
    assert compute_indemnity(MA, claim, AssessmentInputs()).total == D("8000.00")


# ------------------------------------------------------------------ CA2624


def test_ca2624_a_trip_up_to_2000_has_a_50_deductible_per_person() -> None:
    result = compute_indemnity(CA, facts("1200.00", "1200.00"), fees("900.00", "900.00"))
    assert deductibles(result) == [D("50.00"), D("50.00")]
    assert result.total == D("1700.00")


def test_ca2624_a_trip_of_exactly_2000_takes_the_lower_tier() -> None:
    result = compute_indemnity(CA, facts("2000.00"), fees("1500.00"))
    assert deductibles(result) == [D("50.00")]
    assert result.total == D("1450.00")


def test_ca2624_a_trip_over_2000_has_a_100_deductible() -> None:
    result = compute_indemnity(CA, facts("2000.01"), fees("1500.00"))
    assert deductibles(result) == [D("100.00")]
    assert result.total == D("1400.00")


def test_ca2624_b_up_to_2000_is_5_percent_with_a_50_minimum() -> None:
    result = compute_indemnity(
        CA, facts("1200.00", "2000.00", category="B"), fees("900.00", "1500.00")
    )
    assert deductibles(result) == [D("50.00"), D("75.00")]  # 45 -> min 50; 5 % of 1500
    assert result.total == D("2275.00")


def test_ca2624_b_over_2000_is_10_percent_with_a_100_minimum() -> None:
    result = compute_indemnity(
        CA, facts("5000.00", "2500.00", category="B", days_before=25), fees("1250.00", "625.00")
    )
    assert deductibles(result) == [D("125.00"), D("100.00")]  # 10 % of 1250; 62.50 -> 100
    assert result.total == D("1650.00")


def test_ca2624_c_follows_the_b_tiers() -> None:
    result = compute_indemnity(
        CA, facts("1800.00", "3000.00", category="C"), fees("1350.00", "2250.00")
    )
    assert deductibles(result) == [D("67.50"), D("225.00")]
    assert result.total == D("3307.50")


def test_ca2624_c_deductible_never_exceeds_the_basis() -> None:
    result = compute_indemnity(
        CA, facts("1200.00", category="C", days_before=40), fees("60.00", non_refundable="20.00")
    )
    assert result.per_insured[0].basis == D("40.00")
    assert deductibles(result) == [D("40.00")]
    assert result.total == D("0.00")


def test_ca2624_d_cash_is_20_percent_with_a_50_minimum() -> None:
    result = compute_indemnity(
        CA, facts("1200.00", "300.00", category="D"), fees("900.00", "225.00")
    )
    assert deductibles(result) == [D("180.00"), D("50.00")]  # 20 % of 900; 45 -> 50
    assert result.total == D("895.00")


def test_ca2624_d_voucher_has_no_deductible() -> None:
    result = compute_indemnity(
        CA,
        facts("1200.00", "300.00", category="D", settlement_mode="voucher"),
        fees("900.00", "225.00"),
    )
    assert deductibles(result) == [D("0.00"), D("0.00")]
    assert result.total == D("1125.00")


def test_ca2624_d_voucher_versus_cash_on_the_same_claim() -> None:
    claim = facts("1500.00", category="D")
    cash = compute_indemnity(CA, claim, fees("1125.00"))
    voucher = compute_indemnity(
        CA, ClaimFacts(**{**claim.__dict__, "settlement_mode": "voucher"}), fees("1125.00")
    )
    assert (cash.total, voucher.total) == (D("900.00"), D("1125.00"))


def test_a_late_cancellation_is_paid_at_the_rate_due_on_the_event_date() -> None:
    # Event 25 days before departure (25 % due); the insured cancelled later and was
    # invoiced 75 %: only the 25 % is owed.
    result = compute_indemnity(CA, facts("1200.00", days_before=25), fees("900.00"))
    assert result.per_insured[0].basis == D("300.00")
    assert result.total == D("250.00")


def test_a_medical_contraindication_date_is_the_reference_for_medical_causes() -> None:
    claim = facts(
        "1200.00", days_before=25, medical_contraindication_on=DEPARTURE - timedelta(days=10)
    )
    result = compute_indemnity(CA, claim, fees("900.00"))
    assert result.per_insured[0].basis == D("600.00")  # 10 days before: 50 %
    assert "medical contra-indication date" in result.trace[1]


def test_non_refundable_items_are_deducted_from_the_basis() -> None:
    result = compute_indemnity(CA, facts("1200.00"), fees("900.00", non_refundable="85.00"))
    assert result.per_insured[0].basis == D("815.00")
    assert result.total == D("765.00")


def test_the_organisers_fee_scale_replaces_the_default() -> None:
    scale = (FeeBracket(0, None, D("10"), None),)
    result = compute_indemnity(CA, facts("1200.00", fee_scale=scale), fees("900.00"))
    assert result.per_insured[0].basis == D("120.00")


def test_ca2624_per_person_cap_of_50000() -> None:
    result = compute_indemnity(CA, facts("60000.00", days_before=0), fees("60000.00"))
    assert result.per_insured[0].capped_per_person == D("9900.00")
    assert result.total == D("50000.00")


def test_ca2624_per_event_cap_is_shared_in_proportion_to_each_amount() -> None:
    claim = facts("45000.00", "45000.00", "45000.00", "30000.00", days_before=0)
    result = compute_indemnity(CA, claim, fees("45000.00", "45000.00", "45000.00", "30000.00"))
    # After 100.00 deductibles: 44900 x 3 + 29900 = 164600 > 150000.
    assert result.total == D("150000.00")
    # 44900 x 150000 / 164600 = 40917.375... -> 40917.38, 29900 -> 27247.87: one cent too
    # many, taken back from the largest amount (ties by name: P1).
    assert payables(result) == [D("40917.37"), D("40917.38"), D("40917.38"), D("27247.87")]
    assert sum(payables(result)) == D("150000.00")


def test_the_card_insurers_payment_is_deducted() -> None:
    claim = facts("12000.00", "12000.00", days_before=0, card_insurer_paid=D("3000.00"))
    result = compute_indemnity(CA, claim, fees("12000.00", "6000.00"))
    # 11900 + 5900 = 17800; 3000 deducted in proportion.
    assert [s.card_insurer_deduction for s in result.per_insured] == [D("2005.62"), D("994.38")]
    assert result.total == D("14800.00")


def test_a_card_insurer_paying_more_than_owed_leaves_nothing_to_pay() -> None:
    claim = facts("12000.00", days_before=0, card_insurer_paid=D("20000.00"))
    assert compute_indemnity(CA, claim, fees("12000.00")).total == D("0.00")


def test_every_insured_needs_one_fee_item() -> None:
    with pytest.raises(InvalidClaimData) as raised:
        compute_indemnity(CA, facts("1200.00", "900.00"), fees("900.00"))
    assert raised.value.field == "fees"
    with pytest.raises(InvalidClaimData) as raised:
        compute_indemnity(
            CA, facts("1200.00"), AssessmentInputs(fees=(FeeInput("Nobody", D("1.00")),))
        )
    assert raised.value.field == "fees[0].insured"
    with pytest.raises(InvalidClaimData) as raised:
        compute_indemnity(CA, facts("1200.00"), fees("-1.00"))
    assert raised.value.field == "fees[0].invoiced"


# ------------------------------------------------------------------ MULTIASSISTANCE_PLUS


def test_multiassistance_medical_cause_has_30_per_person() -> None:
    result = compute_indemnity(
        MA, facts("1200.00", "1200.00", category="medical"), fees("900.00", "900.00")
    )
    assert deductibles(result) == [D("30.00"), D("30.00")]
    assert result.total == D("1740.00")


def test_multiassistance_other_cause_is_10_percent_min_50_per_person() -> None:
    result = compute_indemnity(
        MA, facts("1200.00", "300.00", category="other"), fees("900.00", "225.00")
    )
    assert deductibles(result) == [D("90.00"), D("50.00")]  # 10 % of 900; 22.50 -> 50
    assert result.total == D("985.00")


def test_multiassistance_other_cause_deductibles_are_at_most_150_per_file() -> None:
    claim = facts("1200.00", "1200.00", "1200.00", "1200.00", category="other")
    result = compute_indemnity(MA, claim, fees("900.00", "900.00", "900.00", "900.00"))
    assert deductibles(result) == [D("37.50")] * 4  # 4 x 90 = 360 -> 150
    assert result.total == D("3450.00")


def test_multiassistance_cancellation_caps_8000_per_person_70000_per_event() -> None:
    claim = facts(*(["9500.00"] * 9), category="medical", days_before=0)
    result = compute_indemnity(MA, claim, fees(*(["9500.00"] * 9)))
    assert all(s.capped_per_person == D("1470.00") for s in result.per_insured)
    assert result.total == D("70000.00")
    # 70000 / 9 = 7777.78 each is two cents too many: taken back from P1 and P2.
    assert payables(result) == [D("7777.77")] * 2 + [D("7777.78")] * 7


def test_multiassistance_baggage_with_depreciation_refund_valuables_and_file_deductible() -> None:
    claim = facts("1200.00", "1200.00", guarantee="baggage", category="other")
    inputs = AssessmentInputs(
        baggage=(
            BaggageItem("P1", D("800.00"), depreciation=D("200.00")),
            BaggageItem("P1", D("2000.00"), valuable=True),  # valuables at most 50 % of 3000
            BaggageItem("P2", D("400.00"), carrier_refund=D("100.00")),
        )
    )
    result = compute_indemnity(MA, claim, inputs)
    assert [s.basis for s in result.per_insured] == [D("2100.00"), D("300.00")]
    assert deductibles(result) == [D("26.25"), D("3.75")]  # 30 per file, in proportion
    assert result.total == D("2370.00")


def test_multiassistance_flight_delay_is_100_per_person_per_leg_over_4_hours() -> None:
    claim = facts("800.00", "800.00", guarantee="flight_delay", category="other")
    inputs = AssessmentInputs(
        delays=(
            LegDelay("P1", 241),
            LegDelay("P2", 241),
            LegDelay("P1", 240),
            LegDelay("P1", 600),
        )
    )
    result = compute_indemnity(MA, claim, inputs)
    assert payables(result) == [D("200.00"), D("100.00")]


def test_a_guarantee_the_contract_lacks_is_refused() -> None:
    with pytest.raises(InvalidClaimData) as raised:
        compute_indemnity(CA, facts(guarantee="baggage"), AssessmentInputs())
    assert raised.value.field == "guarantee"


# ------------------------------------------------------------------ CORSAIR_7906011


def test_corsair_cancellation_has_30_per_person() -> None:
    result = compute_indemnity(
        CO, facts("1200.00", "1200.00", category="medical"), fees("900.00", "900.00")
    )
    assert deductibles(result) == [D("30.00"), D("30.00")]
    assert result.total == D("1740.00")


def test_corsair_listed_causes_keep_25_percent() -> None:
    claim = facts("1200.00", category="other", cause_code="job_transfer")
    result = compute_indemnity(CO, claim, fees("900.00"))
    assert deductibles(result) == [D("225.00")]


def test_corsair_caps_5000_per_person_30000_per_event() -> None:
    claim = facts(*(["6000.00"] * 7), category="medical", days_before=0)
    result = compute_indemnity(CO, claim, fees(*(["6000.00"] * 7)))
    assert all(s.capped_per_person == D("970.00") for s in result.per_insured)
    assert result.total == D("30000.00")


def test_corsair_missed_departure_up_to_900_and_never_more_than_cancelling() -> None:
    claim = facts("1500.00", "600.00", "700.00", guarantee="missed_departure", category="other")
    inputs = AssessmentInputs(
        tickets=(
            TicketCost("P1", D("1200.00")),
            TicketCost("P2", D("650.00")),
            TicketCost("P3", D("450.00")),
        )
    )
    result = compute_indemnity(CO, claim, inputs)
    assert [s.basis for s in result.per_insured] == [D("1200.00"), D("600.00"), D("450.00")]
    assert [s.capped_per_person for s in result.per_insured] == [D("300.00"), D("0.00"), D("0.00")]
    assert payables(result) == [D("900.00"), D("600.00"), D("450.00")]


def test_corsair_baggage_is_capped_at_750_after_a_45_deductible_per_file() -> None:
    claim = facts("900.00", guarantee="baggage", category="other")
    result = compute_indemnity(
        CO, claim, AssessmentInputs(baggage=(BaggageItem("P1", D("1000.00")),))
    )
    assert deductibles(result) == [D("45.00")]
    assert result.total == D("750.00")


def test_corsair_interruption_counts_nights_without_a_cap() -> None:
    claim = facts(
        "3000.00",
        guarantee="interruption",
        category="medical",
        trip=Trip(date(2026, 7, 1), date(2026, 7, 11), "Réunion", D("1000.00")),
        event_date=date(2026, 7, 5),
        interrupted_on=date(2026, 7, 6),
    )
    assert compute_indemnity(CO, claim, AssessmentInputs()).total == D("1000.00")  # 2000 x 5/10


# ------------------------------------------------------------------ sharing cents


def test_allocate_gives_the_remaining_cent_to_the_largest_amount() -> None:
    shares = allocate(D("10.00"), [D("5.00"), D("10.00"), D("15.00")], ["a", "b", "c"])
    assert shares == [D("1.67"), D("3.33"), D("5.00")]
    assert allocate(D("0.01"), [D("1.00"), D("2.00")], ["a", "b"]) == [D("0.00"), D("0.01")]


def test_allocate_breaks_ties_by_name_not_by_position() -> None:
    # 0.0067 each rounds to 0.01: one cent too many, taken back from "a" wherever it stands.
    assert allocate(D("0.02"), [D("1.00")] * 3, ["b", "a", "c"]) == [
        D("0.01"),
        D("0.00"),
        D("0.01"),
    ]
    assert allocate(D("0.02"), [D("1.00")] * 3, ["a", "b", "c"]) == [
        D("0.00"),
        D("0.01"),
        D("0.01"),
    ]


def test_allocate_refuses_to_share_more_than_the_weights() -> None:
    with pytest.raises(ValueError, match="cannot share"):
        allocate(D("100.00"), [D("1.00")] * 3, ["a", "b", "c"])


def test_contract_terms_of_an_unknown_guarantee_are_explicit() -> None:
    assert isinstance(CA, ContractTerms)
    assert Guarantee.BAGGAGE not in CA.guarantees
