"""Notifications through HTTP (api.md v2 §5): delivery reports and a claim's notifications."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.notification import Channel, Template
from infra.settings import Settings
from services.application import ClaimsApplication
from services.notifications.sender import DirectReporter
from services.notifications.service import Notifications, Recipient
from services.notifications.wiring import build_policy, build_sender
from tests.notifications.support import (  # noqa: F401 - smtp_server, sms_gateway: fixtures
    FakeClock,
    SmsGatewayServer,
    SmtpServer,
    sms_gateway,
    smtp_server,
)
from tests.services.conftest import Handler, auth
from tests.services.test_api_insured import TODAY, declare_online

AT = "2026-03-04T10:00:00+00:00"


def requested(api: TestClient) -> tuple[str, UUID]:
    """A declared claim and one notification requested for it (as the policy would)."""
    claim = Handler(api).declare()
    notifications: Notifications = api.app.state.notifications  # type: ignore[attr-defined]
    nid, _ = notifications.request(
        template=Template.DECLARATION_RECEIPT,
        channel=Channel.EMAIL,
        recipient=Recipient("Jeanne Martin", "jeanne.martin@example.org"),
        params={"claim_number": claim["claim_number"], "proofs": []},
        trigger=f"{claim['claim_id']}:1",
        trigger_type="Declared",
        claim_id=UUID(claim["claim_id"]),
    )
    return claim["claim_id"], nid


def report(api: TestClient, nid: UUID | str, body: dict[str, Any], role: str = "notifier") -> Any:
    return api.post(f"/api/v1/notifications/{nid}/delivery", json=body, headers=auth(role))


def test_a_delivery_report_records_sent_and_the_claim_lists_it(api: TestClient) -> None:
    claim_id, nid = requested(api)
    version = api.get(f"/api/v1/claims/{claim_id}", headers=auth("auditor")).json()["version"]

    sent = report(api, nid, {"outcome": "sent", "at": AT})

    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "sent"
    listed = api.get(f"/api/v1/claims/{claim_id}/notifications", headers=auth("auditor"))
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item == {
        "notification_id": str(nid),
        "template": "declaration_receipt",
        "channel": "email",
        "state": "sent",
        "trigger": "Declared",
        "trigger_event": f"{claim_id}:1",
        "reminder_day": None,
    }
    after = api.get(f"/api/v1/claims/{claim_id}", headers=auth("auditor")).json()["version"]
    assert after == version  # notifications live in their own streams
    assert "jeanne" not in listed.text.lower()


def test_the_same_report_again_is_200_and_a_conflicting_one_is_409(api: TestClient) -> None:
    _, nid = requested(api)
    assert report(api, nid, {"outcome": "failed", "at": AT, "reason": "550 mailbox"}).is_success
    again = report(api, nid, {"outcome": "failed", "at": AT, "reason": "550 mailbox"})
    assert again.status_code == 200
    assert again.json()["state"] == "failed"
    conflict = report(api, nid, {"outcome": "sent", "at": AT})
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["type"] == "/problems/notification-already-reported"


def test_an_unknown_notification_is_404(api_sqlite: TestClient) -> None:
    claim_id = Handler(api_sqlite).declare()["claim_id"]
    for nid in ("00000000-0000-0000-0000-000000000009", claim_id):  # a claim is no notification
        answer = report(api_sqlite, nid, {"outcome": "sent", "at": AT})
        assert answer.status_code == 404
        assert answer.json()["type"] == "/problems/unknown-notification"


def test_bad_reports_are_422_naming_the_field(api_sqlite: TestClient) -> None:
    _, nid = requested(api_sqlite)
    cases = [
        ({"outcome": "bounced", "at": AT}, "outcome"),
        ({"outcome": "sent", "at": "2026-03-04T10:00:00"}, "at"),  # no offset
        ({"outcome": "sent", "at": "2999-01-01T00:00:00+00:00"}, "at"),
        ({"outcome": "failed", "at": AT}, "reason"),
    ]
    for body, field in cases:
        answer = report(api_sqlite, nid, body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in {e["field"] for e in answer.json()["errors"]}
    listed = api_sqlite.get(
        f"/api/v1/notifications/{nid}/delivery", headers=auth("notifier")
    )  # no such read
    assert listed.status_code == 405


def test_only_the_notifier_reports_and_only_staff_read(api_sqlite: TestClient) -> None:
    claim_id, nid = requested(api_sqlite)
    assert report(api_sqlite, nid, {"outcome": "sent", "at": AT}, role="handler").status_code == 403
    for role, status in (("notifier", 403), ("handler", 200), ("manager", 200)):
        got = api_sqlite.get(f"/api/v1/claims/{claim_id}/notifications", headers=auth(role))
        assert got.status_code == status
    assert api_sqlite.get("/api/v1/contracts", headers=auth("notifier")).status_code == 403
    unknown = api_sqlite.get(
        "/api/v1/claims/00000000-0000-0000-0000-000000000009/notifications",
        headers=auth("auditor"),
    )
    assert unknown.status_code == 404


# ---------------------------------------------------------------- the declarant, end to end


def test_a_portal_declaration_sends_its_receipt_by_email_and_sms_with_the_code(
    api: TestClient,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    sms_gateway: SmsGatewayServer,  # noqa: F811 - the fixture imported above
) -> None:
    view = declare_online(api)
    code, number = view["access_code"], view["claim_number"]
    staff = Handler(api).declare()  # no declarant: nobody to notify
    app: ClaimsApplication = api.app.state.claims  # type: ignore[attr-defined]
    notifications: Notifications = api.app.state.notifications  # type: ignore[attr-defined]
    assert app.insured_side is not None
    outbox = app.insured_side.outbox
    settings = Settings(
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        sms_gateway_url=sms_gateway.url,
    )
    sender = build_sender(
        settings,
        notifications,
        DirectReporter(notifications),
        access_codes=outbox,
        clock=FakeClock(),
        sleep=lambda _s: None,
    )

    build_policy(app, notifications).catch_up()  # the claim's declarant, read from the store
    assert sender.deliver_pending() == 2

    claim_id = UUID(
        api.get(f"/api/v1/claims/by-number/{number}", headers=auth("auditor")).json()["claim_id"]
    )
    listed = api.get(f"/api/v1/claims/{claim_id}/notifications", headers=auth("auditor"))
    assert [(i["template"], i["channel"], i["state"]) for i in listed.json()["items"]] == [
        ("declaration_receipt", "email", "sent"),
        ("declaration_receipt", "sms", "sent"),
    ]  # the code and the proof request saved with the declaration are in the receipt
    (mail,) = smtp_server.handler.messages
    text = smtp_server.text_of(mail)
    assert mail["To"] == "Jeanne Martin <jeanne@example.fr>"
    assert number in text
    assert code in text
    for label in ("la facture des frais d'annulation", "le bulletin d'inscription au voyage"):
        assert label in text
    assert "médical" not in text.lower()
    assert "hospitalised" not in text
    (sms,) = sms_gateway.received
    assert sms["to"] == "+33612345678"
    assert code in sms["text"]
    assert outbox.get(claim_id, app.get_claim(claim_id).current_code_hash or "") is None
    staff_items = api.get(
        f"/api/v1/claims/{staff['claim_id']}/notifications", headers=auth("auditor")
    )
    assert staff_items.json()["items"] == []


def test_a_new_access_code_is_only_notified(
    api: TestClient,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
) -> None:
    view = declare_online(api)
    claim = api.get(
        f"/api/v1/claims/by-number/{view['claim_number']}", headers=auth("auditor")
    ).json()
    app: ClaimsApplication = api.app.state.claims  # type: ignore[attr-defined]
    notifications: Notifications = api.app.state.notifications  # type: ignore[attr-defined]
    policy = build_policy(app, notifications)
    policy.catch_up()
    issued = Handler(api, role="admin").command(
        claim["claim_id"], "access-code", {"issued_on": TODAY.isoformat()}
    )
    assert "access_code" not in issued
    policy.catch_up()
    settings = Settings(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none"
    )
    sender = build_sender(
        settings,
        notifications,
        DirectReporter(notifications),
        access_codes=app.insured_side.outbox if app.insured_side else None,
        clock=FakeClock(),
        sleep=lambda _s: None,
    )
    sender.deliver_pending()
    subjects = [m["Subject"] for m in smtp_server.handler.messages]
    assert len(subjects) == 2
    assert "nouveau code d'accès" in subjects[1]
    new_code = re.search(
        r"Votre nouveau code d'accès est : (\w{8})",
        smtp_server.text_of(smtp_server.handler.messages[1]),
    )
    assert new_code is not None
    assert new_code.group(1) != view["access_code"]
    login = api.post(
        "/api/v1/insured/sessions",
        json={
            "claim_number": view["claim_number"],
            "trip_start": claim["trip"]["departure_date"],
            "access_code": new_code.group(1),
        },
    )
    assert login.status_code == 201, login.text
