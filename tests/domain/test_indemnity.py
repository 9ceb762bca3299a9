"""The indemnity engine: the seeds' worked examples and scenarios per contract and category."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D  # noqa: N817 - amounts read better short
from typing import Any

import pytest

from domain.catalogue import ContractTerms
from domain.claim import Claim
from domain.errors import InvalidClaimData
from domain.indemnity import ClaimFacts, allocate, compute_indemnity, fee_due
from domain.values import (
    AssessmentInputs,
    BaggageItem,
    Cause,
    FeeBracket,
    FeeInput,
    Guarantee,
    Indemnity,
    Insured,
    LegDelay,
    TicketCost,
    Trip,
)
from tests.domain.gwt import (
    accepted,
    card_insurer,
    given,
    history,
    received,
    requested,
    terms,
    then,
    when,
)

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
        # 004 l.25 "Plus de 30 jours avant le départ = 60€ de frais de dossier par personne":
        # a file fee is never reimbursed (004 l.49; domain rules §7 decision), so 0.
        (45, "0.00"),
        (31, "0.00"),
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
    # 60 invoiced 4 days before departure (75 % due), 20 of it non-refundable: basis 40, below
    # the 50 minimum deductible.
    result = compute_indemnity(
        CA, facts("1200.00", category="C", days_before=4), fees("60.00", non_refundable="20.00")
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


def test_a_medical_contraindication_date_is_the_reference_for_medical_causes_under_002() -> None:
    """002 l.371: "notre remboursement se limitera aux frais d'annulation en vigueur à la date de
    la contre indication"."""
    claim = facts(
        "1200.00",
        category="medical",
        days_before=25,
        medical_contraindication_on=DEPARTURE - timedelta(days=10),
    )
    result = compute_indemnity(MA, claim, fees("900.00"))
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


# ------------------------------------------------------------------ decisions of 2026-11-30
# Given a claim's facts and the contract's terms, when the engine assesses it, then...


def test_given_a_card_payment_and_a_loss_over_the_cap_when_assessed_then_the_cap_comes_last() -> (
    None
):
    """001 §1.2.3 b (l.302-308: the card insurer's position, "montant du règlement perçu") and
    §3.5 (l.444-446, L.121-4: each insurance "produit ses effets dans les limites des garanties
    du contrat"); caps 001 Article 1 (l.38: 50.000€ par personne). Domain rules §5 decision:
    payable = min(cap, fees - deductible - card payment)."""
    claim = facts("60000.00", days_before=0, card_insurer_paid=D("5000.00"))
    result = compute_indemnity(CA, claim, fees("60000.00"))
    (share,) = result.per_insured
    # 60000 - 100 deductible - 5000 card = 54900, then capped at 50000 (not 50000 - 5000).
    assert (share.basis, share.deductible, share.card_insurer_deduction) == (
        D("60000.00"),
        D("100.00"),
        D("5000.00"),
    )
    assert share.capped_per_person == D("4900.00")
    assert result.total == D("50000.00")


def test_given_a_card_payment_when_assessed_then_the_trace_shows_it_before_the_caps() -> None:
    """Domain rules §5: the trace shows the order (deductible, card insurer, caps)."""
    claim = facts("60000.00", days_before=0, card_insurer_paid=D("5000.00"))
    trace = compute_indemnity(CA, claim, fees("60000.00")).trace
    deductible = next(i for i, line in enumerate(trace) if line.startswith("deductible"))
    card = next(i for i, line in enumerate(trace) if line.startswith("card insurer paid"))
    cap = next(i for i, line in enumerate(trace) if "capped at 50000.00 per person" in line)
    assert deductible < card < cap
    assert "P1 59900.00 - 5000.00 = 54900.00" in trace[card]
    assert trace[cap] == "P1: 54900.00 capped at 50000.00 per person"


def test_given_a_card_payment_leaving_less_than_the_cap_when_assessed_then_the_rest_is_paid() -> (
    None
):
    """001 §1.2.3 b (l.302-308); domain rules §5: the contract covers what remains."""
    claim = facts("60000.00", days_before=0, card_insurer_paid=D("15000.00"))
    result = compute_indemnity(CA, claim, fees("60000.00"))
    assert result.per_insured[0].capped_per_person == D("0.00")
    assert result.total == D("44900.00")  # 60000 - 100 - 15000


def test_given_a_card_payment_and_several_victims_when_assessed_then_the_event_cap_comes_last() -> (
    None
):
    """001 "Maximum par événement" (l.154; 150.000€ par événement, l.38) after the card
    insurer's payment (domain rules §5)."""
    claim = facts(
        "45000.00",
        "45000.00",
        "45000.00",
        "30000.00",
        days_before=0,
        card_insurer_paid=D("10000.00"),
    )
    result = compute_indemnity(CA, claim, fees("45000.00", "45000.00", "45000.00", "30000.00"))
    # 164600 after deductibles - 10000 card = 154600, over the 150000 per event.
    assert sum(s.card_insurer_deduction for s in result.per_insured) == D("10000.00")
    assert sum(s.capped_per_event for s in result.per_insured) == D("4600.00")
    assert result.total == D("150000.00")  # the engine used to pay 140000.00


