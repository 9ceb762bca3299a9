"""The policy asks once for each notification a claim's events owe its declarant; the sender
delivers them over a real SMTP server and SMS gateway and records the outcome."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.errors import InvalidClaimData
from domain.notification import (
    Channel,
    NotificationAlreadyReported,
    NotificationState,
    Outcome,
    Template,
    notification_id,
)
from domain.values import AssessmentInputs, FeeInput
from infra.notification_index import NotificationIndex
from infra.settings import Settings
from services.application import ClaimsApplication
from services.notifications.policy import NotificationPolicy
from services.notifications.sender import DirectReporter, Sender
from services.notifications.service import Notifications
from services.notifications.wiring import build_policy, build_sender
from tests.domain.gwt import declaration
from tests.notifications.support import (
    EMAIL,
    MOBILE,
    FakeClock,
    MemoryOutbox,
    SmsGatewayServer,
    SmtpServer,
    email_only,
)

BY = "handler-1"


def templates(notifications: Notifications, claim_id: UUID) -> list[tuple[str, str, str]]:
    return [
        (item["template"], item["channel"], item["state"])
        for item in notifications.for_claim(claim_id)
    ]


def sender_for(
    notifications: Notifications,
    smtp: SmtpServer | None = None,
    sms: SmsGatewayServer | None = None,
    *,
    outbox: MemoryOutbox | None = None,
    clock: FakeClock | None = None,
    pauses: list[float] | None = None,
) -> Sender:
    settings = Settings(
        smtp_host=smtp.host if smtp else None,
        smtp_port=smtp.port if smtp else 587,
        smtp_security="none",
        sms_gateway_url=sms.url if sms else None,
        sms_gateway_token="gateway-secret-token",
        notify_attempts=3,
    )
    recorded = pauses if pauses is not None else []
    return build_sender(
        settings,
        notifications,
        DirectReporter(notifications),
        recipients=email_only,
        access_codes=outbox,
        clock=clock or FakeClock(),
        sleep=recorded.append,
    )


def test_given_a_claim_lifecycle_when_the_policy_runs_then_one_notification_per_trigger_and_channel(
    app: ClaimsApplication, policy: NotificationPolicy, notifications: Notifications
) -> None:
    claim = app.declare(declaration(), by=BY)
    app.request_proofs(
        claim.id, documents=["medical_certificate"], requested_on=date(2026, 3, 5), by=BY
    )
    app.receive_proof(
        claim.id, document="medical_certificate", received_on=date(2026, 3, 10), by=BY
    )
    app.accept(
        claim.id,
        decided_on=date(2026, 3, 12),
        inputs=AssessmentInputs(fees=(FeeInput("Jeanne Martin", Decimal("900.00")),)),
        by=BY,
    )
    app.settle(claim.id, paid_on=date(2026, 3, 20), mode="cash", reference="VIR-1", by=BY)
    version = app.get_claim(claim.id).version

    policy.catch_up()

    expected = [
        Template.DECLARATION_RECEIPT,
        Template.PROOFS_REQUESTED,
        Template.PROOFS_COMPLETE,
        Template.DECISION,
        Template.PAYMENT_ISSUED,
    ]
    assert templates(notifications, claim.id) == [
        (t.value, c, "requested") for t in expected for c in ("email", "sms")
    ]
    assert app.get_claim(claim.id).version == version  # the claim's stream does not move


def test_a_refusal_and_a_complaint_letters_are_notified_and_other_events_are_not(
    app: ClaimsApplication, notifications: Notifications
) -> None:
    claim = app.declare(declaration(), by=BY)
    app.add_note(claim.id, text="called", noted_on=date(2026, 3, 5), by=BY)
    app.request_proofs(claim.id, documents=["booking_form"], requested_on=date(2026, 3, 5), by=BY)
    app.receive_proof(claim.id, document="booking_form", received_on=date(2026, 3, 5), by=BY)
    app.refuse(claim.id, decided_on=date(2026, 3, 6), reason="not covered", by=BY)
    _, complaint = app.open_complaint(
        claim.id,
        sent_on=date(2026, 3, 9),
        received_on=date(2026, 3, 10),
        channel="email",
        summary="unfair",
        by=BY,
    )
    app.acknowledge_complaint(claim.id, complaint_id=complaint, sent_on=date(2026, 3, 11), by=BY)
    app.answer_complaint(
        claim.id, complaint_id=complaint, sent_on=date(2026, 3, 20), outcome="rejected", by=BY
    )

    build_policy(app, notifications, email_only).catch_up()

    items = notifications.for_claim(claim.id)
    assert [(i["template"], i["trigger"]) for i in items] == [
        ("declaration_receipt", "Declared"),
        ("proofs_requested", "ProofsRequested"),
        ("proofs_complete", "ProofReceived"),
        ("decision", "Refused"),
        ("complaint_acknowledgement", "ComplaintAcknowledged"),
        ("complaint_answer", "ComplaintAnswered"),
    ]
    decision = notifications.open(notifications.get(UUID(items[3]["notification_id"])))
    assert decision.params == {
        "claim_number": claim.claim_number,
        "decision": "refused",
        "amount": None,
    }  # the refusal's reason is free text: it stays on the claim


def test_given_the_policy_read_everything_when_it_reads_the_log_again_then_nothing_new(
    app: ClaimsApplication,
    policy: NotificationPolicy,
    notifications: Notifications,
) -> None:
    claim = app.declare(declaration(), by=BY)
    policy.catch_up()
    head = app.recorder.max_notification_id()
    with notifications.index.store.transaction() as tx:  # as after a crash before the position
        notifications.index.save_position("policy", 0, tx)

    policy.catch_up()

    assert app.recorder.max_notification_id() == head  # nothing written twice
    assert len(notifications.for_claim(claim.id)) == 2


def test_given_a_request_when_requested_again_then_the_same_id_and_no_error(
    app: ClaimsApplication, notifications: Notifications
) -> None:
    claim = app.declare(declaration(), by=BY)
    kwargs = {
        "template": Template.DECISION,
        "channel": Channel.EMAIL,
        "recipient": EMAIL,
        "params": {"claim_number": claim.claim_number, "decision": "refused"},
        "trigger": f"{claim.id}:7",
        "trigger_type": "Refused",
        "claim_id": claim.id,
    }
    first, created = notifications.request(**kwargs)  # type: ignore[arg-type]
    again, created_again = notifications.request(**kwargs)  # type: ignore[arg-type]
    assert (created, created_again) == (True, False)
    assert first == again == notification_id(f"{claim.id}:7", Template.DECISION, Channel.EMAIL)


def test_given_a_claim_without_a_declarant_then_no_notification(
    app: ClaimsApplication, notifications: Notifications
) -> None:
    claim = app.declare(declaration(), by=BY)
    build_policy(app, notifications).catch_up()  # the default look-up: the claim's declarant
    assert notifications.for_claim(claim.id) == []


def test_recipient_and_params_are_sealed_in_the_store(
    app: ClaimsApplication, policy: NotificationPolicy, notifications: Notifications
) -> None:
    claim = app.declare(declaration(), by=BY)
    policy.catch_up()
    stored = [
        n.state.decode("utf-8", "replace")
        for n in app.recorder.select_notifications(start=1, limit=100)
        if "Notification" in n.topic
    ]
    assert stored
    for state in stored:
        assert "jeanne" not in state.lower()
        assert MOBILE.address not in state
        assert claim.claim_number not in state
    (item, _) = notifications.for_claim(claim.id)
    opened = notifications.open(notifications.get(UUID(item["notification_id"])))
    assert opened.recipient == EMAIL
    assert opened.params["claim_number"] == claim.claim_number


def test_given_a_receipt_when_sent_then_smtp_receives_the_number_the_code_and_the_proofs(
    app: ClaimsApplication,
    notifications: Notifications,
    smtp_server: SmtpServer,
) -> None:
    claim = app.declare(declaration(), by=BY)
    outbox = MemoryOutbox()
    outbox.put(claim.id, "hash-1", "K7M2Q9XR")
    nid, _ = notifications.request(
        template=Template.DECLARATION_RECEIPT,
        channel=Channel.EMAIL,
        recipient=EMAIL,
        params={
            "claim_number": claim.claim_number,
            "declared_on": "2026-03-04",
            "access_code_ref": "hash-1",
            "proofs": ["cancellation_invoice", "booking_form", "medical_certificate"],
        },
        trigger=f"{claim.id}:1",
        trigger_type="Declared",
        claim_id=claim.id,
    )
    clock = FakeClock()

    assert (
        sender_for(notifications, smtp_server, outbox=outbox, clock=clock).run_once(
            as_of=date(2026, 3, 4)
        )
        == 1
    )

    (mail,) = smtp_server.handler.messages
    text = smtp_server.text_of(mail)
    assert mail["To"] == "Jeanne Martin <jeanne.martin@example.org>"
    assert claim.claim_number in mail["Subject"]
    assert claim.claim_number in text
    assert "K7M2Q9XR" in text
    assert "la facture des frais d'annulation" in text
    assert "le bulletin d'inscription au voyage" in text
    assert "médical" not in text.lower()
    notification = notifications.get(nid)
    assert notification.state == NotificationState.SENT
    assert notification.reported_at == clock.now
    assert outbox.codes == {}  # kept only until it is sent


def test_given_an_sms_when_sent_then_the_gateway_receives_it(
    app: ClaimsApplication, notifications: Notifications, sms_gateway: SmsGatewayServer
) -> None:
    claim = app.declare(declaration(), by=BY)
    nid, _ = notifications.request(
        template=Template.PROOFS_COMPLETE,
        channel=Channel.SMS,
        recipient=MOBILE,
        params={"claim_number": claim.claim_number},
        trigger=f"{claim.id}:3",
        trigger_type="ProofReceived",
        claim_id=claim.id,
    )

    assert sender_for(notifications, sms=sms_gateway).deliver(nid) == Outcome.SENT

    (sms,) = sms_gateway.received
    assert sms["to"] == MOBILE.address
    assert claim.claim_number in sms["text"]
    assert len(sms["text"]) <= 320
    assert sms_gateway.headers[0]["Authorization"] == "Bearer gateway-secret-token"
    assert notifications.get(nid).state == NotificationState.SENT


def test_given_smtp_refuses_then_retried_with_back_off_and_failed_after_the_last_attempt(
    app: ClaimsApplication, notifications: Notifications, smtp_server: SmtpServer
) -> None:
    claim = app.declare(declaration(), by=BY)
    nid, _ = notifications.request(
        template=Template.PROOFS_COMPLETE,
        channel=Channel.EMAIL,
        recipient=EMAIL,
        params={"claim_number": claim.claim_number},
        trigger=f"{claim.id}:3",
        trigger_type="ProofReceived",
        claim_id=claim.id,
    )
    smtp_server.handler.refuse = 3
    pauses: list[float] = []

    assert sender_for(notifications, smtp_server, pauses=pauses).deliver(nid) == Outcome.FAILED

    notification = notifications.get(nid)
    assert notification.state == NotificationState.FAILED
    assert notification.reason == "smtp 451"
    assert len(pauses) == 2  # 3 attempts
    assert pauses[1] > pauses[0]  # a longer pause each time
    assert smtp_server.handler.messages == []


def test_given_smtp_refuses_once_then_the_retry_delivers(
    app: ClaimsApplication, notifications: Notifications, smtp_server: SmtpServer
) -> None:
    claim = app.declare(declaration(), by=BY)
    nid, _ = notifications.request(
        template=Template.PROOFS_COMPLETE,
        channel=Channel.EMAIL,
        recipient=EMAIL,
        params={"claim_number": claim.claim_number},
        trigger=f"{claim.id}:3",
        trigger_type="ProofReceived",
        claim_id=claim.id,
    )
    smtp_server.handler.refuse = 1

    assert sender_for(notifications, smtp_server).deliver(nid) == Outcome.SENT
    assert len(smtp_server.handler.messages) == 1


def test_delivery_reports_are_idempotent_and_a_conflicting_one_is_refused(
    app: ClaimsApplication, notifications: Notifications
) -> None:
    claim = app.declare(declaration(), by=BY)
    nid, _ = notifications.request(
        template=Template.PROOFS_COMPLETE,
        channel=Channel.EMAIL,
        recipient=EMAIL,
        params={"claim_number": claim.claim_number},
        trigger=f"{claim.id}:3",
        trigger_type="ProofReceived",
        claim_id=claim.id,
    )
    at = FakeClock().now
    notifications.report(nid, outcome=Outcome.SENT, at=at, reason=None, by="notifier")
    head = app.recorder.max_notification_id()
    notifications.report(
        nid, outcome=Outcome.SENT, at=at + timedelta(minutes=1), reason=None, by="notifier"
    )
    assert app.recorder.max_notification_id() == head
    with pytest.raises(NotificationAlreadyReported):
        notifications.report(nid, outcome=Outcome.FAILED, at=at, reason="bounce", by="notifier")
    assert notifications.get(nid).state == NotificationState.SENT


def test_reminders_at_d15_and_d30_while_proofs_are_missing_once_each(
    app: ClaimsApplication,
    policy: NotificationPolicy,
    notifications: Notifications,
) -> None:
    missing = app.declare(declaration(), by=BY)
    complete = app.declare(declaration(), by=BY)
    for claim in (missing, complete):
        app.request_proofs(
            claim.id,
            documents=["medical_certificate", "booking_form"],
            requested_on=date(2026, 3, 5),
            by=BY,
        )
    app.receive_proof(missing.id, document="booking_form", received_on=date(2026, 3, 6), by=BY)
    for document in ("medical_certificate", "booking_form"):
        app.receive_proof(complete.id, document=document, received_on=date(2026, 3, 6), by=BY)
    policy.catch_up()
    sender = sender_for(notifications)  # no transport: reminders are only recorded

    def reminders(claim_id: UUID) -> list[int | None]:
        return [
            item["reminder_day"]
            for item in notifications.for_claim(claim_id)
            if item["template"] == "proofs_reminder"
        ]

    assert sender.remind(date(2026, 3, 19)) == 0  # D+14
    assert sender.remind(date(2026, 3, 20)) == 1  # D+15, e-mail only
    assert sender.remind(date(2026, 3, 21)) == 0  # already recorded
    assert sender.remind(date(2026, 4, 4)) == 1  # D+30
    assert reminders(missing.id) == [15, 30]
    assert reminders(complete.id) == []
    reminder = notifications.get(
        notification_id(f"{missing.id}:2", Template.PROOFS_REMINDER, Channel.EMAIL, reminder_day=30)
    )
    assert notifications.open(reminder).params["proofs"] == ["medical_certificate"]


def test_the_index_holds_no_personal_data(
    app: ClaimsApplication, policy: NotificationPolicy, notifications: Notifications
) -> None:
    app.declare(declaration(), by=BY)
    policy.catch_up()
    index: NotificationIndex = notifications.index
    rows = index.store.query("SELECT * FROM notification_index")
    assert rows
    dumped = json.dumps(rows, default=str).lower()
    assert "jeanne" not in dumped
    assert "example.org" not in dumped
    assert "+336" not in dumped


def test_a_report_without_an_offset_is_refused(
    app: ClaimsApplication, notifications: Notifications
) -> None:
    claim = app.declare(declaration(), by=BY)
    nid, _ = notifications.request(
        template=Template.PROOFS_COMPLETE,
        channel=Channel.EMAIL,
        recipient=EMAIL,
        params={"claim_number": claim.claim_number},
        trigger=f"{claim.id}:3",
        trigger_type="ProofReceived",
        claim_id=claim.id,
    )
    with pytest.raises(InvalidClaimData, match="offset"):
        notifications.report(
            nid, outcome=Outcome.SENT, at=datetime(2026, 3, 4, 9), reason=None, by="n"
        )


def test_a_request_after_complete_proofs_in_the_same_batch_still_gets_its_reminder(
    app: ClaimsApplication, policy: NotificationPolicy, notifications: Notifications
) -> None:
    claim = app.declare(declaration(), by=BY)
    app.request_proofs(claim.id, documents=["booking_form"], requested_on=date(2026, 3, 5), by=BY)
    app.receive_proof(claim.id, document="booking_form", received_on=date(2026, 3, 6), by=BY)
    app.request_proofs(
        claim.id, documents=["identity_document"], requested_on=date(2026, 3, 7), by=BY
    )
    policy.catch_up()  # one batch: requested, complete, requested again

    assert sender_for(notifications).remind(date(2026, 3, 22)) == 1
    (reminder,) = [
        i for i in notifications.for_claim(claim.id) if i["template"] == "proofs_reminder"
    ]
    assert reminder["trigger_event"] == f"{claim.id}:4"  # the second request
