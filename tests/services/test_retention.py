"""Retention (contract v2 §6; docs/adr/0037), on SQLite and PostgreSQL: each claim's
erase_after = max(closure, prescription end) + CLAIMS_RETENTION_AFTER_PRESCRIPTION, its state
as of a day, and `claims retention --apply` erasing what is due and not held."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from projections.retention.queries import erase_after, latest_basis
from services.cli import main
from tests.services.conftest import Handler, auth, make_client


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url, trip_date_horizon_days=3650) as api:
        yield api


def _retention(client: TestClient, position: str, **params: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/retention",
        params=params,
        headers={**auth("auditor"), "X-Consistent-With": position},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _by_number(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["claim_number"]: item for item in page["items"]}


def _two_claims(h: Handler) -> tuple[dict[str, Any], dict[str, Any], str]:
    """One refused and closed; one withdrawn with a complaint still open. The position."""
    closed = h.declare()
    cid = closed["claim_id"]
    h.command(cid, "proof-requests", {"documents": ["other"], "requested_on": "2026-03-05"})
    h.command(cid, "proofs", {"document": "other", "received_on": "2026-03-09"})
    h.command(cid, "assessment", {"decision": "refuse", "decided_on": "2026-03-10", "reason": "x"})
    closed = h.command(cid, "closure", {"closed_on": "2026-03-12"})
    held = h.declare()
    h.command(held["claim_id"], "withdrawal", {"withdrawn_on": "2026-03-06"})
    response = h.client.post(
        f"/api/v1/claims/{held['claim_id']}/complaints",
        json={
            "sent_on": "2026-03-07",
            "received_on": "2026-03-08",
            "channel": "email",
            "summary": "x",
        },
        headers=h.headers,
    )
    assert response.status_code == 200, response.text
    return closed, response.json(), response.headers["X-Position"]


def test_erase_after_is_the_later_of_closure_and_prescription_plus_the_period() -> None:
    assert erase_after(date(2028, 3, 2), 12) == date(2029, 3, 2)
    assert erase_after(date(2028, 2, 29), 12) == date(2029, 2, 28)
    for as_of in (date(2029, 2, 28), date(2029, 3, 1), date(2030, 1, 31)):
        basis = latest_basis(as_of, 12)
        assert (
            erase_after(basis, 12)
            <= as_of
            < erase_after(date.fromordinal(basis.toordinal() + 1), 12)
        )


def test_the_retention_list_and_its_states(client: TestClient) -> None:
    h = Handler(client)
    closed, held, position = _two_claims(h)
    now = _by_number(_retention(client, position, as_of="2026-06-01"))
    item = now[closed["claim_number"]]
    # The event of 2 March 2026: prescription 2 March 2028 (a Thursday), one year after.
    assert item["erase_after"] == "2029-03-02"
    assert item["state"] == "pending"
    assert item["subject_ids"] == [p["subject_id"] for p in closed["insured"]]
    assert now[held["claim_number"]]["holds"] == [
        "complaint " + held["complaints"][0]["complaint_id"]
    ]

    later = _by_number(_retention(client, position, as_of="2029-03-02"))
    assert later[closed["claim_number"]]["state"] == "due"
    assert later[held["claim_number"]]["state"] == "held"
    due = _retention(client, position, as_of="2029-03-02", state="due")
    assert [i["claim_number"] for i in due["items"]] == [closed["claim_number"]]
    assert _retention(client, position, as_of="2029-03-01", state="due")["items"] == []

    # Only admins and auditors read it.
    forbidden = client.get("/api/v1/retention", headers=auth("handler"))
    assert forbidden.status_code == 403


def test_claims_retention_apply_erases_what_is_due_and_not_held(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    h = Handler(client)
    closed, held, _ = _two_claims(h)
    monkeypatch.setenv("CLAIMS_DATABASE_URL", database_url)
    assert main(["retention", "--as-of", "2029-03-02"]) == 0
    dry = capsys.readouterr().out
    assert f"{closed['claim_number']}: due, 1 subject(s)" in dry
    assert f"{held['claim_number']}: held (complaint" in dry
    unchanged = client.get(f"/api/v1/claims/{closed['claim_id']}", headers=auth("auditor"))
    assert unchanged.json()["insured"][0]["name"] == "Jeanne Martin"

    assert main(["retention", "--apply", "--as-of", "2029-03-02"]) == 0
    report = capsys.readouterr().out
    assert f"{closed['claim_number']}: erased 1 subject(s)" in report
    assert "1 claim(s) erased, 1 held, 0 refused" in report
    erased = client.get(f"/api/v1/claims/{closed['claim_id']}", headers=auth("auditor")).json()
    assert erased["insured"][0]["name"] == "[erased]"
    assert erased["status"] == closed["status"]
    kept = client.get(f"/api/v1/claims/{held['claim_id']}", headers=auth("auditor")).json()
    assert kept["insured"][0]["name"] == "Jeanne Martin"

    # The API's read models fold the job's event (the version the job wrote).
    version = str(erased["version"])
    for _ in range(40):
        listed = _by_number(_retention(client, "0", as_of="2029-03-02"))
        if listed[closed["claim_number"]]["state"] == "erased":
            break
        time.sleep(0.05)
    assert listed[closed["claim_number"]]["state"] == "erased", version
