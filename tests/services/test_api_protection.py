"""Personal and health data: encrypted at rest when configured, never in logs."""

from __future__ import annotations

import base64
import sqlite3

import psycopg
import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from infra.settings import Settings, sqlite_path
from tests.services.conftest import Handler, auth, make_client

KEY = base64.b64encode(bytes(range(32))).decode()
NAME = b"Jeanne Martin"
HEALTH = b"hospitalised"


def stored_payloads(database_url: str) -> list[bytes]:
    """Every stored event and snapshot payload (the binary `state` column of each table)."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(database_url)) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return [
                bytes(row[0])
                for t in tables
                if ("state", "BLOB")
                in [(c[1], c[2]) for c in db.execute(f"PRAGMA table_info({t})")]
                for row in db.execute(f"SELECT state FROM {t}")
            ]
    with psycopg.connect(database_url) as db:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'state' "
                "AND data_type = 'bytea' AND table_schema = 'public'"
            )
        ]
        return [bytes(row[0]) for t in tables for row in db.execute(f'SELECT state FROM "{t}"')]


def read_model_text(database_url: str) -> str:
    """Everything the read models hold, as text."""
    settings = Settings(database_url=database_url)
    url = settings.resolved_read_model_url
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return repr([list(db.execute(f"SELECT * FROM {t}")) for t in tables])
    with psycopg.connect(url) as db:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type = 'text'"
            )
        ]
        return repr([db.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables])


def declare_and_note(client: TestClient) -> None:
    cid = Handler(client).declare()["claim_id"]
    note = client.post(
        f"/api/v1/claims/{cid}/notes",
        json={"text": "insured hospitalised"},
        headers=auth("handler"),
    )
    # Read-your-writes: wait until the read models include the note.
    listed = client.get(
        "/api/v1/claims",
        headers={**auth("auditor"), "X-Consistent-With": note.headers["X-Position"]},
    )
    assert listed.json()["items"][0]["version"] == 2


def test_without_a_key_the_store_holds_readable_json(database_url: str) -> None:
    """Readable JSON (so the check below can see a leak), in which the name and the health
    data are sealed all the same, with their person's and claim's keys (docs/adr/0037)."""
    with make_client(database_url) as client:
        declare_and_note(client)
    payloads = stored_payloads(database_url)
    assert any(b"S20000001" in p and b'"claim_number"' in p for p in payloads)
    assert any(b"k1:subject:" in p for p in payloads)
    assert not any(NAME in p or HEALTH in p for p in payloads)


def test_with_a_key_no_stored_byte_carries_the_name_or_the_health_data(database_url: str) -> None:
    with make_client(database_url, encryption_key=KEY) as client:
        declare_and_note(client)
        claims = client.get("/api/v1/claims/by-number/S20000001", headers=auth("auditor"))
        assert claims.json()["insured"][0]["name"] == "Jeanne Martin"  # decrypted on read
    payloads = stored_payloads(database_url)
    assert len(payloads) >= 4  # claim events, number sequence and reservation
    assert not any(NAME in p or HEALTH in p for p in payloads)
    # The read models are not encrypted: they must hold neither.
    text = read_model_text(database_url)
    assert "S20000001" in text  # so the check can see what is there
    assert NAME.decode() not in text
    assert HEALTH.decode() not in text


def test_a_bad_encryption_key_stops_start_up() -> None:
    from pydantic import ValidationError

    from infra.settings import Settings

    with pytest.raises(ValidationError, match="encryption_key"):
        Settings(encryption_key="not base64!")
    with pytest.raises(ValidationError, match="16, 24 or 32 bytes"):
        Settings(encryption_key=base64.b64encode(b"short").decode())


def test_request_logs_carry_no_body_and_no_health_data(api_sqlite: TestClient) -> None:
    with capture_logs() as logs:
        declare_and_note(api_sqlite)
    requests = [entry for entry in logs if entry["event"] == "http.request"]
    assert [r["status"] for r in requests] == [201, 200, 200]
    assert requests[0]["actor"] == "handler-user"
    assert {"method", "path", "status", "duration_ms", "actor"} <= set(requests[0])
    text = repr(logs)
    assert "Jeanne" not in text
    assert "hospitalised" not in text


def test_correlation_id_is_echoed_or_generated(api_sqlite: TestClient) -> None:
    given = api_sqlite.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    generated = api_sqlite.get("/healthz")
    assert len(generated.headers["X-Request-ID"]) == 32


def test_readyz_reports_the_store_and_metrics_are_prometheus_text(api: TestClient) -> None:
    Handler(api).declare()
    ready = api.get("/readyz", headers=auth("manager"))
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["store_position"] >= 3
    metrics = api.get("/metrics", headers=auth("manager"))
    assert metrics.headers["content-type"].startswith("text/plain")
    assert (
        'claims_http_requests_total{method="POST",route="/api/v1/claims",status="201"} 1.0'
        in metrics.text
    )
