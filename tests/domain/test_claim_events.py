"""Given events / When command / Then events: one test per event of the claim lifecycle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.claim import Claim
from domain.values import (
    AssessmentInputs,
    CardInsurerPosition,
    ClaimStatus,
    Complaint,
    DeclarationFlag,
    FeeInput,
    Insured,
    InsuredIndemnity,
    Mediation,
    Settlement,
    Trip,
)
from tests.domain.gwt import (
    ACCEPTED_AND_PAID,
    HANDLER,
    accepted,
    acknowledged,
    answered,
    card_insurer,
    closed,
    complaint,
    declare,
    escalated,
    given,
    history,
    mediation,
    received,
    refused,
    reopened,
    requested,
    settled,
    then,
    then_paid,
    when,
    withdrawn,
)


def declaration_event(**overrides: Any) -> Claim.Declared:
    """The declaration's decided facts (lateness, flags, dates), as its event records them."""
    (event,) = declare(**overrides).pending_events
    assert isinstance(event, Claim.Declared)
    return event


def test_when_declared_then_declared_with_actor_dates_and_computed_flags() -> None:
    claim = declare()
    (declared,) = claim.collect_events()
    assert isinstance(declared, Claim.Declared)
    assert declared.by == HANDLER
    assert declared.claim_number == "S20000001"
    assert declared.event_date == date(2026, 3, 2)
    assert declared.declared_on == date(2026, 3, 4)
    assert declared.late_declaration is False
    assert declared.declaration_working_days_late == 0
    assert declared.card_insurer_position_required is False
    assert declared.medical_cause is True
    assert declared.timestamp.tzinfo is not None  # recording time, UTC
    assert claim.status == ClaimStatus.DECLARED
    assert claim.version == 1


def test_when_declared_eight_working_days_after_knowledge_then_flagged_three_days_late() -> None:
    # Known Monday 2 March 2026; 5 jours ouvrés end Monday 9 March; declared Thursday 12 March.
    claim = declaration_event(declared_on=date(2026, 3, 12))
    assert claim.late_declaration is True
    assert claim.declaration_working_days_late == 3
    assert DeclarationFlag.LATE_DECLARATION in claim.flags


def test_when_declared_on_the_fifth_working_day_then_not_late() -> None:
    assert declaration_event(declared_on=date(2026, 3, 9)).late_declaration is False


def test_when_declared_across_public_holidays_then_they_are_not_counted() -> None:
    # Known Thursday 30 April 2026. 1 May and 8 May are holidays: the 5 jours ouvrés are
    # 4, 5, 6, 7 and 11 May.
    summer = Trip(
        departure_date=date(2026, 7, 1), return_date=date(2026, 7, 14), destination="Porto"
    )
    in_time = declaration_event(
        event_date=date(2026, 4, 30),
        known_on=date(2026, 4, 30),
        declared_on=date(2026, 5, 11),
        trip=summer,
    )
    assert in_time.late_declaration is False
    one_day_late = declaration_event(
        event_date=date(2026, 4, 30),
        known_on=date(2026, 4, 30),
        declared_on=date(2026, 5, 12),
        trip=summer,
    )
    assert one_day_late.declaration_working_days_late == 1


def test_when_declared_late_after_event_but_in_time_after_knowledge_then_not_late() -> None:
    claim = declaration_event(event_date=date(2026, 2, 2), known_on=date(2026, 3, 2))
    assert claim.late_declaration is False
    assert claim.known_on == date(2026, 3, 2)


def test_when_known_on_omitted_then_it_defaults_to_the_event_date() -> None:
    assert declaration_event(known_on=None).known_on == date(2026, 3, 2)


def test_when_trip_over_10000_per_person_on_ca2624_then_card_insurer_position_required() -> None:
    claim = declare(insured=(Insured("A", Decimal("10000.01")), Insured("B", Decimal("900.00"))))
    assert claim.card_insurer_position_required is True


def test_when_trip_exactly_10000_per_person_then_normal_path() -> None:
    assert (
        declare(insured=(Insured("A", Decimal("10000.00")),)).card_insurer_position_required
        is False
    )


def test_when_trip_over_10000_on_a_contract_without_the_rule_then_not_required() -> None:
    from domain.values import Cause

    claim = declare(
        contract="MULTIASSISTANCE_PLUS",
        cause=Cause("medical", "illness"),
        insured=(Insured("A", Decimal("15000.00")),),
    )
    assert claim.card_insurer_position_required is False


