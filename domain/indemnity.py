"""The indemnity engine: what the insurer owes, computed from the contract's data.

Pure functions over `Decimal`; no I/O, no clock. The steps, in order (domain rules §5, §7-§9):
basis per insured -> deductible -> minus what the card insurer paid -> per-person cap ->
per-event cap shared in proportion. The contract covers what remains of the loss after the card
insurer's payment, and its caps apply to what it pays (001 §1.2.3 b, §3.5 "Cumul des
assurances"): payable = min(cap, fees - deductible - card payment), never negative. Every step
is kept per insured and explained in the trace, so an audit replay shows why each euro was paid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from domain.catalogue import ContractTerms, DeductibleRule, GuaranteeTerms
from domain.errors import InvalidClaimData
from domain.values import (
    CENT,
    AssessmentInputs,
    FeeBracket,
    Guarantee,
    Indemnity,
    Insured,
    InsuredIndemnity,
    Trip,
    to_money,
)

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def allocate(target: Decimal, weights: Sequence[Decimal], names: Sequence[str]) -> list[Decimal]:
    """Share `target` in proportion to `weights`, to the cent, summing exactly to `target`.

    Each share is rounded half-even; the remaining cents go to the largest weights first
    (ties by name, so the result does not depend on the order of the insured), and a share
    never exceeds its own weight nor falls below zero.
    """
    total = sum(weights, ZERO)
    if total == 0:
        return [ZERO for _ in weights]
    if not ZERO <= target <= total:
        msg = f"cannot share {target} over weights summing to {total}"
        raise ValueError(msg)
    shares = [cents(w * target / total) for w in weights]
    remainder = target - sum(shares, ZERO)
    step = CENT if remainder > 0 else -CENT
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], names[i]))
    while remainder != 0:
        moved = False
        for i in order:
            if remainder == 0:
                break
            candidate = shares[i] + step
            if ZERO <= candidate <= weights[i]:
                shares[i] = candidate
                remainder -= step
                moved = True
        if not moved:  # pragma: no cover - impossible when 0 <= target <= total
            msg = "could not place the remaining cents"
            raise ArithmeticError(msg)
    return shares


@dataclass(frozen=True)
class ClaimFacts:
    """What the engine reads from the declared claim."""

    guarantee: str
    category: str
    cause_code: str
    settlement_mode: str
    medical: bool
    insured: tuple[Insured, ...]
    trip: Trip
    event_date: date
    medical_contraindication_on: date | None = None
    interrupted_on: date | None = None
    fee_scale: tuple[FeeBracket, ...] | None = None
    card_insurer_paid: Decimal = ZERO


class _Computation:
    """Accumulates the per-insured amounts and the trace of one assessment."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.basis = dict.fromkeys(names, ZERO)
        self.deductible = dict.fromkeys(names, ZERO)
        self.capped_per_person = dict.fromkeys(names, ZERO)
        self.capped_per_event = dict.fromkeys(names, ZERO)
        self.card_insurer = dict.fromkeys(names, ZERO)
        self.trace: list[str] = []

    def amount(self, name: str) -> Decimal:
        return (
            self.basis[name]
            - self.deductible[name]
            - self.capped_per_person[name]
            - self.capped_per_event[name]
            - self.card_insurer[name]
        )

    def amounts(self) -> list[Decimal]:
        return [self.amount(name) for name in self.names]

    def result(self) -> Indemnity:
        shares = tuple(
            InsuredIndemnity(
                insured=name,
                basis=self.basis[name],
                deductible=self.deductible[name],
                payable=self.amount(name),
                capped_per_person=self.capped_per_person[name],
                capped_per_event=self.capped_per_event[name],
                card_insurer_deduction=self.card_insurer[name],
            )
            for name in self.names
        )
        total = sum((share.payable for share in shares), ZERO)
        self.trace.append(f"total payable {total}")
        return Indemnity(total=total, per_insured=shares, trace=tuple(self.trace))


