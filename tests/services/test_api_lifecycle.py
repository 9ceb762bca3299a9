"""End-to-end through HTTP, one scenario per contract, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.services.conftest import Handler, auth


def full_lifecycle(
    client: TestClient,
    declaration: dict[str, Any],
    assessment: dict[str, Any],
    reassessment: dict[str, Any],
    card_insurer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    h = Handler(client)
    claim = h.declare(**declaration)
    cid = claim["claim_id"]
    assert claim["version"] == 1
    assert claim["status"] == "declared"
    claim = h.command(
        cid, "proof-requests", {"documents": ["cancellation_invoice"], "requested_on": "2026-03-05"}
    )
    assert claim["status"] == "proofs_requested"
    claim = h.command(
        cid, "proofs", {"document": "cancellation_invoice", "received_on": "2026-03-10"}
    )
    if card_insurer is not None:
        assert claim["status"] == "awaiting_card_insurer"
        refused = h.command(
            cid, "assessment", {**assessment, "decided_on": "2026-03-12"}, expect=409
        )
        assert refused["type"].endswith("/card-insurer-position-required")
        claim = h.command(cid, "card-insurer-position", card_insurer)
    assert claim["status"] == "proofs_complete"
    claim = h.command(cid, "assessment", {**assessment, "decided_on": "2026-03-12"})
    assert claim["status"] == "accepted"
    first_total = claim["indemnity"]["total"]
    claim = h.command(
        cid, "settlement", {"paid_on": "2026-03-20", "mode": "cash", "reference": "VIR-1"}
    )
    assert claim["status"] == "settled"
    assert claim["amount_paid"] == first_total
    claim = h.command(
        cid,
        "complaints",
        {
            "sent_on": "2026-04-01",
            "received_on": "2026-04-02",
            "channel": "email",
            "summary": "too little",
        },
    )
    complaint_id = claim["complaints"][-1]["complaint_id"]
    h.command(cid, f"complaints/{complaint_id}/acknowledgement", {"sent_on": "2026-04-03"})
    claim = h.command(
        cid, f"complaints/{complaint_id}/answer", {"sent_on": "2026-04-20", "outcome": "rejected"}
    )
    assert claim["complaints"][-1]["answered_on"] == "2026-04-20"
    claim = h.command(cid, "mediation", {"referred_on": "2026-05-02"})
    claim = h.command(
        cid, "mediation/outcome", {"decided_on": "2026-07-01", "outcome": "in_favour_of_insured"}
    )
    assert claim["mediation"]["outcome"] == "in_favour_of_insured"
    claim = h.command(
        cid, "reopening", {"reopened_on": "2026-07-02", "reason": "mediator's opinion"}
    )
    assert claim["status"] == "proofs_complete"
    claim = h.command(cid, "assessment", {**reassessment, "decided_on": "2026-07-03"})
    second_total = claim["indemnity"]["total"]
    claim = h.command(
        cid, "settlement", {"paid_on": "2026-07-10", "mode": "cash", "reference": "VIR-2"}
    )
    assert claim["settlements"][-1]["amount"] == f"{float(second_total) - float(first_total):.2f}"
    assert claim["amount_paid"] == second_total

    history = client.get(f"/api/v1/claims/{cid}/history", headers=auth("auditor")).json()
    assert [item["version"] for item in history["items"]] == list(range(1, claim["version"] + 1))
    assert all(item["actor"] == "handler-user" for item in history["items"])
    return claim


def test_ca2624_with_card_insurer_through_http(api: TestClient) -> None:
    claim = full_lifecycle(
        api,
        {"insured": [{"name": "Jeanne Martin", "trip_price": "12000.00"}]},
        {
            "decision": "accept",
            "fees": [{"insured": "Jeanne Martin", "invoiced": "5000.00", "non_refundable": "0.00"}],
        },
        {
            "decision": "accept",
            "fees": [{"insured": "Jeanne Martin", "invoiced": "7000.00", "non_refundable": "0.00"}],
        },
        card_insurer={"decision": "paid", "received_on": "2026-03-11", "amount_paid": "1000.00"},
    )
    # Invoiced 5000 - 100 deductible (trip over 2000) - 1000 paid by the card insurer.
    assert claim["settlements"][0]["amount"] == "3900.00"
    # Reassessed: only 50 % (6000) was due 18 days before departure, not the 7000 invoiced.
    assert claim["indemnity"]["total"] == "4900.00"


def test_multiassistance_plus_through_http(api: TestClient) -> None:
    claim = full_lifecycle(
        api,
        {
            "contract": "MULTIASSISTANCE_PLUS",
            "cause": {"category": "other", "code": "dismissal", "description": "economic"},
        },
        {
            "decision": "accept",
            "fees": [{"insured": "Jeanne Martin", "invoiced": "300.00", "non_refundable": "0.00"}],
        },
        {
            "decision": "accept",
            "fees": [{"insured": "Jeanne Martin", "invoiced": "600.00", "non_refundable": "0.00"}],
        },
    )
    assert claim["settlements"][0]["amount"] == "250.00"  # 300 - min 50
    assert claim["indemnity"]["total"] == "540.00"  # 600 - 10 %


def test_corsair_through_http(api: TestClient) -> None:
    claim = full_lifecycle(
        api,
        {
            "contract": "CORSAIR_7906011",
            "cause": {"category": "medical", "code": "illness", "description": "flu"},
        },
        {
            "decision": "accept",
            "fees": [{"insured": "Jeanne Martin", "invoiced": "200.00", "non_refundable": "0.00"}],
        },
        {
            "decision": "accept",
            "fees": [{"insured": "Jeanne Martin", "invoiced": "500.00", "non_refundable": "60.00"}],
        },
    )
    assert claim["settlements"][0]["amount"] == "170.00"
    assert claim["indemnity"]["total"] == "410.00"


def test_audit_replay_by_version_and_time_and_lookup_by_number(api: TestClient) -> None:
    h = Handler(api)
    claim = h.declare()
    cid = claim["claim_id"]
    h.command(
        cid, "proof-requests", {"documents": ["medical_certificate"], "requested_on": "2026-03-05"}
    )
    auditor = auth("auditor")
    at_one = api.get(f"/api/v1/claims/{cid}", params={"version": 1}, headers=auditor)
    assert at_one.status_code == 200
    assert (at_one.json()["version"], at_one.json()["status"]) == (1, "declared")
    assert at_one.headers["ETag"] == '"1"'
    recorded = api.get(f"/api/v1/claims/{cid}/history", headers=auditor).json()["items"]
    as_of = api.get(
        f"/api/v1/claims/{cid}", params={"as_of": recorded[0]["recorded_at"]}, headers=auditor
    )
    assert as_of.json()["version"] == 1
    number = claim["claim_number"]
    found = api.get(
        f"/api/v1/claims/by-number/{number}", params={"trip_start": "2026-03-20"}, headers=auditor
    )
    assert found.json()["claim_id"] == cid
    wrong = api.get(
        f"/api/v1/claims/by-number/{number}", params={"trip_start": "2026-03-21"}, headers=auditor
    )
    assert wrong.status_code == 404
    assert wrong.headers["content-type"] == "application/problem+json"
    assert (
        api.get(f"/api/v1/claims/{cid}", params={"version": 9}, headers=auditor).status_code == 404
    )


def test_contracts_are_served_from_the_catalogue(api: TestClient) -> None:
    body = api.get("/api/v1/contracts", headers=auth("handler")).json()
    codes = {item["code"]: item for item in body["items"]}
    assert set(codes) == {"CA2624", "MULTIASSISTANCE_PLUS", "CORSAIR_7906011"}
    assert codes["CA2624"]["guarantees"]["cancellation"]["cap_per_person"] == "50000.00"