def test_when_event_before_subscription_then_flagged_not_refused() -> None:
    claim = declaration_event(booking_date=date(2026, 1, 10), subscription_date=date(2026, 3, 3))
    assert DeclarationFlag.EVENT_BEFORE_SUBSCRIPTION in claim.flags
    assert DeclarationFlag.SUBSCRIPTION_AFTER_WINDOW in claim.flags


def test_when_subscribed_within_48_hours_of_booking_then_no_window_flag() -> None:
    claim = declaration_event(booking_date=date(2026, 1, 10), subscription_date=date(2026, 1, 12))
    assert claim.flags == []


def test_given_declared_when_handler_assigned_then_handler_assigned() -> None:
    claim = given(history())
    events = when(
        claim,
        lambda c: c.assign_handler(handler="marie", assigned_on=date(2026, 3, 4), by="manager-1"),
    )
    then(
        events, Claim.HandlerAssigned, handler="marie", assigned_on=date(2026, 3, 4), by="manager-1"
    )
    assert claim.handler == "marie"


def test_given_declared_when_proofs_requested_then_proofs_requested() -> None:
    claim = given(history())
    events = when(claim, requested("medical_certificate", "cancellation_invoice"))
    then(
        events,
        Claim.ProofsRequested,
        documents=["medical_certificate", "cancellation_invoice"],
        requested_on=date(2026, 3, 5),
        by=HANDLER,
    )
    assert claim.status == ClaimStatus.PROOFS_REQUESTED
    assert claim.proofs_complete is False


def test_given_proofs_requested_when_last_proof_received_then_proofs_complete() -> None:
    claim = given(
        history(requested("medical_certificate", "booking_form"), received("booking_form"))
    )
    events = when(claim, received("medical_certificate", on=date(2026, 3, 11)))
    then(
        events,
        Claim.ProofReceived,
        document="medical_certificate",
        received_on=date(2026, 3, 11),
        by=HANDLER,
    )
    assert claim.proofs_complete is True
    assert claim.status == ClaimStatus.PROOFS_COMPLETE


def test_given_proof_received_when_requested_again_then_outstanding_again() -> None:
    claim = given(history(requested("medical_certificate"), received("medical_certificate")))
    when(claim, requested("medical_certificate", on=date(2026, 3, 12)))
    assert claim.proofs_complete is False
    assert claim.proofs_outstanding == ["medical_certificate"]


def test_given_big_trip_with_proofs_complete_then_awaiting_card_insurer() -> None:
    claim = given(
        history(
            requested("medical_certificate"),
            received("medical_certificate"),
            insured=(Insured("A", Decimal("12000.00")),),
        )
    )
    assert claim.status == ClaimStatus.AWAITING_CARD_INSURER


def test_given_awaiting_card_insurer_when_position_received_then_recorded() -> None:
    claim = given(
        history(
            requested("medical_certificate", "card_insurer_position"),
            received("medical_certificate"),
            insured=(Insured("A", Decimal("12000.00")),),
        )
    )
    events = when(claim, card_insurer("paid", "3000.00"))
    then(
        events,
        Claim.CardInsurerPositionReceived,
        decision="paid",
        amount_paid=Decimal("3000.00"),
        received_on=date(2026, 3, 11),
        by=HANDLER,
    )
    assert claim.card_insurer_position == CardInsurerPosition(
        "paid", Decimal("3000.00"), date(2026, 3, 11)
    )
    assert claim.proofs_complete is True  # the requested position document is now in
    assert claim.status == ClaimStatus.PROOFS_COMPLETE


def test_given_proofs_complete_when_accepted_then_the_engine_computes_the_indemnity() -> None:
    claim = given(history(requested("medical_certificate"), received("medical_certificate")))
    event = then(
        when(claim, accepted()),
        Claim.Accepted,
        decided_on=date(2026, 3, 12),
        inputs=AssessmentInputs(fees=(FeeInput("Jeanne Martin", Decimal("900.00")),)),
        by=HANDLER,
    )
    assert event.indemnity.total == Decimal("550.00")
    assert event.indemnity.per_insured == (
        InsuredIndemnity(
            "Jeanne Martin",
            basis=Decimal("600.00"),
            deductible=Decimal("50.00"),
            payable=Decimal("550.00"),
        ),
    )
    assert any("50 % for 8 to 20 days" in line for line in event.indemnity.trace)
    assert claim.status == ClaimStatus.ACCEPTED


