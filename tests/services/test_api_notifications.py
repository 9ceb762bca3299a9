"""Notifications through HTTP (api.md v2 §5): delivery reports and a claim's notifications."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.notification import Channel, Template
from services.notifications.service import Notifications, Recipient
from tests.services.conftest import Handler, auth

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
