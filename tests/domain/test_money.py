"""Money on a claim, rule by rule (api.md v2 §1; docs/rules.md "Money on a claim"):
Given events / When a command / Then events, figures, or a named error and nothing decided."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.claim import Claim
from domain.errors import (
    ApprovalOverAuthority,
    ApprovalRequired,
    ApproverIsRequester,
    ClaimAlreadySettled,
    ClaimClosed,
    ClaimNotAccepted,
    DatesOutOfOrder,
    FinalAmountMismatch,
    InvalidClaimData,
    PaymentAlreadyIssued,
    PaymentExceedsIndemnity,
    PaymentInProgress,
    PaymentNotApproved,
    PaymentNotCancellable,
    PaymentNotIssued,
    PaymentNotPendingApproval,
    RecoveryExceedsPaid,
    RecoveryNotExpected,
    RecoveryWithoutPayment,
    ReserveOverAuthority,
    SettlementModeNotAllowed,
    SettlementOfRefusedClaim,
    SupplementWithoutReopening,
    UnknownPayment,
    UnknownRecovery,
    WithdrawalAfterSettlement,
)
from domain.iban import mask_iban, normalise_iban
from domain.ledger import incurred
from domain.sla import ClockKind, derive_clocks
from domain.values import Cause
from tests.domain.gwt import (
    CALENDAR,
    HANDLER,
    MANAGER,
    P1,
    P2,
    RC2,
    accepted,
    cancel,
    closed,
    decide,
    fail,
    given,
    history,
    issue,
    pay,
    received,
    recover,
    recovered,
    refused,
    reopened,
    requested,
    reserve,
    settled,
    then,
    when,
    withdrawn,
    written_off,
)
from tests.domain.test_claim_guards import rejects

ACCEPTED = (requested("medical_certificate"), received("medical_certificate"), accepted())
TOTAL = Decimal("550.00")
D = Decimal


def status(claim: Claim) -> str:
    return claim.status.value


def figures(claim: Claim) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(reserve, paid, recovered, incurred)."""
    paid, reserve_now, back = claim.amount_paid, claim.reserve, claim.amount_recovered
    return reserve_now, paid, back, incurred(paid=paid, reserve=reserve_now, recovered=back)


# ---------------------------------------------------------------- rule 1: the figures


def test_rule_1_paid_is_the_issued_payments_and_incurred_is_paid_plus_reserve_less_recovered() -> (
    None
):
    later = date(2026, 3, 16)  # a request is not dated before the last issuance
    claim = given(
        history(*ACCEPTED, pay("200.00"), issue(), pay("100.00", on=later), recover("80.00"))
    )
    assert figures(claim) == (D("350.00"), D("200.00"), D("0.00"), D("550.00"))
    when(claim, recovered(amount="50.00"))
    assert figures(claim) == (D("350.00"), D("200.00"), D("50.00"), D("500.00"))
    # v1's amount_paid is the same figure; the approved (not issued) 100.00 is not paid.
    assert claim.amount_paid == D("200.00")
    assert [s.amount for s in claim.settlements] == [D("200.00")]


# ---------------------------------------------------------------- rule 2: within the indemnity


def test_rule_2_payments_of_the_indemnity_never_exceed_it() -> None:
    claim = given(history(*ACCEPTED, pay("500.00")))
    rejects(claim, pay("60.00"), PaymentExceedsIndemnity)
    then(when(claim, pay("50.00")), Claim.PaymentRequested, amount=D("50.00"), kind="partial")


def test_rule_2_a_failed_or_cancelled_payment_no_longer_counts() -> None:
    after = date(2026, 3, 19)
    claim = given(
        history(
            *ACCEPTED,
            pay("500.00"),
            issue(),
            fail(),
            pay("40.00", on=after),
            cancel(P2, on=after),
        )
    )
    then(when(claim, pay("550.00", kind="final", on=after)), Claim.PaymentRequested, amount=TOTAL)


def test_rule_2_a_final_payment_is_exactly_the_rest() -> None:
    claim = given(history(*ACCEPTED, pay("200.00")))
    rejects(claim, pay("300.00", kind="final"), FinalAmountMismatch)
    rejects(claim, pay("400.00", kind="final"), FinalAmountMismatch)
    then(when(claim, pay("350.00", kind="final")), Claim.PaymentRequested, kind="final")


