"""Dead letters through HTTP: /readyz degraded but 200, /metrics, the admin list and retry;
503 only when a projection is stalled. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from uuid import UUID

import httpx
import pytest

from infra.health import StallWatch, serve_readyz
from projections.claims_list.fold import ClaimsListProjection
from projections.rebuild import rebuild
from projections.runner import all_projections
from tests.projections.poison import poison_fold
from tests.services.conftest import Handler, auth, make_client
from tests.support import free_port

NOTE = {"text": "called the insured", "noted_on": "2026-03-05"}
GAUGE = 'claims_projection_dead_letters{projection="claims_list"}'
NO_DEAD_LETTERS = {
    "claims_list": 0,
    "sla": 0,
    "worklist": 0,
    "audit_trail": 0,
    "financials": 0,
    "retention": 0,
    "claim_search": 0,
    "reporting": 0,
}


def test_a_poisoned_claim_degrades_readyz_shows_in_metrics_and_is_cleared_by_a_retry(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_client(database_url, projection_stall_seconds=0.2) as api:
        h = Handler(api)
        poisoned = h.declare()["claim_id"]
        heal = poison_fold(monkeypatch, ClaimsListProjection, UUID(poisoned), from_version=2)
        h.command(poisoned, "notes", NOTE)
        other = h.declare()["claim_id"]
        noted = api.post(f"/api/v1/claims/{other}/notes", json=NOTE, headers=auth("handler"))
        consistent = {"X-Consistent-With": noted.headers["X-Position"]}

        # The other claim's views are current
        listed = api.get("/api/v1/claims", headers={**auth("auditor"), **consistent}).json()
        versions = {c["claim_id"]: c["version"] for c in listed["items"]}
        assert versions == {poisoned: 1, other: 2}

        # /readyz: degraded with the counts, 200, also after the (tiny) stall time
        for _ in range(2):
            ready = api.get("/readyz", headers=auth("manager"))
            assert ready.status_code == 200, ready.text
            body = ready.json()
            assert body["status"] == "degraded"
            assert body["dead_letters"] == {**NO_DEAD_LETTERS, "claims_list": 1}
            assert set(body["projection_lag"].values()) == {0}
            time.sleep(0.3)
        metrics = api.get("/metrics", headers=auth("manager")).text
        assert f"{GAUGE} 1.0" in metrics
        assert 'claims_projection_dead_letters{projection="sla"} 0.0' in metrics

        # The admin list, for auditors and admins only
        for role in ("handler", "manager"):
            refused = api.get("/api/v1/admin/dead-letters", headers=auth(role))
            assert refused.status_code == 403
        for role in ("auditor", "admin"):
            listed = api.get("/api/v1/admin/dead-letters", headers=auth(role))
            assert listed.status_code == 200
            (letter,) = listed.json()["items"]
        assert {
            k: letter[k] for k in letter if k not in ("id", "first_attempt", "last_attempt")
        } == {
            "projection": "claims_list",
            "claim_id": poisoned,
            "position": letter["position"],
            "claim_version": 2,
            "event_type": "NoteAdded",
            "error": letter["error"],
            "attempts": 1,
            "kafka_partition": None,
            "kafka_offset": None,
        }
        assert letter["error"].startswith("InjectedFoldError at tests/projections/poison.py:")
        assert letter["first_attempt"] == letter["last_attempt"]
        admin = auth("admin")
        for query, expected in (
            ({"projection": "claims_list"}, 1),
            ({"projection": "sla"}, 0),
            ({"claim_id": other}, 0),
            ({"claim_id": poisoned}, 1),
        ):
            found = api.get("/api/v1/admin/dead-letters", params=query, headers=admin).json()
            assert len(found["items"]) == expected, query

        # Retry: admins only; an unknown id is a 404 problem
        retry = f"/api/v1/admin/dead-letters/{letter['id']}/retry"
        for role in ("handler", "manager", "auditor"):
            assert api.post(retry, headers=auth(role)).status_code == 403
        unknown = api.post("/api/v1/admin/dead-letters/nope/retry", headers=admin)
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["type"] == "/problems/dead-letter-not-found"

        # Before the fix the event stays parked; after it, the retry clears it
        still = api.post(retry, headers=admin).json()
        assert (still["applied"], len(still["remaining"])) == (0, 1)
        assert still["remaining"][0]["attempts"] == 2
        heal()
        done = api.post(retry, headers=admin)
        assert done.status_code == 200
        assert done.json() == {
            "projection": "claims_list",
            "claim_id": poisoned,
            "applied": 1,
            "remaining": [],
        }
        assert api.post(retry, headers=admin).status_code == 404
        ready = api.get("/readyz", headers=auth("manager")).json()
        assert (ready["status"], ready["dead_letters"]) == ("ready", NO_DEAD_LETTERS)
        assert f"{GAUGE} 0.0" in api.get("/metrics", headers=auth("manager")).text
        assert api.get("/api/v1/admin/dead-letters", headers=admin).json() == {"items": []}
        listed = api.get("/api/v1/claims", headers=auth("auditor")).json()
        assert {c["claim_id"]: c["version"] for c in listed["items"]} == {poisoned: 2, other: 2}

        # and the claim's views match a rebuild
        application, runner = api.app.state.claims, api.app.state.runner  # type: ignore[attr-defined]
        for projection in all_projections(application.calendar):
            report = rebuild(runner.event_log, runner.store, projection, verify=True)
            assert report.matches, (projection.name, report.differences[:3])


def test_readyz_is_503_only_when_a_projection_is_behind_and_not_advancing(
    database_url: str,
) -> None:
    # The projections are run elsewhere (`claims project`), and that worker is down.
    with make_client(database_url, projections="off", projection_stall_seconds=0.2) as api:
        Handler(api).declare()
        first = api.get("/readyz", headers=auth("manager"))
        assert first.status_code == 200  # behind, but not yet for the stall time
        assert first.json()["status"] == "ready"
        time.sleep(0.3)
        stalled = api.get("/readyz", headers=auth("manager"))
        assert stalled.status_code == 503
        assert stalled.headers["content-type"] == "application/problem+json"
        body = stalled.json()
        assert body["type"] == "/problems/projections-stalled"
        assert body["status"] == 503
        assert sorted(body["stalled"]) == sorted(NO_DEAD_LETTERS)
        assert set(body["projection_lag"].values()) == {body["store_position"]}
        assert body["dead_letters"] == NO_DEAD_LETTERS

        api.app.state.runner.catch_up()  # type: ignore[attr-defined]
        recovered = api.get("/readyz", headers=auth("manager"))
        assert recovered.status_code == 200
        assert recovered.json()["status"] == "ready"


def test_a_workers_readyz_is_degraded_with_dead_letters_and_503_once_stalled() -> None:
    now = [0.0]
    watch = StallWatch(30, clock=lambda: now[0])
    state = {"positions": {"0": 10, "1": 4}, "lag": {"0": 0, "1": 0}, "dead": {"sla": 0}}
    port = free_port()
    server = serve_readyz(
        port, lambda: watch.assess(state["positions"], state["lag"], state["dead"])
    )

    def ready() -> tuple[int, dict[str, object]]:
        response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        return response.status_code, response.json()

    try:
        assert ready() == (
            200,
            {"status": "ready", "lag": {"0": 0, "1": 0}, "dead_letters": {"sla": 0}},
        )
        state["dead"] = {"sla": 2}
        now[0] = 100.0  # parked events, no lag: in rotation however long it lasts
        assert ready()[1]["status"] == "degraded"
        state["lag"] = {"0": 0, "1": 7}
        assert ready()[0] == 200  # partition 1 is behind from now on
        now[0] = 129.0
        assert ready()[0] == 200  # not for 30 s yet
        now[0] = 130.0
        status, body = ready()
        assert (status, body["status"], body["stalled"]) == (503, "stalled", ["1"])
        state["positions"] = {"0": 10, "1": 6}  # it moved
        assert ready()[0] == 200
    finally:
        server.shutdown()
        server.server_close()