def _money(field: str, value: Decimal) -> Decimal:
    try:
        amount = to_money(value)
    except ValueError as exc:
        raise InvalidClaimData(field, str(exc)) from exc
    if amount < 0:
        raise InvalidClaimData(field, "must not be negative")
    return amount


def _known_insured(field: str, name: str, names: list[str]) -> str:
    if name not in names:
        raise InvalidClaimData(field, f"{name!r} is not insured on this claim")
    return name


# ---------------------------------------------------------------------- fee scale


def fee_due(
    scale: Sequence[FeeBracket], trip_price: Decimal, days_before: int
) -> tuple[Decimal, FeeBracket | None]:
    """The reimbursable cancellation fee due `days_before` calendar days before departure,
    never above the trip price; (0, None) when no bracket covers that day.

    A bracket at 0 % charges only a flat amount (its minimum): in seed 004's scale that is the
    file fee of the "more than 30 days" band ("60€ de frais de dossier par personne"), and a
    file fee is never reimbursed (001 §1.2.2, 002 and 003 "à l'exclusion des frais de
    dossier", 004): such a bracket is due 0."""
    for bracket in scale:
        upper = bracket.max_days_before
        if bracket.min_days_before <= days_before and (upper is None or days_before <= upper):
            if bracket.percent == 0:
                return ZERO, bracket
            due = cents(trip_price * Decimal(bracket.percent) / HUNDRED)
            if bracket.minimum_per_person is not None:
                due = max(due, bracket.minimum_per_person)
            return min(due, trip_price), bracket
    return ZERO, None


def _describe(bracket: FeeBracket) -> str:
    upper = "more" if bracket.max_days_before is None else str(bracket.max_days_before)
    if bracket.percent == 0:
        if bracket.minimum_per_person is None:
            return f"0 % for {bracket.min_days_before} to {upper} days: nothing due"
        return (
            f"0 % for {bracket.min_days_before} to {upper} days: only a file fee of "
            f"{bracket.minimum_per_person} per person, never reimbursed"
        )
    minimum = (
        f", minimum {bracket.minimum_per_person}" if bracket.minimum_per_person is not None else ""
    )
    return f"{bracket.percent} % for {bracket.min_days_before} to {upper} days{minimum}"


def _scale(facts: ClaimFacts, terms: ContractTerms) -> tuple[FeeBracket, ...]:
    if facts.fee_scale:
        return facts.fee_scale
    cancellation = terms.guarantees.get(Guarantee.CANCELLATION)
    if cancellation is None or not cancellation.fee_scale:
        raise InvalidClaimData(
            "fee_scale", f"{terms.code} has no default fee scale; give the organiser's"
        )
    return cancellation.fee_scale


# ---------------------------------------------------------------------- bases per guarantee


def _reference_date(facts: ClaimFacts, terms: ContractTerms) -> tuple[date, str]:
    """The date the fee scale is read at, and why: the event date, except for a medical cause
    under a contract reading it at the medical contra-indication (002), when one is recorded."""
    if not facts.medical:
        return facts.event_date, "event date"
    contraindication = facts.medical_contraindication_on
    if terms.medical_reference_date == "contraindication":
        if contraindication is not None:
            return contraindication, f"medical contra-indication date, as {terms.code} reads it"
        return facts.event_date, (
            f"event date: {terms.code} reads the scale at the medical contra-indication date, "
            "and none is recorded"
        )
    why = f"event date, the first manifestation or medical finding, as {terms.code} reads it"
    if contraindication is not None:
        why += f"; the medical contra-indication date {contraindication} is not used"
    return facts.event_date, why