def test_rule_2_supplements_do_not_count_against_the_indemnity() -> None:
    claim = given(history(*ACCEPTED, settled(), reopened(), accepted(on=date(2026, 4, 2))))
    then(
        when(claim, pay("300.00", kind="supplement", on=date(2026, 4, 3), reason="upheld")),
        Claim.PaymentRequested,
        kind="supplement",
        approval_required=True,
    )


# ---------------------------------------------------------------- rule 3: the reserve


def test_rule_3_the_acceptance_reserves_what_it_still_owes() -> None:
    claim = given(history(*ACCEPTED))
    assert claim.reserve == TOTAL
    # Reassessed after a reopening: what was paid before is not reserved again.
    claim = given(
        history(
            requested("medical_certificate"),
            received("medical_certificate"),
            accepted(Jeanne_Martin="500.00"),  # 450.00
            settled(),
            reopened(),
            accepted(on=date(2026, 4, 2)),  # 550.00
        )
    )
    assert claim.reserve == D("100.00")


def test_rule_3_each_issuance_lowers_the_reserve_never_below_zero() -> None:
    claim = given(history(*ACCEPTED, reserve("300.00"), pay("200.00"), issue()))
    assert claim.reserve == D("100.00")
    when(claim, pay("300.00", on=date(2026, 3, 17)))
    when(claim, issue(P2, on=date(2026, 3, 17)))
    assert claim.reserve == D("0.00")


def test_rule_3_a_failure_restores_the_reserve() -> None:
    claim = given(history(*ACCEPTED, pay("200.00"), issue()))
    assert claim.reserve == D("350.00")
    when(claim, fail(returned=True))
    assert claim.reserve == TOTAL
    assert claim.payment(P1).state == "returned"


@pytest.mark.parametrize(
    "end",
    [
        refused(on=date(2026, 3, 14)),
        withdrawn(on=date(2026, 3, 14)),
    ],
)
def test_rule_3_a_refusal_or_withdrawal_releases_the_reserve(end: object) -> None:
    steps = (requested("medical_certificate"), received("medical_certificate"), reserve("900.00"))
    claim = given(history(*steps))
    assert claim.reserve == D("900.00")
    when(claim, end)  # type: ignore[arg-type]
    assert claim.reserve == D("0.00")


def test_rule_3_the_closure_releases_the_reserve() -> None:
    claim = given(history(*ACCEPTED, settled(), reserve("50.00", on=date(2026, 3, 21))))
    assert claim.reserve == D("50.00")
    when(claim, closed())
    assert claim.reserve == D("0.00")


def test_rule_3_a_reserve_is_set_adjusted_and_released_by_hand() -> None:
    claim = given(history())
    then(when(claim, reserve("800.00", on=date(2026, 3, 5))), Claim.ReserveSet, amount=D("800"))
    then(
        when(claim, reserve("1200.00", on=date(2026, 3, 6))),
        Claim.ReserveAdjusted,
        amount=D("1200.00"),
        previous=D("800.00"),
    )
    then(when(claim, reserve("0.00", on=date(2026, 3, 7))), Claim.ReserveReleased)
    assert claim.reserve == D("0.00")


def test_a_reserve_over_the_callers_authority_is_refused() -> None:
    claim = given(history())
    rejects(claim, reserve("5000.01", on=date(2026, 3, 5)), ReserveOverAuthority)
    then(
        when(claim, reserve("5000.01", on=date(2026, 3, 5), by=MANAGER, limit=D("50000.00"))),
        Claim.ReserveSet,
    )


def test_a_reserve_is_refused_on_a_closed_claim_and_dated_after_the_money_before_it() -> None:
    claim = given(history(*ACCEPTED, pay("200.00"), issue()))
    error = rejects(claim, reserve("10.00", on=date(2026, 3, 15)), DatesOutOfOrder)
    assert isinstance(error, DatesOutOfOrder)
    assert error.field == "set_on"
    assert "the payment" in error.message
    closed_claim = given(history(*ACCEPTED, settled(), closed()))
    rejects(closed_claim, reserve("1.00", on=date(2026, 3, 26)), ClaimClosed)


# ---------------------------------------------------------------- rule 4: approvals


def test_rule_4_within_the_requesters_limit_a_payment_is_approved_at_once() -> None:
    claim = given(history(*ACCEPTED))
    then(when(claim, pay("550.00", limit=D("550.00"))), Claim.PaymentRequested, by=HANDLER)
    assert claim.payment(P1).state == "approved"


