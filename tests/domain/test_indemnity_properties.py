"""Properties of the cancellation engine over generated claims (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace
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

CAUSE_CODES = [
    "x",
    "visa_refusal",
    # 003 frais d'annulation: the three causes with a 25 % franchise.
    "paid_leave_withdrawn_or_moved",
    "job_transfer",
    "identity_papers_stolen_or_visas_not_renewable",
]
ZERO = Decimal("0.00")

money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("80000.00"), places=2)
price = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("80000.00"), places=2)
UP_TO_60_DAYS = st.integers(min_value=0, max_value=60)


@st.composite
def claims(
    draw: st.DrawFn,
    days_before: st.SearchStrategy[int] = UP_TO_60_DAYS,
    *,
    medical_with_contraindication: bool = False,
) -> tuple[str, ClaimFacts, AssessmentInputs]:
    contract = draw(st.sampled_from(sorted(CATEGORIES)))
    category = (
        CATEGORIES[contract][0]  # A, medical
        if medical_with_contraindication
        else draw(st.sampled_from(CATEGORIES[contract]))
    )
    count = draw(st.integers(min_value=1, max_value=9))
    insured = tuple(Insured(f"insured {i}", draw(price)) for i in range(count))
    fees = tuple(FeeInput(person.name, draw(money), draw(money)) for person in insured)
    medical = category in ("A", "medical")
    contraindication = (
        draw(
            UP_TO_60_DAYS if medical_with_contraindication else st.one_of(st.none(), UP_TO_60_DAYS)
        )
        if medical
        else None
    )
    facts = ClaimFacts(
        guarantee="cancellation",
        category=category,
        cause_code=draw(st.sampled_from(CAUSE_CODES)),
        settlement_mode=draw(st.sampled_from(["cash", "voucher"])) if category == "D" else "cash",
        medical=medical,
        insured=insured,
        trip=Trip(DEPARTURE, DEPARTURE + timedelta(days=7), "Rome"),
        event_date=DEPARTURE - timedelta(days=draw(days_before)),
        medical_contraindication_on=(
            None if contraindication is None else DEPARTURE - timedelta(days=contraindication)
        ),
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


@settings(max_examples=300, deadline=None)
@given(claims())
def test_the_card_payment_comes_off_the_loss_before_the_caps(
    claim: tuple[str, ClaimFacts, AssessmentInputs],
) -> None:
    """001 §1.2.3 b and §3.5 (L.121-4); domain rules §5 decision: this contract covers what
    remains after the card insurer's payment, within its own caps:
    payable = min(cap, fees - deductible - card payment), never negative."""
    contract, facts, inputs = claim
    terms = CATALOGUE.contracts[contract]
    caps = terms.guarantees[Guarantee.CANCELLATION]
    result = compute_indemnity(terms, facts, inputs)

    remaining = [s.basis - s.deductible for s in result.per_insured]
    card = [s.card_insurer_deduction for s in result.per_insured]
    assert sum(card, ZERO) == min(facts.card_insurer_paid, sum(remaining, ZERO))
    within_person_caps = []
    for share, loss, paid in zip(result.per_insured, remaining, card, strict=True):
        assert ZERO <= paid <= loss
        left = loss - paid
        capped = left if caps.cap_per_person is None else min(caps.cap_per_person, left)
        assert share.capped_per_person == left - capped
        within_person_caps.append(capped)
    expected = sum(within_person_caps, ZERO)
    if caps.cap_per_event is not None:
        expected = min(caps.cap_per_event, expected)
    assert result.total == expected


@settings(max_examples=200, deadline=None)
@given(claims(days_before=st.integers(min_value=31, max_value=400)))
def test_nothing_is_paid_for_an_event_more_than_30_days_before_departure(
    claim: tuple[str, ClaimFacts, AssessmentInputs],
) -> None:
    """004 "Plus de 30 jours avant le départ = 60€ de frais de dossier par personne"; file fees
    are never reimbursed (001 §1.2.2, 002, 003, 004). Domain rules §7 decision: €0."""
    contract, facts, inputs = claim
    if facts.medical and CATALOGUE.contracts[contract].medical_reference_date == "contraindication":
        facts = replace(facts, medical_contraindication_on=None)
    result = compute_indemnity(CATALOGUE.contracts[contract], facts, inputs)
    assert result.total == ZERO
    assert all(s.basis == ZERO for s in result.per_insured)


@settings(max_examples=200, deadline=None)
@given(claims(medical_with_contraindication=True))
def test_the_medical_reference_date_follows_the_contract(
    claim: tuple[str, ClaimFacts, AssessmentInputs],
) -> None:
    """Domain rules §7 decision: 001 (§1.2.3 "première manifestation de la maladie") and 003
    read the fee scale at the event date; 002 at the medical contra-indication date when one
    is recorded ("à la date de la contre indication"), else at the event date."""
    contract, facts, inputs = claim
    terms = CATALOGUE.contracts[contract]
    result = compute_indemnity(terms, facts, inputs)
    contraindication = facts.medical_contraindication_on
    assert facts.medical
    assert contraindication is not None
    if contract == "MULTIASSISTANCE_PLUS":
        same = replace(facts, event_date=contraindication, medical_contraindication_on=None)
    else:
        same = replace(facts, medical_contraindication_on=None)
    assert compute_indemnity(terms, same, inputs).per_insured == result.per_insured