@pytest.mark.parametrize("contract", [CA, MA, CO], ids=lambda t: t.code)
@pytest.mark.parametrize("days_before", [31, 45])
def test_given_an_event_more_than_30_days_before_departure_when_assessed_then_nothing_is_paid(
    contract: ContractTerms, days_before: int
) -> None:
    """004 l.25 "Plus de 30 jours avant le départ = 60€ de frais de dossier par personne"; file
    fees are never reimbursed: 001 §1.2.2 (l.288), 002 (l.336) and 003 (l.107) "à l'exclusion
    des frais de dossier", 004 l.49. Domain rules §7 decision: this band pays €0."""
    category = "A" if contract is CA else "medical"
    claim = facts("1200.00", category=category, days_before=days_before)
    result = compute_indemnity(contract, claim, fees("60.00"))
    assert [(s.basis, s.deductible, s.payable) for s in result.per_insured] == [
        (D("0.00"), D("0.00"), D("0.00"))
    ]
    assert any(
        "only a file fee of 60.00 per person, never reimbursed" in line for line in result.trace
    )


def test_given_an_organisers_scale_with_a_flat_fee_band_when_assessed_then_that_band_pays_0() -> (
    None
):
    """004 l.25 and l.49: a band charging only a flat amount is the file fee, never reimbursed;
    001 §1.2.2 (l.286): the organiser's own scale applies otherwise."""
    scale = (FeeBracket(31, None, D("0"), D("80.00")), FeeBracket(0, 30, D("50"), None))
    early = compute_indemnity(CA, facts(days_before=40, fee_scale=scale), fees("80.00"))
    late = compute_indemnity(CA, facts(days_before=20, fee_scale=scale), fees("600.00"))
    assert (early.total, late.total) == (D("0.00"), D("550.00"))


def test_given_ca2624_medical_cause_when_assessed_then_scale_read_at_first_manifestation() -> None:
    """001 §1.2.3 (l.294-296): "Dès la première manifestation de la maladie" ... "le montant des
    frais qui auraient été à votre charge à la date du sinistre"; §2.1 (l.213) "date de première
    constatation médicale". Domain rules §7 decision: 001 uses the first manifestation."""
    claim = facts(
        "1200.00", days_before=25, medical_contraindication_on=DEPARTURE - timedelta(days=10)
    )
    result = compute_indemnity(CA, claim, fees("900.00"))
    assert result.per_insured[0].basis == D("300.00")  # 25 days before: 25 %, not 50 %
    assert "first manifestation" in result.trace[1]
    assert "medical contra-indication date 2026-07-11 is not used" in result.trace[1]


def test_given_corsair_medical_cause_when_assessed_then_scale_read_at_first_manifestation() -> None:
    """003 frais d'annulation (l.224): "nous ne vous rembourserons les frais d'annulation qu'à
    compter de la première manifestation de la maladie". Domain rules §7 decision."""
    claim = facts(
        "1200.00",
        category="medical",
        days_before=25,
        medical_contraindication_on=DEPARTURE - timedelta(days=10),
    )
    result = compute_indemnity(CO, claim, fees("900.00"))
    assert result.per_insured[0].basis == D("300.00")
    assert result.total == D("270.00")  # 300 - 30


def test_given_002_medical_cause_without_contraindication_when_assessed_then_event_date() -> None:
    """002 l.369-371 reads the scale at the contra-indication date; none recorded: the event
    date, said in the trace (domain rules §7 decision, fallback chosen here)."""
    claim = facts("1200.00", category="medical", days_before=25)
    result = compute_indemnity(MA, claim, fees("900.00"))
    assert result.per_insured[0].basis == D("300.00")
    assert "none is recorded" in result.trace[1]


def test_given_002_other_cause_when_assessed_then_the_event_date_is_the_reference() -> None:
    """002 l.373: "Pour tout autre motif d'annulation ... à la date de l'événement"."""
    claim = facts(
        "1200.00",
        category="other",
        days_before=25,
        medical=False,
        medical_contraindication_on=DEPARTURE - timedelta(days=10),
    )
    result = compute_indemnity(MA, claim, fees("900.00"))
    assert result.per_insured[0].basis == D("300.00")
    assert result.trace[1].startswith("reference date 2026-06-26 (event date)")


