"""Given events / When command / Then events or error, for the Claim aggregate."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.application import project_aggregate

from domain.calendar import FrenchCalendar
from domain.catalogue import ContractTerms, load_catalogue
from domain.claim import Claim
from domain.claim_view import fold_display
from domain.declaration import ClaimDeclaration
from domain.sla import business_date
from domain.values import AssessmentInputs, Cause, FeeInput, Insured, Trip

CATALOGUE = load_catalogue()
CALENDAR = FrenchCalendar()
HANDLER = "handler-1"

Step = Callable[[Claim], object]
Events = list[Any]


def terms(code: str = "CA2624") -> ContractTerms:
    found = CATALOGUE.get(code)
    assert found is not None
    return found


def declaration(**overrides: Any) -> ClaimDeclaration:
    """A CA2624 cancellation for one insured, declared in time (the README's example)."""
    fields: dict[str, Any] = {
        "contract": "CA2624",
        "subscription_number": "NQ7LVFB",
        "guarantee": "cancellation",
        "cause": Cause(category="A", code="serious_illness", description="hospitalised"),
        "event_date": date(2026, 3, 2),
        "known_on": date(2026, 3, 2),
        "declared_on": date(2026, 3, 4),
        "booking_date": date(2026, 1, 10),
        "subscription_date": date(2026, 1, 10),
        "trip": Trip(
            departure_date=date(2026, 3, 20),
            return_date=date(2026, 3, 27),
            destination="Lisbon",
            transport_price=Decimal("500.00"),
        ),
        "insured": (Insured(name="Jeanne Martin", trip_price=Decimal("1200.00")),),
    }
    fields.update(overrides)
    return ClaimDeclaration(**fields)


def declare(claim_number: str = "S20000001", **overrides: Any) -> Claim:
    return Claim.declare(
        declaration(**overrides),
        claim_number=claim_number,
        terms=terms(overrides.get("contract", "CA2624")),
        calendar=CALENDAR,
        by=HANDLER,
    )


def history(*steps: Step, **declaration_overrides: Any) -> Events:
    """The events of a claim declared with the overrides, then taken through the steps."""
    claim = declare(**declaration_overrides)
    for step in steps:
        step(claim)
    return list(claim.collect_events())


def given(events: Sequence[Any]) -> Claim:
    """The claim folded from its past events, with nothing pending."""
    claim = project_aggregate(None, events)
    assert isinstance(claim, Claim)
    return claim


def when(claim: Claim, command: Step) -> Events:
    """Run the command; return the events it decided."""
    command(claim)
    return list(claim.collect_events())


def data(domain_event: Any) -> dict[str, Any]:
    return {
        f.name: getattr(domain_event, f.name)
        for f in dataclasses.fields(domain_event)
        if f.name not in ("originator_id", "originator_version", "timestamp", "originator_topic")
    }


def then(events: Events, event_type: type[Any], **expected: Any) -> Any:
    """Exactly one event of that type, carrying at least the expected fields."""
    assert [type(e) for e in events] == [event_type]
    actual = data(events[0])
    for key, value in expected.items():
        assert actual[key] == value, f"{key}: {actual[key]!r} != {value!r}"
    return events[0]


def then_paid(
    events: Events,
    *,
    amount: Decimal,
    on: date,
    reference: str,
    mode: str = "transfer",
    by: str = HANDLER,
) -> tuple[Any, Any]:
    """v1's settlement: the final payment requested within authority (approved at once) and
    issued the same day (api.md v2 §1)."""
    assert [type(e) for e in events] == [Claim.PaymentRequested, Claim.PaymentIssued]
    requested, issued = events
    for key, value in {
        "amount": amount,
        "kind": "final",
        "mode": mode,
        "requested_on": on,
        "approval_required": False,
        "by": by,
    }.items():
        assert data(requested)[key] == value, f"{key}: {data(requested)[key]!r} != {value!r}"
    for key, value in {
        "payment_id": requested.payment_id,
        "issued_on": on,
        "bank_reference": reference,
        "amount": amount,
        "by": by,
    }.items():
        assert data(issued)[key] == value, f"{key}: {data(issued)[key]!r} != {value!r}"
    return requested, issued


# Steps, named after what the handler does.


def requested(*documents: str, on: date = date(2026, 3, 5)) -> Step:
    return lambda c: c.request_proofs(documents=list(documents), requested_on=on, by=HANDLER)


def received(document: str, on: date = date(2026, 3, 10)) -> Step:
    return lambda c: c.receive_proof(document=document, received_on=on, by=HANDLER)


def card_insurer(
    decision: str = "refused", amount: str = "0.00", on: date = date(2026, 3, 11)
) -> Step:
    return lambda c: c.receive_card_insurer_position(
        decision=decision, amount_paid=Decimal(amount), received_on=on, by=HANDLER
    )


def accepted(on: date = date(2026, 3, 12), **invoiced: str) -> Step:
    """Accept with the fees invoiced per insured (`Jeanne_Martin="900.00"`), nothing
    non-refundable. The default claim then owes 550.00: 50 % due 18 days before departure
    (600.00), less CA2624's category A deductible of 50.00."""
    fees = tuple(
        FeeInput(insured=name.replace("_", " "), invoiced=Decimal(amount))
        for name, amount in (invoiced or {"Jeanne Martin": "900.00"}).items()
    )
    terms_of = CATALOGUE.contracts
    return lambda c: c.accept(
        decided_on=on, inputs=AssessmentInputs(fees=fees), terms=terms_of[c.contract], by=HANDLER
    )


def refused(on: date = date(2026, 3, 12), reason: str = "excluded cause") -> Step:
    return lambda c: c.refuse(decided_on=on, reason=reason, by=HANDLER)


def settled(on: date = date(2026, 3, 20), mode: str = "cash", reference: str = "VIR-1") -> Step:
    return lambda c: c.settle(paid_on=on, mode=mode, reference=reference, by=HANDLER)


def closed(on: date = date(2026, 3, 25)) -> Step:
    return lambda c: c.close(closed_on=on, by=HANDLER)


def withdrawn(on: date = date(2026, 3, 6)) -> Step:
    return lambda c: c.withdraw(withdrawn_on=on, by=HANDLER)


def reopened(on: date = date(2026, 4, 1), reason: str = "complaint upheld") -> Step:
    return lambda c: c.reopen(reopened_on=on, reason=reason, by=HANDLER)


def complaint(
    sent_on: date = date(2026, 4, 1),
    received_on: date = date(2026, 4, 2),
    channel: str = "email",
    summary: str = "indemnity too low",
) -> Step:
    return lambda c: c.open_complaint(
        sent_on=sent_on, received_on=received_on, channel=channel, summary=summary, by=HANDLER
    )


def acknowledged(complaint_id: str = "S20000001-R1", on: date = date(2026, 4, 3)) -> Step:
    return lambda c: c.acknowledge_complaint(complaint_id=complaint_id, sent_on=on, by=HANDLER)


def answered(
    complaint_id: str = "S20000001-R1", on: date = date(2026, 4, 20), outcome: str = "rejected"
) -> Step:
    return lambda c: c.answer_complaint(
        complaint_id=complaint_id, sent_on=on, outcome=outcome, by=HANDLER
    )


def escalated(complaint_id: str = "S20000001-R1", on: date = date(2026, 4, 25)) -> Step:
    return lambda c: c.escalate_complaint(complaint_id=complaint_id, received_on=on, by=HANDLER)


def mediation(on: date = date(2026, 6, 15)) -> Step:
    return lambda c: c.refer_to_mediation(referred_on=on, calendar=CALENDAR, by=HANDLER)


def mediation_outcome(on: date = date(2026, 8, 1), outcome: str = "partial") -> Step:
    return lambda c: c.conclude_mediation(decided_on=on, outcome=outcome, by=HANDLER)


# Money (docs/rules.md "Money on a claim"). Limits as api.md's defaults.
HANDLER_LIMIT = Decimal("5000.00")
MANAGER_LIMIT = Decimal("50000.00")
MANAGER = "manager-1"
P1, P2, P3 = "S20000001-P1", "S20000001-P2", "S20000001-P3"
RC1, RC2 = "S20000001-RC1", "S20000001-RC2"


def reserve(
    amount: str, on: date = date(2026, 3, 13), by: str = HANDLER, limit: Decimal = HANDLER_LIMIT
) -> Step:
    return lambda c: c.set_reserve(
        amount=Decimal(amount), set_on=on, reason="estimate", by=by, authority=limit
    )


def pay(
    amount: str,
    kind: str = "partial",
    on: date = date(2026, 3, 14),
    mode: str = "transfer",
    by: str = HANDLER,
    limit: Decimal | None = HANDLER_LIMIT,
    iban: str | None = "FR76*0189",
    reason: str | None = None,
) -> Step:
    return lambda c: c.request_payment(
        payee="Jeanne Martin",
        amount=Decimal(amount),
        kind=kind,
        mode=mode,
        requested_on=on,
        iban_masked=iban,
        iban_ciphertext=None if iban is None else f"sealed:{iban}",
        reason=reason,
        by=by,
        authority=limit,
    )


def decide(
    payment_id: str = P1,
    decision: str = "approve",
    on: date = date(2026, 3, 15),
    by: str = MANAGER,
    limit: Decimal = MANAGER_LIMIT,
) -> Step:
    return lambda c: c.decide_payment(
        payment_id=payment_id,
        decision=decision,
        decided_on=on,
        reason="checked",
        by=by,
        authority=limit,
    )


def issue(payment_id: str = P1, on: date = date(2026, 3, 16), reference: str = "VIR-9") -> Step:
    return lambda c: c.issue_payment(
        payment_id=payment_id, issued_on=on, bank_reference=reference, by=HANDLER
    )


def fail(payment_id: str = P1, on: date = date(2026, 3, 18), returned: bool = False) -> Step:
    return lambda c: c.fail_payment(
        payment_id=payment_id, failed_on=on, reason="account closed", returned=returned, by=HANDLER
    )


def cancel(payment_id: str = P1, on: date = date(2026, 3, 17)) -> Step:
    return lambda c: c.cancel_payment(
        payment_id=payment_id, cancelled_on=on, reason="duplicate", by=HANDLER
    )


def recover(
    amount: str, on: date = date(2026, 3, 20), source: str = "carrier", subrogation: bool = False
) -> Step:
    return lambda c: c.expect_recovery(
        source=source, amount=Decimal(amount), expected_on=on, subrogation=subrogation, by=HANDLER
    )


def recovered(recovery_id: str = RC1, amount: str = "50.00", on: date = date(2026, 3, 25)) -> Step:
    return lambda c: c.receive_recovery(
        recovery_id=recovery_id, received_on=on, amount=Decimal(amount), by=HANDLER
    )


def written_off(recovery_id: str = RC1, on: date = date(2026, 3, 25)) -> Step:
    return lambda c: c.write_off_recovery(
        recovery_id=recovery_id, written_off_on=on, reason="insolvent", by=HANDLER
    )


ACCEPTED_AND_PAID: tuple[Step, ...] = (
    requested("medical_certificate"),
    received("medical_certificate"),
    accepted(),
    settled(),
)


# Causality (rules.md "Business dates follow cause and effect").

# Lists whose order is the order of recording, not a fact: compared as sets.
_UNORDERED = ("proofs_requested", "proofs_outstanding")


def comparable_state(claim: Claim) -> dict[str, Any]:
    state = {
        k: v
        for k, v in vars(claim).items()
        if k not in ("_id", "_version", "_created_on", "_modified_on", "_pending_events")
    }
    for name in _UNORDERED:
        state[name] = sorted(state[name])
    state["complaints"] = sorted(state["complaints"], key=lambda c: c.complaint_id)
    # Payments and recoveries of one claim may be requested in any order of their dates.
    state["payments"] = sorted(state["payments"], key=lambda p: p.payment_id)
    state["recoveries"] = sorted(state["recoveries"], key=lambda r: r.recovery_id)
    return state


def comparable(events: Sequence[Any]) -> dict[str, Any]:
    """The claim folded from the events (`comparable_state`) and what its body shows besides
    (domain/claim_view.py), but for the order of recording."""
    display = fold_display(events)
    return {
        **comparable_state(pure_fold(list(events))),
        "display": replace(
            display, version=0, proofs_received=tuple(sorted(display.proofs_received))
        ),
    }


def pure_fold(events: list[Any]) -> Claim:
    """The pure fold: each event's state change, with versions and recorded times ignored."""
    claim = events[0].mutate(None)
    assert isinstance(claim, Claim)
    for domain_event in events[1:]:
        domain_event.apply(claim)
    return claim


def by_business_date(events: list[Any]) -> list[Any]:
    return [events[0], *sorted(events[1:], key=lambda e: (business_date(e), e.originator_version))]