def _cancellation_basis(
    c: _Computation,
    facts: ClaimFacts,
    terms: ContractTerms,
    guarantee: GuaranteeTerms,
    inputs: AssessmentInputs,
) -> None:
    reference, why = _reference_date(facts, terms)
    days_before = (facts.trip.departure_date - reference).days
    c.trace.append(
        f"reference date {reference} ({why}): {days_before} days before departure "
        f"on {facts.trip.departure_date}"
    )
    scale = _scale(facts, terms)
    c.trace.append(
        "fee scale: "
        + ("the organiser's" if facts.fee_scale else f"{terms.code} default (seed 004 example)")
    )
    prices = {person.name: person.trip_price for person in facts.insured}
    seen: list[str] = []
    for index, fee in enumerate(inputs.fees):
        name = _known_insured(f"fees[{index}].insured", fee.insured, c.names)
        if name in seen:
            raise InvalidClaimData(f"fees[{index}].insured", f"{name!r} is listed twice")
        seen.append(name)
        invoiced = _money(f"fees[{index}].invoiced", fee.invoiced)
        non_refundable = _money(f"fees[{index}].non_refundable", fee.non_refundable)
        due, bracket = fee_due(scale, prices[name], days_before)
        rule = _describe(bracket) if bracket else "no bracket covers that day"
        retained = min(invoiced, due)
        basis = min(max(ZERO, retained - non_refundable), prices[name])
        c.basis[name] = basis
        c.trace.append(
            f"{name}: due {due} on the reference date ({rule}); basis = "
            f"min(invoiced {invoiced}, due {due}) - non-refundable {non_refundable}"
            f" = {basis} (trip price {prices[name]})"
        )
    missing = [name for name in c.names if name not in seen]
    if missing:
        raise InvalidClaimData(
            "fees", f"one item per insured person; missing: {', '.join(missing)}"
        )


def _interruption_basis(
    c: _Computation,
    facts: ClaimFacts,
    terms: ContractTerms,
    guarantee: GuaranteeTerms,
    inputs: AssessmentInputs,
) -> None:
    trip = facts.trip
    if facts.interrupted_on is None:
        raise InvalidClaimData("interrupted_on", "required for an interruption")
    span = (trip.return_date - trip.departure_date).days
    unused = (trip.return_date - facts.interrupted_on).days
    # Days count both ends of the trip; nights run from the night after the early return.
    total = span + 1 if guarantee.counting_unit == "days" else span
    unit = guarantee.counting_unit or "nights"
    transport = trip.transport_price or ZERO
    c.trace.append(
        f"prorata temporis in {unit}: {unused} unused of {total} "
        f"(interrupted {facts.interrupted_on}, return {trip.return_date}); "
        f"transport {transport} per person excluded"
    )
    for person in facts.insured:
        land = max(ZERO, person.trip_price - transport)
        basis = cents(land * unused / total) if total > 0 else ZERO
        c.basis[person.name] = basis
        c.trace.append(
            f"{person.name}: ({person.trip_price} - {transport}) x {unused}/{total} = {basis}"
        )


def _baggage_basis(
    c: _Computation,
    facts: ClaimFacts,
    terms: ContractTerms,
    guarantee: GuaranteeTerms,
    inputs: AssessmentInputs,
) -> None:
    if not inputs.baggage:
        raise InvalidClaimData("baggage", "list the lost or damaged items")
    ordinary = dict.fromkeys(c.names, ZERO)
    valuables = dict.fromkeys(c.names, ZERO)
    refunds = dict.fromkeys(c.names, ZERO)
    for index, item in enumerate(inputs.baggage):
        name = _known_insured(f"baggage[{index}].insured", item.insured, c.names)
        value = _money(f"baggage[{index}].replacement_value", item.replacement_value)
        depreciation = _money(f"baggage[{index}].depreciation", item.depreciation)
        if depreciation > value:
            raise InvalidClaimData(
                f"baggage[{index}].depreciation", "exceeds the replacement value"
            )
        refunds[name] += _money(f"baggage[{index}].carrier_refund", item.carrier_refund)
        (valuables if item.valuable else ordinary)[name] += value - depreciation
    for name in c.names:
        valuable = valuables[name]
        if guarantee.valuables_cap_ratio is not None and guarantee.cap_per_person is not None:
            limit = cents(guarantee.cap_per_person * guarantee.valuables_cap_ratio)
            if valuable > limit:
                c.trace.append(
                    f"{name}: valuables {valuable} limited to {limit} "
                    f"({guarantee.valuables_cap_ratio} of the cap)"
                )
                valuable = limit
        basis = max(ZERO, ordinary[name] + valuable - refunds[name])
        c.basis[name] = basis
        c.trace.append(
            f"{name}: replacement value less depreciation {ordinary[name]} + "
            f"valuables {valuable} - carrier refund {refunds[name]} = {basis}"
        )