def test_rule_4_over_the_limit_another_manager_whose_limit_covers_it_approves() -> None:
    claim = given(history(*ACCEPTED))
    when(claim, pay("550.00", limit=D("500.00")))
    assert claim.payment(P1).state == "pending_approval"
    rejects(claim, issue(), PaymentNotApproved)
    rejects(claim, decide(limit=D("549.99")), ApprovalOverAuthority)
    then(when(claim, decide()), Claim.PaymentApproved, payment_id=P1, by=MANAGER)
    assert claim.payment(P1).state == "approved"
    assert claim.payment(P1).decided_by == MANAGER
    rejects(claim, decide(), PaymentNotPendingApproval)


def test_rule_4_the_requester_never_approves_their_own_payment() -> None:
    claim = given(history(*ACCEPTED, pay("550.00", by="admin-1", limit=D("100.00"))))
    rejects(claim, decide(by="admin-1", limit=D("200000.00")), ApproverIsRequester)


def test_rule_4_every_supplement_needs_approval_and_a_reason() -> None:
    base = (*ACCEPTED, settled(), reopened(), accepted(on=date(2026, 4, 2)))
    claim = given(history(*base))
    on = date(2026, 4, 3)
    with pytest.raises(InvalidClaimData) as missing:
        when(claim, pay("10.00", kind="supplement", on=on, limit=None))
    assert missing.value.field == "reason"
    when(claim, pay("10.00", kind="supplement", on=on, limit=None, reason="goodwill"))
    assert claim.payment("S20000001-P2").state == "pending_approval"


def test_a_rejected_payment_is_over() -> None:
    claim = given(history(*ACCEPTED, pay("550.00", limit=D("1.00"))))
    then(when(claim, decide(decision="reject")), Claim.PaymentRejected, payment_id=P1)
    assert claim.payment(P1).state == "rejected"
    rejects(claim, issue(), PaymentNotApproved)
    rejects(claim, cancel(), PaymentNotCancellable)
    then(when(claim, pay("550.00", kind="final")), Claim.PaymentRequested)  # asked again


# ---------------------------------------------------------------- rule 5: IBAN


@pytest.mark.parametrize(
    "given_iban", ["FR76 3000 6000 0112 3456 7890 189", "fr7630006000011234567890189"]
)
def test_rule_5_an_iban_is_stripped_upper_cased_checked_and_masked(given_iban: str) -> None:
    iban = normalise_iban(given_iban)
    assert iban == "FR7630006000011234567890189"
    assert mask_iban(iban) == "FR76*0189"


@pytest.mark.parametrize(
    "bad", ["FR7630006000011234567890188", "FR76", "", "XX00 1234", "FR76300060000112345678901890"]
)
def test_rule_5_an_iban_failing_mod_97_or_its_format_is_invalid_naming_iban(bad: str) -> None:
    with pytest.raises(InvalidClaimData) as raised:
        normalise_iban(bad)
    assert raised.value.field == "iban"
    assert bad.replace(" ", "") not in raised.value.message or not bad  # never echoed


def test_a_transfer_needs_an_iban_unless_the_claim_has_bank_details() -> None:
    claim = given(history(*ACCEPTED))
    with pytest.raises(InvalidClaimData) as raised:
        when(claim, pay("100.00", iban=None))
    assert raised.value.field == "iban"
    when(claim, pay("100.00", mode="cheque", iban=None))  # a cheque needs none
    when(claim, pay("100.00"))
    assert claim.bank_details is not None
    assert claim.bank_details.iban_masked == "FR76*0189"
    assert claim.bank_details.holder == "Jeanne Martin"
    (event,) = when(claim, pay("100.00", iban=None))  # to the bank details
    assert event.iban_masked == "FR76*0189"
    assert event.iban_ciphertext == "sealed:FR76*0189"


# ---------------------------------------------------------------- rule 6: settled, failures


def test_rule_6_settled_when_the_issued_payments_reach_the_indemnity() -> None:
    claim = given(history(*ACCEPTED, pay("200.00"), issue()))
    assert status(claim) == "accepted"
    when(claim, pay("350.00", kind="final", on=date(2026, 3, 16)))
    when(claim, issue(P2, on=date(2026, 3, 17)))
    assert status(claim) == "settled"
    # v1's settlement has nothing more to pay.
    rejects(claim, settled(on=date(2026, 3, 20)), ClaimAlreadySettled)


