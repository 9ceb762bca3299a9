"""Properties of the cancellation engine over generated claims (hypothesis)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.indemnity import ClaimFacts, compute_indemnity
from domain.values import AssessmentInputs, FeeInput, Guarantee, Insured, Trip
from tests.domain.gwt import CATALOGUE

DEPARTURE = date(2026, 7, 21)
CATEGORIES = {
    "CA2624": ["A", "B", "C", "D"],
    "MULTIASSISTANCE_PLUS": ["medical", "other"],
    "CORSAIR_7906011": ["medical", "other"],
}

money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("80000.00"), places=2)
price = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("80000.00"), places=2)


@st.composite
def claims(draw: st.DrawFn) -> tuple[str, ClaimFacts, AssessmentInputs]:
    contract = draw(st.sampled_from(sorted(CATEGORIES)))
    category = draw(st.sampled_from(CATEGORIES[contract]))
    count = draw(st.integers(min_value=1, max_value=9))
    insured = tuple(Insured(f"insured {i}", draw(price)) for i in range(count))
    fees = tuple(FeeInput(person.name, draw(money), draw(money)) for person in insured)
    facts = ClaimFacts(
        guarantee="cancellation",
        category=category,
        cause_code=draw(st.sampled_from(["x", "job_transfer"])),
        settlement_mode=draw(st.sampled_from(["cash", "voucher"])) if category == "D" else "cash",
        medical=category in ("A", "medical"),
        insured=insured,
        trip=Trip(DEPARTURE, DEPARTURE + timedelta(days=7), "Rome"),
        event_date=DEPARTURE - timedelta(days=draw(st.integers(min_value=0, max_value=60))),
        card_insurer_paid=draw(st.one_of(st.just(Decimal("0.00")), money)),
    )
    return contract, facts, AssessmentInputs(fees=fees)


@settings(max_examples=300, deadline=None)
@given(claims())
def test_the_engine_keeps_every_amount_within_the_contract(
    claim: tuple[str, ClaimFacts, AssessmentInputs],
) -> None:
    contract, facts, inputs = claim
    terms = CATALOGUE.contracts[contract]
    caps = terms.guarantees[Guarantee.CANCELLATION]
    result = compute_indemnity(terms, facts, inputs)

    assert sum((s.payable for s in result.per_insured), Decimal("0.00")) == result.total
    for share in result.per_insured:
        assert share.payable >= 0
        assert share.payable <= share.basis
        assert caps.cap_per_person is None or share.payable <= caps.cap_per_person
        assert share.payable == share.payable.quantize(Decimal("0.01"))
    assert caps.cap_per_event is None or result.total <= caps.cap_per_event


@settings(max_examples=200, deadline=None)
@given(claims(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_insured(
    claim: tuple[str, ClaimFacts, AssessmentInputs], shuffler: random.Random
) -> None:
    contract, facts, inputs = claim
    terms = CATALOGUE.contracts[contract]
    order = list(range(len(facts.insured)))
    shuffler.shuffle(order)
    shuffled = ClaimFacts(**{**facts.__dict__, "insured": tuple(facts.insured[i] for i in order)})
    reordered_fees = AssessmentInputs(fees=tuple(inputs.fees[i] for i in order))

    first = {s.insured: s for s in compute_indemnity(terms, facts, inputs).per_insured}
    second = {s.insured: s for s in compute_indemnity(terms, shuffled, reordered_fees).per_insured}
    assert first == second