@pytest.mark.parametrize(
    "cause_code",
    [
        # 003 l.136-140: SUPPRESSION OU MODIFICATION DES DATES DE CONGES PAYES DU FAIT DE
        # L'EMPLOYEUR ... "Une franchise de 25 % reste à votre charge"
        "paid_leave_withdrawn_or_moved",
        # 003 l.142-146: MUTATION PROFESSIONNELLE ... "Une franchise de 25% reste à votre charge"
        "job_transfer",
        # 003 l.166-170: LE VOL DE LA CARTE D'IDENTITE, DU PASSEPORT OU IMPOSSIBILITE DE REFAIRE
        # LES VISAS, dans les 48 heures précédant le départ ... "Une franchise de 25 %"
        "identity_papers_stolen_or_visas_not_renewable",
    ],
)
def test_given_a_corsair_25_percent_cause_when_assessed_then_25_percent_per_person(
    cause_code: str,
) -> None:
    """003, Annulation: franchise 25 % of the cancellation fees for three causes (domain rules
    §7 Corsair), for every insured person."""
    claim = facts("1200.00", "1200.00", category="other", cause_code=cause_code)
    result = compute_indemnity(CO, claim, fees("900.00", "900.00"))
    assert deductibles(result) == [D("225.00"), D("225.00")]
    assert result.total == D("1350.00")
    assert any(line.startswith(f"cause {cause_code}: ") for line in result.trace)
    assert any("franchise de 25 %" in line for line in result.trace)


def test_given_a_corsair_25_percent_cause_with_small_fees_when_assessed_then_no_30_minimum() -> (
    None
):
    """003 l.146: the 25 % replaces the 30 € of the tableau des garanties (l.9-10); it has no
    minimum."""
    claim = facts("1200.00", category="other", cause_code="job_transfer", days_before=25)
    result = compute_indemnity(CO, claim, fees("100.00"))
    assert deductibles(result) == [D("25.00")]
    assert result.total == D("75.00")


def test_given_another_corsair_cause_when_assessed_then_30_per_person() -> None:
    """003 tableau des garanties (l.9-10): FRAIS D'ANNULATION ... 30 € (domain rules §7
    decision: per person); REFUS DE VISA (l.172) carries no 25 % franchise."""
    claim = facts("1200.00", "1200.00", category="other", cause_code="visa_refusal")
    result = compute_indemnity(CO, claim, fees("900.00", "900.00"))
    assert deductibles(result) == [D("30.00"), D("30.00")]
    assert result.total == D("1740.00")
    assert not any(line.startswith("cause ") for line in result.trace)


# The same decisions through the Claim aggregate (tests/domain/gwt.py).


def test_given_a_corsair_claim_for_a_stolen_passport_when_accepted_then_25_percent_off() -> None:
    """003 l.166-170: passport stolen within 48 h before departure, franchise 25 %."""
    claim = given(
        history(
            requested("police_report", on=date(2026, 3, 18)),
            received("police_report", on=date(2026, 3, 19)),
            contract="CORSAIR_7906011",
            cause=Cause("other", "identity_papers_stolen_or_visas_not_renewable", "passport"),
            event_date=date(2026, 3, 18),
            known_on=date(2026, 3, 18),
            declared_on=date(2026, 3, 18),
        )
    )
    event = then(when(claim, accepted(on=date(2026, 3, 25))), Claim.Accepted)
    # 2 days before the 20 March departure: 75 % of 1200 = 900, less 25 % = 675.
    assert event.indemnity.per_insured[0].deductible == D("225.00")
    assert event.indemnity.total == D("675.00")


def test_given_a_big_ca2624_trip_and_a_card_payment_when_accepted_then_capped_last() -> None:
    """001 §1.2.3 b (l.302-308) and Article 1 (l.38); domain rules §5 decision."""
    claim = given(
        history(
            requested("medical_certificate", "card_insurer_position"),
            received("medical_certificate"),
            card_insurer("paid", "5000.00"),
            insured=(Insured("Jeanne Martin", D("120000.00")),),
        )
    )
    event = then(when(claim, accepted(Jeanne_Martin="60000.00")), Claim.Accepted)
    # 18 days before departure: 50 % = 60000 - 100 - 5000 = 54900, capped at 50000.
    assert event.indemnity.total == D("50000.00")


@pytest.mark.parametrize(
    ("contract", "category", "total"),
    [
        # 001 l.294-296: first manifestation 38 days before departure, the file-fee band: 0.
        ("CA2624", "A", "0.00"),
        # 002 l.371: contra-indication 15 days before departure: 50 % = 600 - 30.
        ("MULTIASSISTANCE_PLUS", "medical", "570.00"),
    ],
)
def test_given_an_illness_and_a_later_contraindication_when_accepted_then_per_contract(
    contract: str, category: str, total: str
) -> None:
    """Domain rules §7 decision: 001 and 003 read the scale at the first manifestation, 002 at
    the medical contra-indication date."""
    claim = given(
        history(
            requested("medical_certificate", on=date(2026, 3, 6)),
            received("medical_certificate"),
            contract=contract,
            cause=Cause(category, "serious_illness", "hospitalised"),
            event_date=date(2026, 2, 10),
            known_on=date(2026, 3, 5),
            declared_on=date(2026, 3, 6),
            medical_contraindication_on=date(2026, 3, 5),
        )
    )
    event = then(when(claim, accepted(Jeanne_Martin="600.00")), Claim.Accepted)
    assert event.indemnity.total == D(total)