def test_rule_6_a_failure_puts_the_claim_back_to_accepted_and_a_new_payment_clock_runs() -> None:
    claim = given(history(*ACCEPTED, pay("550.00", kind="final"), issue()))
    assert status(claim) == "settled"
    when(claim, fail(on=date(2026, 3, 18)))
    assert status(claim) == "accepted"
    events = history(*ACCEPTED, pay("550.00", kind="final"), issue(), fail(on=date(2026, 3, 18)))
    clocks = {c.key: c for c in derive_clocks(events, CALENDAR) if c.kind == ClockKind.PAYMENT}
    assert clocks["payment#1"].completed_on == date(2026, 3, 16)  # stopped at the issuance
    restarted = clocks["payment#1.1"]
    assert (restarted.started_on, restarted.due_on) == (date(2026, 3, 18), date(2026, 4, 2))
    assert restarted.completed_on is None
    # Issued again (re-issue), the new clock stops and the claim is settled.
    when(claim, issue(on=date(2026, 3, 19), reference="VIR-10"))
    assert status(claim) == "settled"
    assert claim.payment(P1).bank_reference == "VIR-10"
    reissued = history(
        *ACCEPTED,
        pay("550.00", kind="final"),
        issue(),
        fail(on=date(2026, 3, 18)),
        issue(on=date(2026, 3, 19)),
    )
    clock = {c.key: c for c in derive_clocks(reissued, CALENDAR)}["payment#1.1"]
    assert clock.completed_on == date(2026, 3, 19)


def test_a_partial_issuance_does_not_stop_the_payment_clock() -> None:
    events = history(*ACCEPTED, pay("100.00"), issue())
    (clock,) = [c for c in derive_clocks(events, CALENDAR) if c.kind == ClockKind.PAYMENT]
    assert clock.completed_on is None


def test_only_an_issued_payment_fails_and_only_a_payment_not_issued_is_cancelled() -> None:
    claim = given(history(*ACCEPTED, pay("550.00")))
    rejects(claim, fail(), PaymentNotIssued)
    when(claim, issue())
    rejects(claim, cancel(), PaymentAlreadyIssued)
    when(claim, fail(on=date(2026, 3, 18)))
    then(when(claim, cancel(on=date(2026, 3, 19))), Claim.PaymentCancelled, payment_id=P1)


def test_unknown_payments_and_recoveries_are_named() -> None:
    claim = given(history(*ACCEPTED))
    rejects(claim, issue("S20000001-P9"), UnknownPayment)
    rejects(claim, recovered("S20000001-RC9"), UnknownRecovery)


# ---------------------------------------------------------------- rule 7: reopening


def test_rule_7_a_reopening_keeps_earlier_payments() -> None:
    claim = given(history(*ACCEPTED, pay("200.00"), issue(), reopened(on=date(2026, 4, 1))))
    assert claim.amount_paid == D("200.00")
    assert claim.payment(P1).state == "issued"


def test_a_supplement_needs_a_reopening() -> None:
    claim = given(history(*ACCEPTED, settled()))
    rejects(
        claim,
        pay("10.00", kind="supplement", on=date(2026, 3, 21), reason="goodwill"),
        SupplementWithoutReopening,
    )


def test_an_approved_payment_waits_for_the_new_assessment_after_a_reopening() -> None:
    claim = given(history(*ACCEPTED, pay("200.00"), reopened(on=date(2026, 3, 20))))
    rejects(claim, issue(on=date(2026, 3, 21)), ClaimNotAccepted)
    then(when(claim, cancel(on=date(2026, 3, 21))), Claim.PaymentCancelled)


# ---------------------------------------------------------------- rule 8: closure, withdrawal


@pytest.mark.parametrize("limit", [D("1.00"), D("5000.00")])
def test_rule_8_a_closure_waits_for_payments_pending_or_approved(limit: Decimal) -> None:
    claim = given(history(*ACCEPTED, pay("550.00", kind="final", limit=limit)))
    rejects(claim, closed(), PaymentInProgress)


def test_rule_8_a_withdrawal_after_an_issuance_is_refused() -> None:
    claim = given(history(*ACCEPTED, pay("100.00"), issue()))
    rejects(claim, withdrawn(on=date(2026, 3, 20)), WithdrawalAfterSettlement)


# ---------------------------------------------------------------- the table's other 409s


def test_a_payment_needs_an_accepted_claim() -> None:
    rejects(given(history(requested("medical_certificate"))), pay("1.00"), ClaimNotAccepted)
    refusal = (requested("medical_certificate"), received("medical_certificate"), refused())
    rejects(given(history(*refusal)), pay("1.00"), SettlementOfRefusedClaim)


