"""Secrets are never echoed: a bad setting is named with what is wrong, never its value, and a
database URL is printed or logged with its password redacted."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr, ValidationError

from infra.settings import Settings, redact_url, settings_errors
from tests.services.conftest import TOKEN_SPEC
from tests.support import free_port

CLAIMS = str(Path(sys.executable).with_name("claims"))
WRONG_LENGTH_KEY = base64.b64encode(b"KEY-S3CRET-wrong-length").decode()
# (variable, bad value, the secret strings that must not appear)
BAD_SETTINGS = [
    ("CLAIMS_ENCRYPTION_KEY", "KEY-S3CRET-not-base64!", ["KEY-S3CRET"]),
    ("CLAIMS_ENCRYPTION_KEY", WRONG_LENGTH_KEY, [WRONG_LENGTH_KEY, "KEY-S3CRET"]),
    ("CLAIMS_DATABASE_URL", "mysql://claims:PW-S3CRET-A@db/claims", ["PW-S3CRET"]),
    ("CLAIMS_DATABASE_URL", "postgresql://claims:PW-S3CRET-B%zz@db/claims", ["PW-S3CRET"]),
    ("CLAIMS_DATABASE_URL", "postgresql://claims:PW-S3CRET-C@db:no-port/claims", ["PW-S3CRET"]),
    ("CLAIMS_DATABASE_URL", "postgresql://claims:PW-S3CRET-D@db:5432/", ["PW-S3CRET"]),
    ("CLAIMS_READ_MODEL_URL", "postgres://claims:PW-S3CRET-E@[db/claims", ["PW-S3CRET"]),
]


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's closed stderr.
    structlog.reset_defaults()


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMS_")}
    return {**env, "CLAIMS_API_TOKENS": TOKEN_SPEC, **values}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLAIMS, *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.parametrize(("variable", "value", "secrets"), BAD_SETTINGS)
@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["project"], ["rebuild"]])
def test_a_bad_setting_is_named_without_its_value(
    tmp_path: Path, command: list[str], variable: str, value: str, secrets: list[str]
) -> None:
    env = _env(**{"CLAIMS_DATABASE_URL": f"sqlite:///{tmp_path / 'claims.db'}", variable: value})
    result = _run(command, env)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"{variable}: " in result.stderr
    for secret in secrets:
        assert secret not in output
    assert not (tmp_path / "claims.db").exists()  # nothing started


def test_a_bad_token_list_is_named_without_the_tokens(tmp_path: Path) -> None:
    env = _env(
        CLAIMS_DATABASE_URL=f"sqlite:///{tmp_path / 'claims.db'}",
        CLAIMS_API_TOKENS="TOKEN-S3CRET-0001=someone:superuser",
    )
    result = _run(["serve", "--port", "1"], env)
    assert result.returncode == 2
    assert "CLAIMS_API_TOKENS item 1: unknown role" in result.stderr
    assert "S3CRET" not in result.stdout + result.stderr
    assert "superuser" not in result.stdout + result.stderr


def test_a_working_run_never_prints_the_database_password(postgres_url: str) -> None:
    """serve, project, rebuild and relay --status on a real PostgreSQL database, reached with a
    URL that carries a password (the test server trusts loopback, so any password works)."""
    url = postgres_url.replace("postgresql://postgres@", "postgresql://postgres:PW-S3CRET-Z@")
    assert "PW-S3CRET-Z" in url
    env = _env(CLAIMS_DATABASE_URL=url, CLAIMS_LOG_LEVEL="DEBUG", CLAIMS_LOG_JSON="1")
    rebuilt = _run(["rebuild"], env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    status = _run(["relay", "--status"], {**env, "CLAIMS_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    assert status.returncode == 0, status.stderr
    assert '"store": "postgresql://postgres:***@127.0.0.1:5432/' in status.stdout
    outputs = [rebuilt.stdout + rebuilt.stderr, status.stdout + status.stderr]
    for command, ready in (
        (["serve", "--port", str(free_port())], "claims.started"),
        (["project"], "projections.worker_started"),
    ):
        process = subprocess.Popen(
            [CLAIMS, *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        seen = ""
        while ready not in seen and process.poll() is None:
            assert time.monotonic() < deadline, seen
            seen += process.stderr.readline()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        assert ready in seen, seen + err
        outputs.append(seen + out + err)
    for output in outputs:
        assert "PW-S3CRET-Z" not in output


def test_console_tracebacks_show_no_local_variables() -> None:
    script = textwrap.dedent(
        """
        import structlog
        from infra.logging import configure_logging

        configure_logging("INFO", json=False)

        def connect():
            url = "postgresql://claims:PW-S3CRET-L@db/claims"
            raise ConnectionError("refused")

        try:
            connect()
        except ConnectionError:
            structlog.get_logger("t").exception("store.unreachable")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "ConnectionError" in result.stderr
    assert "PW-S3CRET-L" not in result.stderr


def test_settings_errors_name_the_variable_and_the_problem_never_the_value() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(
            database_url="mysql://u:PW-S3CRET@h/db",
            encryption_key=SecretStr("KEY-S3CRET"),
            calendar_region="atlantis-S3CRET",
        )
    lines = settings_errors(caught.value)
    assert [line.split(":")[0] for line in lines] == [
        "CLAIMS_DATABASE_URL",
        "CLAIMS_CALENDAR_REGION",
        "CLAIMS_ENCRYPTION_KEY",
    ]
    assert "S3CRET" not in "\n".join(lines) + str(caught.value) + repr(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://claims:s3cret@db:5432/claims", "postgresql://claims:***@db:5432/claims"),
        ("postgresql://claims@db/claims", "postgresql://claims@db/claims"),
        (
            "postgresql://u@db/c?password=s3cret&sslmode=require",
            "postgresql://u@db/c?password=***&sslmode=require",
        ),
        ("postgresql://u:p%40ss@[::1]:5432/c", "postgresql://u:***@[::1]:5432/c"),
        ("sqlite:///var/claims.db", "sqlite:///var/claims.db"),
        ("postgresql://u:s3cret@[db/c", "(an unparseable URL, not shown)"),
    ],
)
def test_urls_are_shown_with_the_password_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_the_settings_repr_redacts_the_database_passwords() -> None:
    settings = Settings(
        database_url="postgresql://claims:PW-S3CRET@db/claims",
        read_model_url="postgresql://views:PW-S3CRET@db/views",
        api_tokens=SecretStr("TOKEN-S3CRET-0001=u:handler"),
    )
    assert "S3CRET" not in repr(settings) + str(settings)
    assert "postgresql://claims:***@db/claims" in repr(settings)