def _flight_delay_basis(
    c: _Computation,
    facts: ClaimFacts,
    terms: ContractTerms,
    guarantee: GuaranteeTerms,
    inputs: AssessmentInputs,
) -> None:
    flat = guarantee.flat_amount_per_person_per_leg or ZERO
    minimum = guarantee.minimum_delay_minutes or 0
    if not inputs.delays:
        raise InvalidClaimData("delays", "list each delayed leg")
    legs = dict.fromkeys(c.names, 0)
    for index, leg in enumerate(inputs.delays):
        name = _known_insured(f"delays[{index}].insured", leg.insured, c.names)
        if leg.delay_minutes < 0:
            raise InvalidClaimData(f"delays[{index}].delay_minutes", "must not be negative")
        if leg.delay_minutes > minimum:
            legs[name] += 1
    for name in c.names:
        c.basis[name] = flat * legs[name]
        c.trace.append(
            f"{name}: {legs[name]} leg(s) arriving more than {minimum} minutes late"
            f" x {flat} = {c.basis[name]}"
        )


def _missed_departure_basis(
    c: _Computation,
    facts: ClaimFacts,
    terms: ContractTerms,
    guarantee: GuaranteeTerms,
    inputs: AssessmentInputs,
) -> None:
    if not inputs.tickets:
        raise InvalidClaimData("tickets", "give the cost of each replacement ticket")
    scale = _scale(facts, terms)
    prices = {person.name: person.trip_price for person in facts.insured}
    for index, ticket in enumerate(inputs.tickets):
        name = _known_insured(f"tickets[{index}].insured", ticket.insured, c.names)
        cost = _money(f"tickets[{index}].amount", ticket.amount)
        cancelling, _ = fee_due(scale, prices[name], 0)
        c.basis[name] = min(cost, cancelling)
        c.trace.append(
            f"{name}: ticket {cost}, never more than cancelling on the departure "
            f"day ({cancelling}) = {c.basis[name]}"
        )


# ---------------------------------------------------------------------- deductibles and caps


def _apply_deductible(c: _Computation, rule: DeductibleRule | None, facts: ClaimFacts) -> None:
    if rule is None:
        c.trace.append("no deductible")
        return
    prices = {person.name: person.trip_price for person in facts.insured}
    label = rule.source or "deductible"
    for name in c.names:
        basis = c.basis[name]
        tier = rule.tier_for(prices[name])
        if tier.fixed_per_person is not None:
            deductible = tier.fixed_per_person
        elif tier.percent is not None:
            deductible = max(cents(basis * tier.percent / HUNDRED), tier.minimum_per_person or ZERO)
        else:
            deductible = ZERO
        c.deductible[name] = min(deductible, basis)
    if any(c.deductible.values()):
        c.trace.append(
            f"deductible per person ({label}): "
            + ", ".join(f"{name} {c.deductible[name]}" for name in c.names)
        )
    per_file = sum(c.deductible.values(), ZERO)
    if rule.maximum_per_file is not None and per_file > rule.maximum_per_file:
        shares = allocate(rule.maximum_per_file, [c.deductible[n] for n in c.names], c.names)
        c.deductible = dict(zip(c.names, shares, strict=True))
        c.trace.append(
            f"deductibles {per_file} exceed the maximum of {rule.maximum_per_file} "
            "per file: reduced in proportion"
        )
    if rule.fixed_per_file is not None:
        remaining = [c.amount(name) for name in c.names]
        file_deductible = min(rule.fixed_per_file, sum(remaining, ZERO))
        shares = allocate(file_deductible, remaining, c.names)
        for name, share in zip(c.names, shares, strict=True):
            c.deductible[name] += share
        c.trace.append(f"deductible {file_deductible} per file ({label}), shared in proportion")