def test_a_payment_goes_in_the_settlement_mode_chosen_at_declaration() -> None:
    cash = given(history(*ACCEPTED))
    rejects(cash, pay("1.00", mode="voucher", iban=None), SettlementModeNotAllowed)
    voucher = given(
        history(
            requested("booking_form"),
            received("booking_form"),
            accepted(),
            cause=Cause("D", "personal_reason", "no longer wishes to travel"),
            settlement_mode="voucher",
        )
    )
    rejects(voucher, pay("1.00"), SettlementModeNotAllowed)
    rejects(voucher, pay("1.00", mode="cheque", iban=None), SettlementModeNotAllowed)
    then(when(voucher, pay("1.00", mode="voucher", iban=None)), Claim.PaymentRequested)


def test_a_recovery_follows_a_payment_and_never_claims_back_more_than_was_paid() -> None:
    rejects(given(history(*ACCEPTED, pay("550.00"))), recover("10.00"), RecoveryWithoutPayment)
    claim = given(history(*ACCEPTED, pay("300.00"), issue(), recover("200.00")))
    rejects(claim, recover("100.01"), RecoveryExceedsPaid)
    then(when(claim, recover("100.00", source="card_insurer")), Claim.RecoveryExpected)
    rejects(claim, recovered(RC2, amount="100.01"), RecoveryExceedsPaid)


def test_a_recovery_is_received_or_written_off_once() -> None:
    claim = given(history(*ACCEPTED, pay("300.00"), issue(), recover("200.00"), recover("50.00")))
    then(when(claim, recovered(amount="150.00")), Claim.RecoveryReceived, amount=D("150.00"))
    rejects(claim, recovered(), RecoveryNotExpected)
    rejects(claim, written_off(), RecoveryNotExpected)
    then(when(claim, written_off(RC2)), Claim.RecoveryWrittenOff, recovery_id=RC2)
    assert claim.amount_recovered == D("150.00")


def test_a_recovery_is_recorded_on_a_closed_claim() -> None:
    claim = given(history(*ACCEPTED, settled(), closed()))
    then(when(claim, recover("100.00", on=date(2026, 4, 1))), Claim.RecoveryExpected)


# ---------------------------------------------------------------- v1's settlement


def test_the_v1_settlement_over_the_callers_authority_needs_an_approval() -> None:
    claim = given(history(*ACCEPTED))
    step = lambda c: c.settle(  # noqa: E731
        paid_on=date(2026, 3, 20), mode="cash", reference="V", by=HANDLER, authority=D("500.00")
    )
    rejects(claim, step, ApprovalRequired)


def test_the_v1_settlement_waits_for_a_payment_in_flight() -> None:
    rejects(given(history(*ACCEPTED, pay("100.00"))), settled(), PaymentInProgress)


def test_the_v1_settlement_pays_the_rest_after_partial_payments() -> None:
    claim = given(history(*ACCEPTED, pay("200.00"), issue()))
    when(claim, settled())
    assert [(p.amount, p.kind, p.state) for p in claim.payments] == [
        (D("200.00"), "partial", "issued"),
        (D("350.00"), "final", "issued"),
    ]
    assert status(claim) == "settled"


# ---------------------------------------------------------------- causal dates


@pytest.mark.parametrize(
    ("steps", "command", "field"),
    [
        ((), pay("1.00", on=date(2026, 3, 11)), "requested_on"),
        ((pay("550.00", limit=D("1")),), decide(on=date(2026, 3, 13)), "decided_on"),
        ((pay("550.00"),), issue(on=date(2026, 3, 13)), "issued_on"),
        ((pay("550.00"), issue()), fail(on=date(2026, 3, 15)), "failed_on"),
        ((pay("550.00"),), cancel(on=date(2026, 3, 13)), "cancelled_on"),
        ((pay("550.00"), issue()), recover("1.00", on=date(2026, 3, 15)), "expected_on"),
        (
            (pay("550.00"), issue(), recover("1.00")),
            recovered(on=date(2026, 3, 19)),
            "received_on",
        ),
        (
            (pay("550.00"), issue(), recover("1.00")),
            written_off(on=date(2026, 3, 19)),
            "written_off_on",
        ),
        ((pay("550.00"), issue()), reserve("1.00", on=date(2026, 3, 15)), "set_on"),
    ],
)
def test_a_money_command_dated_before_a_fact_it_depends_on_is_422_naming_its_date(
    steps: tuple[object, ...], command: object, field: str
) -> None:
    claim = given(history(*ACCEPTED, *steps))  # type: ignore[arg-type]
    error = rejects(claim, command, DatesOutOfOrder)  # type: ignore[arg-type]
    assert isinstance(error, DatesOutOfOrder)
    assert error.field == field
