"""The `claims` command and the HTTP app's start-up, on the real SQLite default."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from infra.settings import Settings, eventsourcing_env, sqlite_path
from services.application import ClaimsApplication
from services.cli import main
from services.http.app import create_app
from tests.domain.gwt import declaration


def test_healthz_answers_once_the_app_has_started(sqlite_url: str) -> None:
    with TestClient(create_app(Settings(database_url=sqlite_url, env="dev"))) as client:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert isinstance(client.app.state.claims, ClaimsApplication)  # type: ignore[attr-defined]


@pytest.fixture
def declared_claim_number(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CLAIMS_DATABASE_URL", database_url)
    app = ClaimsApplication(env=eventsourcing_env(database_url))
    try:
        claim = app.declare(declaration(), by="alice")
        app.request_proofs(
            claim.id, documents=["medical_certificate"], requested_on=date(2026, 3, 5), by="bob"
        )
        return claim.claim_number
    finally:
        app.close()


def test_replay_prints_the_claim_and_its_history(
    declared_claim_number: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", declared_claim_number]) == 0
    out = capsys.readouterr().out
    assert f"claim {declared_claim_number}" in out
    assert "version 2" in out
    assert "status: proofs_requested" in out
    assert "Declared" in out
    assert "by alice" in out
    assert "ProofsRequested" in out
    assert "requested_on=2026-03-05" in out


def test_replay_at_a_version_shows_the_claim_as_it_was(
    declared_claim_number: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", declared_claim_number, "--version", "1"]) == 0
    out = capsys.readouterr().out
    assert "status: declared" in out
    assert "ProofsRequested" not in out


def test_replay_of_an_unknown_claim_fails_with_a_message(
    declared_claim_number: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "S29999999"]) == 1
    assert "no claim S29999999" in capsys.readouterr().err


def test_the_console_script_replays_as_of_a_timestamp(
    declared_claim_number: str, database_url: str
) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("claims")),
            "replay",
            declared_claim_number,
            "--as-of",
            "2999-01-01T00:00:00+00:00",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"CLAIMS_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "version 2" in result.stdout


def test_settings_fail_fast_naming_the_bad_value() -> None:
    with pytest.raises(ValidationError, match="database_url"):
        Settings(database_url="mysql://nope")
    with pytest.raises(ValidationError, match="calendar_region"):
        Settings(calendar_region="atlantis")


def test_sqlite_urls_map_to_relative_and_absolute_paths() -> None:
    assert sqlite_path("sqlite:///var/claims.db") == "var/claims.db"
    assert sqlite_path("sqlite:////tmp/claims.db") == "/tmp/claims.db"


def test_postgres_urls_map_to_eventsourcing_settings() -> None:
    env = eventsourcing_env("postgresql://claims:s3cret@db.internal:6543/claims_prod")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.internal",
        "6543",
        "claims_prod",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("claims", "s3cret")