def _apply_caps(c: _Computation, guarantee: GuaranteeTerms) -> None:
    cap = guarantee.cap_per_person
    if cap is not None:
        for name in c.names:
            amount = c.amount(name)
            if amount > cap:
                c.capped_per_person[name] = amount - cap
                c.trace.append(f"{name}: {amount} capped at {cap} per person")
    event_cap = guarantee.cap_per_event
    total = sum(c.amounts(), ZERO)
    if event_cap is not None and total > event_cap:
        before = c.amounts()
        shares = allocate(event_cap, before, c.names)
        for name, amount, share in zip(c.names, before, shares, strict=True):
            c.capped_per_event[name] = amount - share
        c.trace.append(
            f"total {total} over the cap of {event_cap} per event: shared in "
            "proportion to each insured's amount"
        )


def _deduct_card_insurer(c: _Computation, paid: Decimal) -> None:
    """The card insurer's payment comes off the loss left after the deductibles, before this
    contract's caps (domain rules §5: this contract pays what remains, within its own caps),
    shared in proportion to each insured's remaining amount."""
    if paid <= 0:
        return
    before = c.amounts()
    deduction = min(paid, sum(before, ZERO))
    shares = allocate(deduction, before, c.names)
    for name, share in zip(c.names, shares, strict=True):
        c.card_insurer[name] = share
    c.trace.append(
        f"card insurer paid {paid}: {deduction} deducted from the loss after the deductibles "
        "and before the caps, in proportion (this contract covers what remains, L.121-1, "
        "L.121-4): "
        + ", ".join(
            f"{name} {amount} - {share} = {amount - share}"
            for name, amount, share in zip(c.names, before, shares, strict=True)
        )
    )


BasisRule = Callable[
    [_Computation, ClaimFacts, ContractTerms, GuaranteeTerms, AssessmentInputs], None
]

_BASES: dict[Guarantee, BasisRule] = {
    Guarantee.CANCELLATION: _cancellation_basis,
    Guarantee.INTERRUPTION: _interruption_basis,
    Guarantee.BAGGAGE: _baggage_basis,
    Guarantee.FLIGHT_DELAY: _flight_delay_basis,
    Guarantee.MISSED_DEPARTURE: _missed_departure_basis,
}


def compute_indemnity(
    terms: ContractTerms, facts: ClaimFacts, inputs: AssessmentInputs
) -> Indemnity:
    """What the insurer owes on this claim under these contract terms, with its trace."""
    guarantee_code = Guarantee(facts.guarantee)
    guarantee = terms.guarantees.get(guarantee_code)
    if guarantee is None:
        raise InvalidClaimData("guarantee", f"{terms.code} does not cover {guarantee_code}")
    c = _Computation([person.name for person in facts.insured])
    c.trace.append(f"{terms.code} {guarantee_code} ({guarantee.source or terms.source})")
    _BASES[guarantee_code](c, facts, terms, guarantee, inputs)
    rule = guarantee.deductible_rule(facts.category, facts.cause_code, facts.settlement_mode)
    named = terms.causes.get(facts.cause_code)
    if rule is not None and rule.cause_codes and named is not None:
        c.trace.append(f"cause {facts.cause_code}: {named.label} ({named.source})")
    _apply_deductible(c, rule, facts)
    _deduct_card_insurer(c, facts.card_insurer_paid)
    _apply_caps(c, guarantee)
    return c.result()
