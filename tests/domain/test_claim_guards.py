"""Given events / When command / Then a named error, and nothing decided."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.claim import Claim
from domain.errors import (
    CardInsurerPositionRequired,
    ClaimAlreadyAssessed,
    ClaimAlreadySettled,
    ClaimClosed,
    ClaimError,
    ClaimNotAccepted,
    ClaimNotReopenable,
    ClaimWithdrawn,
    ComplaintAlreadyAcknowledged,
    ComplaintAlreadyAnswered,
    ComplaintAlreadyEscalated,
    ComplaintNotAnswered,
    DatesOutOfOrder,
    IndemnityUnpaid,
    InvalidClaimData,
    MediationAlreadyConcluded,
    MediationAlreadyReferred,
    MediationNotReferred,
    MediationPremature,
    MediationTooLate,
    MediationWithoutWrittenComplaint,
    ProofsIncomplete,
    SettlementModeNotAllowed,
    SettlementOfRefusedClaim,
    TooManyInsured,
    UnknownComplaint,
    WithdrawalAfterSettlement,
)
from domain.values import Cause, FeeBracket, Insured, Trip
from tests.domain.gwt import (
    ACCEPTED_AND_PAID,
    Step,
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
    mediation_outcome,
    received,
    refused,
    reopened,
    requested,
    settled,
    then,
    when,
    withdrawn,
)

BIG_TRIP = (Insured("A", Decimal("10500.00")),)


def rejects(claim: Claim, command: Step, error: type[ClaimError]) -> ClaimError:
    """Then: the command raises the named error and decides no event."""
    version = claim.version
    with pytest.raises(error) as raised:
        when(claim, command)
    assert claim.collect_events() == []
    assert claim.version == version
    return raised.value


# ---------------------------------------------------------------- declaration


def rejects_declaration(error: type[InvalidClaimData], field: str, **overrides: Any) -> None:
    with pytest.raises(error) as raised:
        declare(**overrides)
    assert raised.value.field == field


def test_when_declared_with_ten_insured_then_too_many_insured() -> None:
    ten = tuple(Insured(f"P{i}", Decimal("100.00")) for i in range(10))
    rejects_declaration(TooManyInsured, "insured", insured=ten)


def test_when_declared_with_nine_insured_then_accepted() -> None:
    nine = tuple(Insured(f"P{i}", Decimal("100.00")) for i in range(9))
    assert len(declare(insured=nine).insured) == 9


def test_when_declared_with_no_insured_then_invalid() -> None:
    rejects_declaration(InvalidClaimData, "insured", insured=())


def test_when_an_insured_is_listed_twice_then_invalid() -> None:
    twice = (Insured("A", Decimal("1.00")), Insured("A", Decimal("2.00")))
    rejects_declaration(InvalidClaimData, "insured[1].name", insured=twice)


@pytest.mark.parametrize("price", ["-1.00", "0.00", "12.345", "NaN"])
def test_when_trip_price_is_not_a_positive_amount_then_invalid(price: str) -> None:
    rejects_declaration(
        InvalidClaimData, "insured[0].trip_price", insured=(Insured("A", Decimal(price)),)
    )


def test_when_guarantee_is_not_covered_by_the_contract_then_invalid() -> None:
    rejects_declaration(InvalidClaimData, "guarantee", guarantee="baggage")


def test_when_guarantee_is_unknown_then_invalid() -> None:
    rejects_declaration(InvalidClaimData, "guarantee", guarantee="teleportation")


def test_when_category_is_not_the_contracts_then_invalid() -> None:
    rejects_declaration(InvalidClaimData, "cause.category", cause=Cause("medical", "x"))


def test_when_category_d_has_no_stated_reason_then_invalid() -> None:
    rejects_declaration(InvalidClaimData, "cause.description", cause=Cause("D", "personal", ""))


def test_when_voucher_asked_outside_category_d_then_invalid() -> None:
    rejects_declaration(InvalidClaimData, "settlement_mode", settlement_mode="voucher")


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        (
            "subscription_date",
            {"booking_date": date(2026, 1, 10), "subscription_date": date(2026, 1, 9)},
        ),
        ("known_on", {"known_on": date(2026, 3, 1)}),
        ("declared_on", {"declared_on": date(2026, 3, 1)}),
        ("trip.return_date", {"trip": Trip(date(2026, 3, 20), date(2026, 3, 19), "Lisbon")}),
        ("trip.departure_date", {"trip": Trip(date(2026, 1, 9), date(2026, 3, 27), "Lisbon")}),
        (
            "event_date",
            {
                "event_date": date(2026, 3, 21),
                "known_on": date(2026, 3, 21),
                "declared_on": date(2026, 3, 22),
            },
        ),
        ("cancelled_on", {"cancelled_on": date(2026, 3, 1)}),
    ],
)
def test_when_dates_are_out_of_order_then_dates_out_of_order(
    field: str, overrides: dict[str, Any]
) -> None:
    rejects_declaration(DatesOutOfOrder, field, **overrides)


def test_when_interruption_has_no_interruption_date_then_invalid() -> None:
    rejects_declaration(
        InvalidClaimData,
        "interrupted_on",
        contract="MULTIASSISTANCE_PLUS",
        guarantee="interruption",
        cause=Cause("medical", "illness"),
    )


def test_when_interruption_date_is_after_the_return_then_out_of_order() -> None:
    rejects_declaration(
        DatesOutOfOrder,
        "interrupted_on",
        contract="MULTIASSISTANCE_PLUS",
        guarantee="interruption",
        cause=Cause("medical", "illness"),
        interrupted_on=date(2026, 3, 28),
    )


def test_when_medical_contraindication_given_for_a_non_medical_cause_then_invalid() -> None:
    rejects_declaration(
        InvalidClaimData,
        "medical_contraindication_on",
        cause=Cause("B", "dismissal"),
        medical_contraindication_on=date(2026, 3, 2),
    )


def test_when_fee_scale_percent_is_over_100_then_invalid() -> None:
    rejects_declaration(
        InvalidClaimData, "fee_scale[0].percent", fee_scale=(FeeBracket(0, None, Decimal("120")),)
    )


# ---------------------------------------------------------------- proofs and assessment


def test_given_no_proof_requested_when_accepted_then_proofs_incomplete() -> None:
    rejects(given(history()), accepted(), ProofsIncomplete)


def test_given_a_proof_outstanding_when_refused_then_proofs_incomplete() -> None:
    claim = given(
        history(requested("medical_certificate", "booking_form"), received("booking_form"))
    )
    error = rejects(claim, refused(), ProofsIncomplete)
    assert "medical_certificate" in str(error)
    assert error.claim_id == claim.id


def test_given_big_trip_without_card_insurer_position_when_accepted_then_required() -> None:
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), insured=BIG_TRIP)
    )
    rejects(claim, accepted(A="100.00"), CardInsurerPositionRequired)


def test_given_big_trip_with_card_insurer_position_when_accepted_then_accepted() -> None:
    claim = given(
        history(
            requested("medical_certificate"),
            received("medical_certificate"),
            card_insurer(),
            insured=BIG_TRIP,
        )
    )
    when(claim, accepted(A="100.00"))
    assert claim.decision == "accepted"


def test_when_card_insurer_refused_with_an_amount_then_invalid() -> None:
    rejects(given(history(insured=BIG_TRIP)), card_insurer("refused", "10.00"), InvalidClaimData)


def test_given_accepted_when_accepted_again_then_already_assessed() -> None:
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), accepted())
    )
    rejects(claim, refused(), ClaimAlreadyAssessed)
    rejects(claim, requested("other", on=date(2026, 3, 13)), ClaimAlreadyAssessed)
    rejects(claim, received("other", on=date(2026, 3, 13)), ClaimAlreadyAssessed)


def test_when_accepted_without_an_amount_for_every_insured_then_invalid() -> None:
    two = (Insured("Jeanne Martin", Decimal("900.00")), Insured("Paul", Decimal("900.00")))
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), insured=two)
    )
    rejects(claim, accepted(Jeanne_Martin="10.00"), InvalidClaimData)
    rejects(claim, accepted(Jeanne_Martin="10.00", Paul="1.00", Nobody="1.00"), InvalidClaimData)
    rejects(claim, accepted(Jeanne_Martin="-10.00", Paul="1.00"), InvalidClaimData)


def test_when_decided_before_the_declaration_then_out_of_order() -> None:
    claim = given(history(requested("medical_certificate"), received("medical_certificate")))
    rejects(claim, accepted(on=date(2026, 3, 3)), DatesOutOfOrder)


def test_when_unknown_document_requested_then_invalid() -> None:
    error = rejects(given(history()), requested("horoscope"), InvalidClaimData)
    assert isinstance(error, InvalidClaimData)
    assert error.field == "documents[0]"


def test_when_no_document_requested_then_invalid() -> None:
    rejects(given(history()), requested(), InvalidClaimData)


# ---------------------------------------------------------------- settlement


def test_given_refused_when_settled_then_settlement_of_refused_claim() -> None:
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), refused())
    )
    rejects(claim, settled(), SettlementOfRefusedClaim)


def test_given_settled_when_settled_again_then_already_settled() -> None:
    rejects(given(history(*ACCEPTED_AND_PAID)), settled(reference="VIR-2"), ClaimAlreadySettled)


def test_given_not_assessed_when_settled_then_not_accepted() -> None:
    rejects(given(history()), settled(), ClaimNotAccepted)


def test_given_cash_claim_when_settled_by_voucher_then_mode_not_allowed() -> None:
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), accepted())
    )
    rejects(claim, settled(mode="voucher"), SettlementModeNotAllowed)


def test_when_paid_before_the_decision_then_out_of_order() -> None:
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), accepted())
    )
    rejects(claim, settled(on=date(2026, 3, 11)), DatesOutOfOrder)


# ---------------------------------------------------------------- closed and withdrawn


LATER = date(2026, 5, 4)  # after every fact of the histories below
MAIN_TRACK: list[Step] = [
    requested("other", on=LATER),
    received("other", on=LATER),
    card_insurer(on=LATER),
    accepted(on=LATER),
    refused(on=LATER),
    settled(on=LATER),
    closed(on=LATER),
    withdrawn(on=LATER),
]
EARLIER = date(2026, 3, 5)  # after the declaration, before the withdrawal and the closure
MAIN_TRACK_EARLIER: list[Step] = [
    requested("other", on=EARLIER),
    received("other", on=EARLIER),
    card_insurer(on=EARLIER),
    accepted(on=EARLIER),
    refused(on=EARLIER),
    settled(on=EARLIER),
    closed(on=EARLIER),
    withdrawn(on=EARLIER),
]


@pytest.mark.parametrize("command", MAIN_TRACK)
def test_given_closed_when_main_track_command_then_claim_closed(command: Step) -> None:
    rejects(
        given(history(withdrawn(), reopened(on=date(2026, 3, 7)), closed())), command, ClaimClosed
    )


@pytest.mark.parametrize("command", MAIN_TRACK)
def test_given_withdrawn_when_main_track_command_then_claim_withdrawn(command: Step) -> None:
    rejects(given(history(withdrawn())), command, ClaimWithdrawn)


@pytest.mark.parametrize("command", MAIN_TRACK_EARLIER)
def test_given_withdrawn_when_main_track_command_dated_before_then_dates_out_of_order(
    command: Step,
) -> None:
    """rules.md "Business dates": the dependency is checked before the state guard."""
    rejects(given(history(withdrawn())), command, DatesOutOfOrder)


@pytest.mark.parametrize("command", [complaint(), reopened(), mediation()])
def test_given_withdrawn_when_side_track_command_then_allowed(command: Step) -> None:
    claim = given(
        history(
            complaint(sent_on=date(2026, 3, 6), received_on=date(2026, 3, 6)),
            answered(on=date(2026, 3, 6)),
            withdrawn(),
        )
    )
    assert len(when(claim, command)) == 1


def test_given_accepted_unpaid_when_closed_then_indemnity_unpaid() -> None:
    claim = given(
        history(requested("medical_certificate"), received("medical_certificate"), accepted())
    )
    rejects(claim, closed(), IndemnityUnpaid)


def test_given_paid_when_withdrawn_then_withdrawal_after_settlement() -> None:
    rejects(
        given(history(*ACCEPTED_AND_PAID)),
        withdrawn(on=date(2026, 3, 21)),
        WithdrawalAfterSettlement,
    )


def test_given_claim_being_handled_when_reopened_then_not_reopenable() -> None:
    rejects(given(history(requested("other"))), reopened(), ClaimNotReopenable)


def test_when_reopened_before_the_closure_then_out_of_order() -> None:
    rejects(
        given(history(*ACCEPTED_AND_PAID, closed())),
        reopened(on=date(2026, 3, 24)),
        DatesOutOfOrder,
    )


# ---------------------------------------------------------------- complaints


def test_when_complaint_received_before_it_was_sent_then_out_of_order() -> None:
    rejects(
        given(history()),
        complaint(sent_on=date(2026, 4, 2), received_on=date(2026, 4, 1)),
        DatesOutOfOrder,
    )


def test_when_complaint_channel_unknown_then_invalid() -> None:
    rejects(given(history()), complaint(channel="pigeon"), InvalidClaimData)


def test_when_unknown_complaint_acknowledged_then_unknown_complaint() -> None:
    rejects(
        given(history(complaint())), acknowledged(complaint_id="S20000001-R9"), UnknownComplaint
    )


def test_given_acknowledged_when_acknowledged_again_then_already_acknowledged() -> None:
    rejects(
        given(history(complaint(), acknowledged())), acknowledged(), ComplaintAlreadyAcknowledged
    )


def test_given_answered_when_acknowledged_then_already_answered() -> None:
    rejects(
        given(history(complaint(), answered())),
        acknowledged(on=date(2026, 4, 20)),
        ComplaintAlreadyAnswered,
    )


def test_given_answer_when_acknowledgement_dated_before_it_then_recorded_late() -> None:
    """Judged as of its date: the answer of 20 April was not there on 3 April."""
    claim = given(history(complaint(), answered()))
    then(
        when(claim, acknowledged(on=date(2026, 4, 3))),
        Claim.ComplaintAcknowledged,
        sent_on=date(2026, 4, 3),
    )


def test_given_answered_and_not_escalated_when_answered_again_then_already_answered() -> None:
    rejects(given(history(complaint(), answered())), answered(), ComplaintAlreadyAnswered)


def test_given_recours_answered_when_answered_again_then_already_answered() -> None:
    claim = given(history(complaint(), answered(), escalated(), answered(on=date(2026, 5, 1))))
    rejects(claim, answered(on=date(2026, 5, 2)), ComplaintAlreadyAnswered)


def test_given_unanswered_complaint_when_escalated_then_not_answered() -> None:
    rejects(given(history(complaint())), escalated(), ComplaintNotAnswered)


def test_given_escalated_when_escalated_again_then_already_escalated() -> None:
    rejects(
        given(history(complaint(), answered(), escalated())), escalated(), ComplaintAlreadyEscalated
    )


def test_when_acknowledged_before_the_complaint_was_received_then_out_of_order() -> None:
    rejects(given(history(complaint())), acknowledged(on=date(2026, 4, 1)), DatesOutOfOrder)


# ---------------------------------------------------------------- mediation


def test_given_no_complaint_when_referred_then_without_written_complaint() -> None:
    rejects(given(history()), mediation(), MediationWithoutWrittenComplaint)


def test_given_only_a_phone_complaint_when_referred_then_without_written_complaint() -> None:
    rejects(
        given(history(complaint(channel="phone"), answered())),
        mediation(),
        MediationWithoutWrittenComplaint,
    )


def test_given_written_complaint_over_a_year_ago_when_referred_then_too_late() -> None:
    claim = given(history(complaint(sent_on=date(2026, 4, 1)), answered()))
    rejects(claim, mediation(on=date(2027, 4, 2)), MediationTooLate)


def test_given_written_complaint_exactly_a_year_ago_when_referred_then_referred() -> None:
    claim = given(history(complaint(sent_on=date(2026, 4, 1)), answered()))
    assert len(when(claim, mediation(on=date(2027, 4, 1)))) == 1


def test_given_unanswered_complaint_within_two_months_when_referred_then_premature() -> None:
    rejects(
        given(history(complaint(sent_on=date(2026, 4, 1)))),
        mediation(on=date(2026, 5, 31)),
        MediationPremature,
    )


def test_given_escalated_recours_pending_within_two_months_when_referred_then_premature() -> None:
    claim = given(history(complaint(), answered(), escalated()))
    rejects(claim, mediation(on=date(2026, 5, 1)), MediationPremature)


def test_given_mediation_when_referred_again_then_already_referred() -> None:
    rejects(
        given(history(complaint(), answered(), mediation())), mediation(), MediationAlreadyReferred
    )


def test_given_no_mediation_when_concluded_then_not_referred() -> None:
    rejects(given(history()), mediation_outcome(), MediationNotReferred)


def test_given_concluded_mediation_when_concluded_again_then_already_concluded() -> None:
    claim = given(history(complaint(), answered(), mediation(), mediation_outcome()))
    rejects(claim, mediation_outcome(), MediationAlreadyConcluded)


def test_when_mediation_outcome_unknown_then_invalid() -> None:
    claim = given(history(complaint(), answered(), mediation()))
    rejects(claim, mediation_outcome(outcome="coin_toss"), InvalidClaimData)


# ---------------------------------------------------------------- notes and assignment


def test_when_empty_note_added_then_invalid() -> None:
    rejects(
        given(history()),
        lambda c: c.add_note(text="  ", noted_on=date(2026, 3, 5), by="h"),
        InvalidClaimData,
    )


def test_when_handler_assigned_before_declaration_then_out_of_order() -> None:
    rejects(
        given(history()),
        lambda c: c.assign_handler(handler="m", assigned_on=date(2026, 3, 1), by="mgr"),
        DatesOutOfOrder,
    )


def test_given_unanswered_complaint_when_referred_on_the_answer_deadline_then_premature() -> None:
    """rules.md "Mediation": the insurer may still answer on the deadline's last day."""
    claim = given(history(complaint(sent_on=date(2026, 4, 1))))
    rejects(claim, mediation(on=date(2026, 6, 1)), MediationPremature)


