"""Every accepted history is causal (rules.md "Business dates follow cause and effect").

Random command sequences with random, possibly back-dated, business dates go through the
aggregate's commands; the refused ones are dropped. For what was accepted, folding the events
in business-date order (ties by version) gives the same claim, and the same SLA clocks, as in
version order. When a back-dated fact breaks this, a dependency is missing from the list in
docs/adr/0014-causal-business-dates.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.claim import Claim
from domain.errors import ClaimError, DatesOutOfOrder
from domain.ledger import rest
from domain.sla import derive_clocks
from domain.values import AssessmentInputs, FeeInput, Insured
from tests.domain.gwt import (
    CALENDAR,
    HANDLER,
    by_business_date,
    comparable,
    declare,
    terms,
)

DECLARED = date(2026, 3, 4)
DOCUMENTS = ("medical_certificate", "cancellation_invoice", "booking_form")


def _day(offset: int) -> date:
    return DECLARED + timedelta(days=offset)


def _payment_id(claim: Claim, pick: int) -> str:
    if not claim.payments:
        return "S20000001-P1"
    return claim.payments[pick % len(claim.payments)].payment_id


def _recovery_id(claim: Claim, pick: int) -> str:
    if not claim.recoveries:
        return "S20000001-RC1"
    return claim.recoveries[pick % len(claim.recoveries)].recovery_id


def _request_payment(c: Claim, on: date, p: int) -> object:
    kind = ("partial", "final", "supplement")[p % 3]
    amount = Decimal(40 * (p + 1))
    if kind == "final" and c.indemnity is not None:
        amount = rest(c.indemnity.total, c.payments)
    return c.request_payment(
        payee="Jeanne Martin",
        amount=amount,
        kind=kind,
        mode=("transfer", "cheque")[p % 2],
        requested_on=on,
        iban_masked=f"FR76*{p:04d}" if p % 4 == 0 else None,
        iban_ciphertext=f"sealed-{p}" if p % 4 == 0 else None,
        reason="complaint upheld" if kind == "supplement" else None,
        by=HANDLER if p % 5 else "handler-2",
        authority=Decimal("300.00"),
    )


def _complaint_id(claim: Claim, pick: int) -> str:
    if not claim.complaints:
        return "S20000001-R1"
    return claim.complaints[pick % len(claim.complaints)].complaint_id


def _action_id(claim: Claim, pick: int) -> str:
    complaint_id = _complaint_id(claim, pick)
    actions = [a for c in claim.complaints for a in c.corrective_actions]
    mine = [a for a in actions if a.action_id.startswith(f"{complaint_id}-A")]
    return mine[pick % len(mine)].action_id if mine else f"{complaint_id}-A1"


Command = Callable[[Claim, date, int], object]

# The README's insured person, with the subject id the service layer draws (api.md v2 §6).
SUBJECT_INSURED = (
    Insured(name="Jeanne Martin", trip_price=Decimal("1200.00"), subject_id=UUID(int=1)),
)
COMMANDS: dict[str, Command] = {
    "request": lambda c, on, p: c.request_proofs(
        documents=[DOCUMENTS[p % 3], DOCUMENTS[(p + 1) % 3]][: 1 + p % 2],
        requested_on=on,
        by=HANDLER,
    ),
    "receive": lambda c, on, p: c.receive_proof(
        document=DOCUMENTS[p % 3], received_on=on, by=HANDLER
    ),
    "card": lambda c, on, p: c.receive_card_insurer_position(
        decision="refused", amount_paid=Decimal("0.00"), received_on=on, by=HANDLER
    ),
    "accept": lambda c, on, p: c.accept(
        decided_on=on,
        inputs=AssessmentInputs(
            fees=(FeeInput(insured="Jeanne Martin", invoiced=Decimal(900 + 100 * p)),)
        ),
        terms=terms(),
        by=HANDLER,
    ),
    "refuse": lambda c, on, p: c.refuse(decided_on=on, reason="excluded", by=HANDLER),
    "settle": lambda c, on, p: c.settle(paid_on=on, mode="cash", reference=f"V{p}", by=HANDLER),
    "close": lambda c, on, p: c.close(closed_on=on, by=HANDLER),
    "withdraw": lambda c, on, p: c.withdraw(withdrawn_on=on, by=HANDLER),
    "reopen": lambda c, on, p: c.reopen(reopened_on=on, reason="upheld", by=HANDLER),
    "complaint": lambda c, on, p: c.open_complaint(
        sent_on=on - timedelta(days=p),
        received_on=on,
        channel=("email", "phone", "letter", "web_form")[p % 4],
        summary="too slow",
        by=HANDLER,
    ),
    "acknowledge": lambda c, on, p: c.acknowledge_complaint(
        complaint_id=_complaint_id(c, p), sent_on=on, by=HANDLER
    ),
    "answer": lambda c, on, p: c.answer_complaint(
        complaint_id=_complaint_id(c, p), sent_on=on, outcome="rejected", by=HANDLER
    ),
    "escalate": lambda c, on, p: c.escalate_complaint(
        complaint_id=_complaint_id(c, p), received_on=on, by=HANDLER
    ),
    "qualify": lambda c, on, p: c.qualify_complaint(
        complaint_id=_complaint_id(c, p),
        qualified_on=on,
        motive=("delay", "amount", "refusal")[p % 3],
        root_cause=("handling_error", "none_found")[p % 2],
        by=HANDLER,
    ),
    "action": lambda c, on, p: c.record_corrective_action(
        complaint_id=_complaint_id(c, p),
        recorded_on=on,
        action="train the team",
        owner="quality",
        due_on=on + timedelta(days=p),
        by=HANDLER,
    ),
    "complete": lambda c, on, p: c.complete_corrective_action(
        complaint_id=_complaint_id(c, p), action_id=_action_id(c, p), done_on=on, by=HANDLER
    ),
    "refer": lambda c, on, p: c.refer_to_mediation(referred_on=on, calendar=CALENDAR, by=HANDLER),
    "conclude": lambda c, on, p: c.conclude_mediation(decided_on=on, outcome="partial", by=HANDLER),
    "interrupt": lambda c, on, p: c.interrupt_prescription(
        act="registered_letter", interrupted_on=on, by=HANDLER
    ),
    "note": lambda c, on, p: c.add_note(text="called", noted_on=on, by=HANDLER),
    "assign": lambda c, on, p: c.assign_handler(handler=f"h{p}", assigned_on=on, by=HANDLER),
    # Money (docs/rules.md "Money on a claim").
    "reserve": lambda c, on, p: c.set_reserve(
        amount=Decimal(100 * (p % 4)), set_on=on, reason="estimate", by=HANDLER, authority=None
    ),
    "pay": _request_payment,
    "decide": lambda c, on, p: c.decide_payment(
        payment_id=_payment_id(c, p),
        decision=("approve", "approve", "reject")[p % 3],
        decided_on=on,
        reason="checked",
        by="manager-1",
        authority=Decimal("50000.00"),
    ),
    "issue": lambda c, on, p: c.issue_payment(
        payment_id=_payment_id(c, p), issued_on=on, bank_reference=f"B{p}", by=HANDLER
    ),
    "fail": lambda c, on, p: c.fail_payment(
        payment_id=_payment_id(c, p),
        failed_on=on,
        reason="account closed",
        returned=p % 2 == 0,
        by=HANDLER,
    ),
    "cancel": lambda c, on, p: c.cancel_payment(
        payment_id=_payment_id(c, p), cancelled_on=on, reason="duplicate", by=HANDLER
    ),
    "recover": lambda c, on, p: c.expect_recovery(
        source=("card_insurer", "carrier", "third_party", "other_insurer")[p % 4],
        amount=Decimal(10 * (p + 1)),
        expected_on=on,
        subrogation=p % 2 == 0,
        by=HANDLER,
    ),
    # Erasure (docs/adr/0037): the claims below name their insured person by a subject id.
    "erase": lambda c, on, p: c.erase_personal_data(
        subject_ids=c.subject_ids[:1], erased_on=on, basis="request", by="admin-1"
    ),
    "recovered": lambda c, on, p: c.receive_recovery(
        recovery_id=_recovery_id(c, p), received_on=on, amount=Decimal(5 * (p + 1)), by=HANDLER
    ),
    "write_off": lambda c, on, p: c.write_off_recovery(
        recovery_id=_recovery_id(c, p), written_off_on=on, reason="insolvent", by=HANDLER
    ),
}

steps = st.lists(
    st.tuples(st.sampled_from(sorted(COMMANDS)), st.integers(-3, 420), st.integers(0, 11)),
    max_size=45,
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_every_accepted_history_reads_the_same_in_business_date_order(
    commands: list[tuple[str, int, int]],
) -> None:
    _check_causal(declare(insured=SUBJECT_INSURED), commands)


def _accepted() -> Claim:
    """A claim accepted on day 8 (550.00 owed), where the money commands apply."""
    claim = declare(insured=SUBJECT_INSURED)
    claim.request_proofs(documents=["other"], requested_on=_day(2), by=HANDLER)
    claim.receive_proof(document="other", received_on=_day(5), by=HANDLER)
    COMMANDS["accept"](claim, _day(8), 0)
    return claim


# The money commands once more each (twice for payments and issuances): they weigh more.
MONEY_WEIGHT = ["reserve", "pay", "pay", "decide", "issue", "issue", "fail", "cancel"]
MONEY_WEIGHT += ["recover", "recovered", "write_off", "settle"]
money_steps = st.lists(
    st.tuples(
        st.sampled_from([*sorted(COMMANDS), *MONEY_WEIGHT]),
        st.integers(-3, 120),
        st.integers(0, 11),
    ),
    max_size=30,
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(money_steps)
def test_every_history_of_money_after_an_acceptance_reads_the_same_in_business_date_order(
    commands: list[tuple[str, int, int]],
) -> None:
    """The same property from an accepted claim, where the money commands weigh more."""
    _check_causal(_accepted(), commands)


def _check_causal(claim: Claim, commands: list[tuple[str, int, int]]) -> None:
    for name, offset, pick in commands:
        try:
            COMMANDS[name](claim, _day(offset), pick)
        except ClaimError:
            continue
    events = list(claim.collect_events())

    assert comparable(by_business_date(events)) == comparable(events)

    clocks = {c.key: c for c in derive_clocks(events, CALENDAR)}
    clocks_by_date = {c.key: c for c in derive_clocks(by_business_date(events), CALENDAR)}
    assert clocks_by_date == clocks


def test_the_issue_timeline_is_refused() -> None:
    """Round 1's demo recorded "v11 Reopened 18 April, v12 Closed 3 February"."""
    claim = declare()
    claim.request_proofs(documents=["other"], requested_on=date(2026, 3, 5), by=HANDLER)
    claim.receive_proof(document="other", received_on=date(2026, 3, 9), by=HANDLER)
    claim.refuse(decided_on=date(2026, 3, 10), reason="excluded", by=HANDLER)
    claim.close(closed_on=date(2026, 3, 12), by=HANDLER)
    claim.reopen(reopened_on=date(2026, 4, 18), reason="upheld", by=HANDLER)
    with pytest.raises(DatesOutOfOrder, match="the reopening") as refused:
        claim.refuse(decided_on=date(2026, 3, 13), reason="excluded", by=HANDLER)
    assert refused.value.field == "decided_on"
    with pytest.raises(DatesOutOfOrder, match="closed_on: 2026-03-13 is before the reopening"):
        claim.close(closed_on=date(2026, 3, 13), by=HANDLER)


def test_an_assessment_before_the_proof_that_completed_the_file_is_refused() -> None:
    """The issue's handling clock "started 10 March, done 6 March, met"."""
    claim = declare()
    claim.request_proofs(documents=["other"], requested_on=date(2026, 3, 5), by=HANDLER)
    claim.receive_proof(document="other", received_on=date(2026, 3, 10), by=HANDLER)
    with pytest.raises(DatesOutOfOrder, match="before the receipt of other"):
        COMMANDS["accept"](claim, date(2026, 3, 6), 0)