def test_given_two_insured_when_accepted_then_total_is_the_sum() -> None:
    two = (Insured("Jeanne Martin", Decimal("1200.00")), Insured("Paul Martin", Decimal("1200.00")))
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), insured=two)
    )
    when(claim, accepted(Jeanne_Martin="550.00", Paul_Martin="549.99"))
    assert claim.indemnity is not None
    assert [share.payable for share in claim.indemnity.per_insured] == [
        Decimal("500.00"),
        Decimal("499.99"),
    ]
    assert claim.indemnity.total == Decimal("999.99")


def test_given_proofs_complete_when_refused_then_refused_with_reason() -> None:
    claim = given(history(requested("medical_certificate"), received("medical_certificate")))
    then(
        when(claim, refused(reason="pre-existing illness")),
        Claim.Refused,
        decided_on=date(2026, 3, 12),
        reason="pre-existing illness",
        by=HANDLER,
    )
    assert claim.status == ClaimStatus.REFUSED


def test_given_accepted_when_settled_then_settled_for_the_indemnity() -> None:
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), accepted())
    )
    then_paid(
        when(claim, settled()),
        on=date(2026, 3, 20),
        mode="transfer",  # cash is paid by transfer
        reference="VIR-1",
        amount=Decimal("550.00"),
        by=HANDLER,
    )
    assert claim.status == ClaimStatus.SETTLED


def test_given_category_d_voucher_when_settled_by_voucher_then_settled() -> None:
    from domain.values import Cause

    claim = given(
        history(
            requested("booking_form"),
            received("booking_form"),
            accepted(),
            cause=Cause("D", "personal_reason", "no longer wishes to travel"),
            settlement_mode="voucher",
        )
    )
    then_paid(
        when(claim, settled(mode="voucher", reference="AVOIR-12")),
        amount=claim.indemnity.total if claim.indemnity else Decimal("-1"),
        on=date(2026, 3, 20),
        reference="AVOIR-12",
        mode="voucher",
    )


def test_given_settled_when_closed_then_closed() -> None:
    claim = given(history(*ACCEPTED_AND_PAID))
    then(when(claim, closed()), Claim.Closed, closed_on=date(2026, 3, 25), by=HANDLER)
    assert claim.status == ClaimStatus.CLOSED


def test_given_declared_when_withdrawn_then_withdrawn() -> None:
    claim = given(history())
    then(when(claim, withdrawn()), Claim.Withdrawn, withdrawn_on=date(2026, 3, 6), by=HANDLER)
    assert claim.status == ClaimStatus.WITHDRAWN


def test_given_closed_when_reopened_then_back_to_assessment() -> None:
    claim = given(history(*ACCEPTED_AND_PAID, closed()))
    then(
        when(claim, reopened()),
        Claim.Reopened,
        reopened_on=date(2026, 4, 1),
        reason="complaint upheld",
        by=HANDLER,
    )
    assert claim.status == ClaimStatus.PROOFS_COMPLETE
    assert claim.indemnity is None
    assert claim.amount_paid == Decimal("550.00")


def test_given_reassessed_higher_after_reopening_when_settled_then_the_difference_is_paid() -> None:
    # First accepted on an invoice of 500.00 (450.00 paid); the full invoice of 900.00 comes
    # with the complaint: 550.00 owed, 100.00 still to pay.
    claim = given(
        history(
            requested("medical_certificate"),
            received("medical_certificate"),
            accepted(Jeanne_Martin="500.00"),
            settled(),
            closed(),
            reopened(),
            accepted(on=date(2026, 4, 2), Jeanne_Martin="900.00"),
        )
    )
    then_paid(
        when(claim, settled(on=date(2026, 4, 5), reference="VIR-2")),
        amount=Decimal("100.00"),
        on=date(2026, 4, 5),
        reference="VIR-2",
    )
    assert claim.settlements == [
        Settlement(date(2026, 3, 20), "cash", "VIR-1", Decimal("450.00")),
        Settlement(date(2026, 4, 5), "cash", "VIR-2", Decimal("100.00")),
    ]


def test_given_withdrawn_when_reopened_then_handled_again() -> None:
    claim = given(history(requested("medical_certificate"), withdrawn()))
    when(claim, reopened(on=date(2026, 3, 8), reason="insured changed their mind"))
    assert claim.status == ClaimStatus.PROOFS_REQUESTED


def test_given_declared_when_complaint_opened_then_opened_with_its_id() -> None:
    claim = given(history())
    events = when(claim, complaint())
    then(
        events,
        Claim.ComplaintOpened,
        complaint_id="S20000001-R1",
        sent_on=date(2026, 4, 1),
        received_on=date(2026, 4, 2),
        channel="email",
        summary="indemnity too low",
        by=HANDLER,
    )
    assert claim.complaints == [
        Complaint("S20000001-R1", date(2026, 4, 1), date(2026, 4, 2), "email", "indemnity too low")
    ]


