"""The read-model endpoints, with read-your-writes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.services.conftest import Handler, auth


def test_read_models_follow_commands(api: TestClient) -> None:
    h = Handler(api)
    cid = h.declare()["claim_id"]
    response = api.post(
        f"/api/v1/claims/{cid}/complaints",
        headers=auth("handler"),
        json={
            "sent_on": "2026-04-03",
            "received_on": "2026-04-03",
            "channel": "email",
            "summary": "slow",
        },
    )
    consistent = {"X-Consistent-With": response.headers["X-Position"]}

    listed = api.get(
        "/api/v1/claims", params={"contract": "CA2624"}, headers={**auth("auditor"), **consistent}
    ).json()
    (item,) = listed["items"]
    assert (item["claim_id"], item["open_complaints"], item["version"]) == (cid, 1, 2)
    assert item["indemnity_accepted"] == "0.00"
    assert listed["next_cursor"] is None

    sla = api.get(
        "/api/v1/sla",
        params={"as_of": "2026-04-17", "state": "breached"},
        headers={**auth("manager"), **consistent},
    ).json()
    assert sla["as_of"] == "2026-04-17"
    assert [(i["clock"], i["due_on"], i["state"]) for i in sla["items"]] == [
        ("complaint_acknowledgement", "2026-04-16", "breached")
    ]

    work = api.get("/api/v1/worklist", headers={**auth("handler"), **consistent}).json()
    assert work["items"][0]["next_action"] == "acknowledge the complaint"

    figures = api.get(
        "/api/v1/dashboard",
        params={"as_of": "2026-04-17"},
        headers={**auth("manager"), **consistent},
    ).json()
    assert figures["open_complaints"] == 1
    assert figures["sla"]["complaint_acknowledgement"]["breached"] == 1

    trail = api.get(
        f"/api/v1/claims/{cid}/audit-trail", headers={**auth("auditor"), **consistent}
    ).json()
    assert [e["event_type"] for e in trail["items"]] == ["Declared", "ComplaintOpened"]
    assert trail["items"][1]["actor"] == "handler-user"

    ready = api.get("/readyz", headers=auth("auditor")).json()
    assert set(ready["projection_lag"]) == {
        "claims_list",
        "sla",
        "worklist",
        "audit_trail",
        "financials",
        "claim_search",
        "reporting",
        "retention",
    }


def test_bad_cursors_and_unknown_positions_are_refused(api_sqlite: TestClient) -> None:
    bad = api_sqlite.get("/api/v1/claims", params={"cursor": "%%%"}, headers=auth("auditor"))
    assert bad.status_code == 422
    ahead = api_sqlite.get(
        "/api/v1/claims", headers={**auth("auditor"), "X-Consistent-With": "999999"}
    )
    assert ahead.status_code == 422
    assert ahead.json()["type"] == "/problems/unknown-position"
