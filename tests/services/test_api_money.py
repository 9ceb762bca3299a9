"""Money on a claim through HTTP (api.md v2 §1, `GET /financials` of §2), on SQLite and
PostgreSQL: the flow of the issue's "Done when", v1's settlement, the IBAN kept out of sight."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from fastapi.testclient import TestClient

from domain.claim import Claim
from services.application import ClaimsApplication
from tests.services.conftest import Handler, auth, make_client

IBAN = "FR76 3000 6000 0112 3456 7890 189"
IBAN_DIGITS = "30006000011234567890189"  # what must never be seen in clear


def _big_claim(h: Handler) -> tuple[str, str]:
    """A claim accepted for more than a handler's 5,000.00: its id and its indemnity."""
    people = ("Jeanne Martin", "Paul Martin")
    claim = h.declare(insured=[{"name": name, "trip_price": "9000.00"} for name in people])
    cid = claim["claim_id"]
    h.command(
        cid, "proof-requests", {"documents": ["medical_certificate"], "requested_on": "2026-03-05"}
    )
    h.command(cid, "proofs", {"document": "medical_certificate", "received_on": "2026-03-10"})
    fees = [{"insured": name, "invoiced": "9000.00", "non_refundable": "0.00"} for name in people]
    claim = h.command(
        cid, "assessment", {"decision": "accept", "decided_on": "2026-03-12", "fees": fees}
    )
    total = claim["indemnity"]["total"]
    assert Decimal(total) > Decimal("5000.00")
    return cid, total