def test_given_closed_claim_when_complaint_opened_then_allowed() -> None:
    claim = given(history(*ACCEPTED_AND_PAID, closed()))
    then(when(claim, complaint()), Claim.ComplaintOpened)
    assert claim.status == ClaimStatus.CLOSED  # a side track, not a status


def test_given_complaint_when_acknowledged_then_acknowledged() -> None:
    claim = given(history(complaint()))
    then(
        when(claim, acknowledged()),
        Claim.ComplaintAcknowledged,
        complaint_id="S20000001-R1",
        sent_on=date(2026, 4, 3),
        by=HANDLER,
    )
    assert claim.complaint("S20000001-R1").acknowledged_on == date(2026, 4, 3)


def test_given_complaint_when_answered_then_answered_at_first_level() -> None:
    claim = given(history(complaint(), acknowledged()))
    then(
        when(claim, answered(outcome="partially_upheld")),
        Claim.ComplaintAnswered,
        complaint_id="S20000001-R1",
        sent_on=date(2026, 4, 20),
        outcome="partially_upheld",
        recours=False,
        by=HANDLER,
    )
    assert claim.complaint("S20000001-R1").outcome == "partially_upheld"


def test_given_answered_complaint_when_escalated_then_recours_received() -> None:
    claim = given(history(complaint(), answered()))
    then(
        when(claim, escalated()),
        Claim.ComplaintEscalated,
        complaint_id="S20000001-R1",
        received_on=date(2026, 4, 25),
        by=HANDLER,
    )


def test_given_escalated_complaint_when_answered_then_the_recours_is_answered() -> None:
    claim = given(history(complaint(), answered(), escalated()))
    then(
        when(claim, answered(on=date(2026, 5, 10), outcome="upheld")),
        Claim.ComplaintAnswered,
        recours=True,
        outcome="upheld",
    )
    answered_complaint = claim.complaint("S20000001-R1")
    assert answered_complaint.outcome == "rejected"
    assert answered_complaint.recours_outcome == "upheld"
    assert answered_complaint.internal_avenues_exhausted is True


def test_given_answered_written_complaint_when_referred_to_mediation_then_referred() -> None:
    claim = given(history(complaint(), answered()))
    then(
        when(claim, mediation()), Claim.MediationReferred, referred_on=date(2026, 6, 15), by=HANDLER
    )
    assert claim.mediation == Mediation(referred_on=date(2026, 6, 15))


def test_given_unanswered_written_complaint_after_two_months_when_referred_then_referred() -> None:
    # The 2-month answer deadline of a complaint sent on 1 April ends on 1 June (the insurer
    # may still answer that day): a referral is possible from 2 June (rules.md "Mediation").
    claim = given(history(complaint(sent_on=date(2026, 4, 1))))
    then(when(claim, mediation(on=date(2026, 6, 2))), Claim.MediationReferred)


def test_given_mediation_when_concluded_then_concluded() -> None:
    claim = given(history(complaint(), answered(), mediation()))
    then(
        when(
            claim,
            lambda c: c.conclude_mediation(
                decided_on=date(2026, 8, 1), outcome="in_favour_of_insured", by="h2"
            ),
        ),
        Claim.MediationConcluded,
        decided_on=date(2026, 8, 1),
        outcome="in_favour_of_insured",
        by="h2",
    )
    assert claim.mediation == Mediation(date(2026, 6, 15), date(2026, 8, 1), "in_favour_of_insured")


def test_given_any_claim_when_note_added_then_note_added() -> None:
    claim = given(history(*ACCEPTED_AND_PAID, closed()))
    then(
        when(
            claim,
            lambda c: c.add_note(text="called the insured", noted_on=date(2026, 3, 26), by=HANDLER),
        ),
        Claim.NoteAdded,
        text="called the insured",
        noted_on=date(2026, 3, 26),
        by=HANDLER,
    )


def test_replaying_the_events_gives_the_same_state_as_deciding_them() -> None:
    decided = declare()
    for step in (
        requested("medical_certificate"),
        received("medical_certificate"),
        accepted(),
        settled(),
        complaint(),
        answered(),
        escalated(),
        mediation(),
        closed(on=date(2026, 6, 20)),
    ):
        step(decided)
    replayed = given(decided.collect_events())
    assert replayed.__dict__ == decided.__dict__