def test_given_referral_before_a_later_answer_when_referred_then_premature() -> None:
    """domain.md §13: a referral dated 1 June does not see an answer dated 20 June."""
    claim = given(
        history(
            complaint(sent_on=date(2026, 5, 1), received_on=date(2026, 5, 2)),
            answered(on=date(2026, 6, 20)),
        )
    )
    rejects(claim, mediation(on=date(2026, 6, 1)), MediationPremature)
    then(when(claim, mediation(on=date(2026, 6, 20))), Claim.MediationReferred)


def test_given_recours_pending_as_of_referral_when_referred_then_premature() -> None:
    claim = given(
        history(
            complaint(sent_on=date(2026, 5, 1), received_on=date(2026, 5, 2)),
            answered(on=date(2026, 5, 10)),
            escalated(on=date(2026, 5, 20)),
        )
    )
    # Exhausted on 15 May (answer given, no recours yet), pending from 20 May until 1 July.
    then(when(claim, mediation(on=date(2026, 5, 15))), Claim.MediationReferred)
    pending = given(
        history(
            complaint(sent_on=date(2026, 5, 1), received_on=date(2026, 5, 2)),
            answered(on=date(2026, 5, 10)),
            escalated(on=date(2026, 5, 20)),
        )
    )
    rejects(pending, mediation(on=date(2026, 6, 1)), MediationPremature)
    # One 2-month window for both levels: from 2 July the recours is late.
    then(when(pending, mediation(on=date(2026, 7, 2))), Claim.MediationReferred)