def _money(claim: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    f = claim["financials"]
    return (
        Decimal(f["reserve"]),
        Decimal(f["paid"]),
        Decimal(f["recovered"]),
        Decimal(f["incurred"]),
    )


def _holds(claim: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Rule 1 at this step; returns (reserve, paid, recovered, incurred)."""
    reserve, paid, recovered, incurred = _money(claim)
    assert incurred == paid + reserve - recovered, claim["financials"]
    return reserve, paid, recovered, incurred


def _financials(
    client: TestClient, claim: dict[str, Any], position: str, as_of: str
) -> dict[str, Any]:
    response = client.get(
        "/api/v1/financials",
        params={"as_of": as_of},
        headers={**auth("auditor"), "X-Consistent-With": position},
    )
    assert response.status_code == 200, response.text
    (item,) = [i for i in response.json()["items"] if i["claim_id"] == claim["claim_id"]]
    return cast("dict[str, Any]", item)


def test_reserve_payment_over_the_limit_approval_issuance_failure_reissue_recovery(
    api: TestClient,
) -> None:
    h = Handler(api)
    manager = Handler(api, role="manager")
    cid, total = _big_claim(h)
    claim = h.command(cid, "reserve", {"amount": "4000.00", "set_on": "2026-03-13", "reason": "x"})
    zero = Decimal("0.00")
    assert _holds(claim) == (Decimal("4000.00"), zero, zero, Decimal("4000.00"))

    # Over the handler's limit: pending a manager's approval.
    request = {
        "payee": "Jeanne Martin",
        "amount": "5500.00",
        "kind": "partial",
        "mode": "transfer",
        "requested_on": "2026-03-14",
        "iban": IBAN,
    }
    response = api.post(f"/api/v1/claims/{cid}/payments", json=request, headers=auth("handler"))
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    claim = response.json()
    (payment,) = claim["financials"]["payments"]
    pid = payment["payment_id"]
    assert (payment["state"], payment["approval_required"]) == ("pending_approval", True)
    assert payment["iban_masked"] == "FR76*0189"
    assert claim["bank_details"] == {"holder": "Jeanne Martin", "iban_masked": "FR76*0189"}
    _holds(claim)
    queue = api.get(
        "/api/v1/worklist/payments",
        params={"queue": "awaiting_approval"},
        headers={**auth("manager"), "X-Consistent-With": response.headers["X-Position"]},
    ).json()["items"]
    assert [(i["payment_id"], i["amount"]) for i in queue] == [(pid, "5500.00")]

    # Not issued before approval; a handler cannot approve; a manager does.
    refused = h.command(
        cid,
        f"payments/{pid}/issuance",
        {"issued_on": "2026-03-15", "bank_reference": "V1"},
        expect=409,
    )
    assert refused["type"] == "/problems/payment-not-approved"
    approval = {"decided_on": "2026-03-15", "decision": "approve", "reason": "checked"}
    h.command(cid, f"payments/{pid}/approval", approval, expect=403)
    claim = manager.command(cid, f"payments/{pid}/approval", approval)
    assert claim["financials"]["payments"][0]["state"] == "approved"
    assert claim["financials"]["payments"][0]["decided_by"] == "manager-user"

    claim = h.command(
        cid, f"payments/{pid}/issuance", {"issued_on": "2026-03-16", "bank_reference": "VIR-1"}
    )
    assert claim["status"] == "accepted"  # 5,500.00 of more
    assert _holds(claim)[:2] == (Decimal("0.00"), Decimal("5500.00"))  # the reserve, floor 0

    claim = h.command(
        cid,
        f"payments/{pid}/failure",
        {"failed_on": "2026-03-18", "reason": "closed account", "returned": True},
    )
    assert claim["financials"]["payments"][0]["state"] == "returned"
    assert _holds(claim)[:2] == (Decimal("5500.00"), Decimal("0.00"))  # restored

    claim = h.command(
        cid, f"payments/{pid}/issuance", {"issued_on": "2026-03-19", "bank_reference": "VIR-2"}
    )
    assert _holds(claim)[:2] == (Decimal("0.00"), Decimal("5500.00"))

    claim = h.command(
        cid,
        "recoveries",
        {
            "source": "card_insurer",
            "amount": "500.00",
            "expected_on": "2026-03-20",
            "subrogation": True,
        },
    )
    (recovery,) = claim["financials"]["recoveries"]
    assert recovery["state"] == "expected"
    rid = recovery["recovery_id"]
    response = api.post(
        f"/api/v1/claims/{cid}/recoveries/{rid}/receipt",
        json={"received_on": "2026-03-25", "amount": "450.00"},
        headers=auth("handler"),
    )
    claim = response.json()
    assert _holds(claim) == (
        Decimal("0.00"),
        Decimal("5500.00"),
        Decimal("450.00"),
        Decimal("5050.00"),
    )

    # The read model says the same, as of each day.
    position = response.headers["X-Position"]
    now = _financials(api, claim, position, "2026-03-25")
    assert (now["reserve"], now["paid"], now["recovered"], now["incurred"]) == (
        "0.00",
        "5500.00",
        "450.00",
        "5050.00",
    )
    returned = _financials(api, claim, position, "2026-03-18")
    assert (returned["reserve"], returned["paid"], returned["incurred"]) == (
        "5500.00",
        "0.00",
        "5500.00",
    )
    reserved = _financials(api, claim, position, "2026-03-13")
    assert (reserved["reserve"], reserved["incurred"], reserved["status"]) == (
        "4000.00",
        "4000.00",
        "accepted",
    )
    # The rest, by v1's shortcut (over the handler's limit it would need an approval).
    rest = Decimal(total) - Decimal("5500.00")
    claim = h.command(
        cid, "settlement", {"paid_on": "2026-03-26", "mode": "cash", "reference": "VIR-3"}
    )
    assert claim["status"] == "settled"
    assert Decimal(claim["financials"]["payments"][-1]["amount"]) == rest
    assert claim["amount_paid"] == total


def test_the_approver_is_another_manager_whose_limit_covers_the_amount(api: TestClient) -> None:
    h = Handler(api)
    cid, total = _big_claim(h)
    h.command(
        cid, "settlement", {"paid_on": "2026-03-20", "mode": "cash", "reference": "V"}, expect=409
    )
    over = api.post(
        f"/api/v1/claims/{cid}/settlement",
        json={"paid_on": "2026-03-20", "mode": "cash", "reference": "V"},
        headers=auth("handler"),
    )
    assert over.json()["type"] == "/problems/approval-required"
    claim = h.command(
        cid,
        "payments",
        {
            "payee": "Jeanne Martin",
            "amount": total,
            "kind": "final",
            "mode": "cheque",
            "requested_on": "2026-03-14",
        },
    )
    pid = claim["financials"]["payments"][0]["payment_id"]
    approval = {"decided_on": "2026-03-15", "decision": "approve", "reason": "ok"}
    admin = Handler(api, role="admin")
    claim = admin.command(cid, f"payments/{pid}/approval", approval)
    assert claim["financials"]["payments"][0]["decided_by"] == "admin-user"
    closure = h.command(cid, "closure", {"closed_on": "2026-03-16"}, expect=409)
    assert closure["type"] == "/problems/payment-in-progress"
    missing = h.command(
        cid,
        "payments/S2999999-P1/issuance",
        {"issued_on": "2026-03-16", "bank_reference": "V"},
        expect=404,
    )
    assert missing["type"] == "/problems/unknown-payment"


def test_a_bad_iban_is_422_naming_iban_and_nothing_is_written(api: TestClient) -> None:
    h = Handler(api)
    cid, _ = _big_claim(h)
    body = {
        "payee": "J",
        "amount": "10.00",
        "kind": "partial",
        "mode": "transfer",
        "requested_on": "2026-03-14",
        "iban": "FR76 3000 6000 0112 3456 7890 188",
    }
    response = api.post(f"/api/v1/claims/{cid}/payments", json=body, headers=auth("handler"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["iban"]
    assert "30006000011234567890188" not in response.text
    assert api.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).json()["version"] == 4


def test_the_iban_is_stored_encrypted_and_shown_masked_everywhere(
    api: TestClient, capsys: Any
) -> None:
    h = Handler(api)
    cid, _ = _big_claim(h)
    body = {
        "payee": "Jeanne Martin",
        "amount": "10.00",
        "kind": "partial",
        "mode": "transfer",
        "requested_on": "2026-03-14",
        "iban": IBAN,
    }
    claim = h.command(cid, "payments", body)
    pid = claim["financials"]["payments"][0]["payment_id"]
    h.command(
        cid, f"payments/{pid}/issuance", {"issued_on": "2026-03-15", "bank_reference": "VIR-7"}
    )
    history = api.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor"))
    requested = next(i for i in history.json()["items"] if i["type"] == "PaymentRequested")
    assert requested["data"]["iban_masked"] == "FR76*0189"
    assert "iban_ciphertext" not in requested["data"]
    trail = api.get(f"/api/v1/claims/{cid}/audit-trail", headers=auth("auditor")).text
    page_claim = api.get(f"/api/v1/claims/{cid}", headers=auth("auditor")).text
    logs = "".join(capsys.readouterr())
    for text in (history.text, trail, page_claim, logs):
        assert IBAN_DIGITS not in text
    assert "VIR-7" not in trail  # no bank reference in the read models
    # In the store: sealed, so not even the store's own bytes show it (the store is not
    # encrypted in these tests); the application opens it with its key.
    app = cast("ClaimsApplication", api.app.state.claims)  # type: ignore[attr-defined]
    stored = b"".join(n.state for n in app.recorder.select_notifications(start=1, limit=10_000))
    assert IBAN_DIGITS.encode() not in stored
    (event,) = [e for e in app.events.get(UUID(cid)) if isinstance(e, Claim.PaymentRequested)]
    assert isinstance(event, Claim.PaymentRequested)
    assert event.iban_ciphertext is not None
    assert app.iban_cipher.open(event.iban_ciphertext) == "FR7630006000011234567890189"


def test_the_payments_worklist_shows_each_approver_what_they_may_approve(
    database_url: str,
) -> None:
    limits = "handler:5000.00,manager:6000.00,admin:200000.00"
    with make_client(database_url, authority_limits=limits) as api:
        h = Handler(api)
        cid, _ = _big_claim(h)
        body = {
            "payee": "Jeanne Martin",
            "amount": "6500.00",
            "kind": "partial",
            "mode": "cheque",
            "requested_on": "2026-03-14",
        }
        response = api.post(f"/api/v1/claims/{cid}/payments", json=body, headers=auth("handler"))
        pid = response.json()["financials"]["payments"][0]["payment_id"]

        def queue(role: str, name: str, position: str) -> list[str]:
            found = api.get(
                "/api/v1/worklist/payments",
                params={"queue": name},
                headers={**auth(role), "X-Consistent-With": position},
            )
            assert found.status_code == 200, found.text
            return [i["payment_id"] for i in found.json()["items"]]

        position = response.headers["X-Position"]
        assert queue("manager", "awaiting_approval", position) == []  # 6,500.00 > 6,000.00
        assert queue("admin", "awaiting_approval", position) == [pid]
        assert queue("auditor", "awaiting_approval", position) == [pid]
        assert queue("handler", "to_issue", position) == []
        refused = Handler(api, role="manager").command(
            cid,
            f"payments/{pid}/approval",
            {"decided_on": "2026-03-15", "decision": "approve", "reason": "ok"},
            expect=409,
        )
        assert refused["type"] == "/problems/approval-over-authority"
        approved = api.post(
            f"/api/v1/claims/{cid}/payments/{pid}/approval",
            json={"decided_on": "2026-03-15", "decision": "approve", "reason": "ok"},
            headers=auth("admin"),
        )
        position = approved.headers["X-Position"]
        assert queue("admin", "awaiting_approval", position) == []
        assert queue("handler", "to_issue", position) == [pid]
        issued = api.post(
            f"/api/v1/claims/{cid}/payments/{pid}/issuance",
            json={"issued_on": "2026-03-16", "bank_reference": "CHQ-1"},
            headers=auth("handler"),
        )
        assert queue("handler", "to_issue", issued.headers["X-Position"]) == []