def test_given_referral_when_recours_dated_before_it_then_dates_out_of_order() -> None:
    claim = given(
        history(
            complaint(sent_on=date(2026, 5, 1), received_on=date(2026, 5, 2)),
            answered(on=date(2026, 5, 10)),
            mediation(on=date(2026, 5, 15)),
        )
    )
    rejects(claim, escalated(on=date(2026, 5, 12)), DatesOutOfOrder)


def test_mediation_year_ends_like_a_deadline_in_months() -> None:
    """Complaint sent on Saturday 2025-11-01 (All Saints' Day): the year ends on Monday
    2026-11-02 (a Sunday moved to Monday, rules.md "Calendar")."""
    claim = given(history(complaint(sent_on=date(2025, 11, 1), received_on=date(2026, 3, 5))))
    then(when(claim, mediation(on=date(2026, 11, 2))), Claim.MediationReferred)
    late = given(history(complaint(sent_on=date(2025, 11, 1), received_on=date(2026, 3, 5))))
    rejects(late, mediation(on=date(2026, 11, 3)), MediationTooLate)


def test_a_declaration_whose_deadline_is_beyond_the_calendar_is_invalid_data() -> None:
    far = date(9999, 12, 30)
    trip = Trip(date(9999, 12, 31), date(9999, 12, 31), "Lisbon", Decimal("500.00"))
    with pytest.raises(InvalidClaimData) as refused:
        declare(event_date=far, known_on=far, declared_on=far, trip=trip)
    assert refused.value.field == "known_on"


def test_a_referral_on_a_complaint_sent_in_year_9999_is_judged_not_crashed() -> None:
    """A round-1 store may hold such a complaint: the guard answers, it does not overflow."""
    claim = given(history(complaint(sent_on=date(9999, 12, 30), received_on=date(9999, 12, 30))))
    rejects(claim, mediation(on=date(9999, 12, 31)), MediationPremature)
