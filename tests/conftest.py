"""Store fixtures: every store-dependent test runs on SQLite and on PostgreSQL.

PostgreSQL tests create a fresh database on 127.0.0.1:5432 (user postgres) and drop it
afterwards. Without a server they are skipped, unless CLAIMS_REQUIRE_POSTGRES=1 (CI), where
they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from infra.settings import eventsourcing_env
from services.application import ClaimsApplication

POSTGRES_ADMIN = os.environ.get("CLAIMS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CLAIMS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (CLAIMS_REQUIRE_POSTGRES=1): {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped after the test."""
    name = f"claims_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(f"{POSTGRES_ADMIN}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _postgres_unavailable(str(exc))
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield f"{POSTGRES_ADMIN}/{name}"
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'claims.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh store, once per backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def app(database_url: str) -> Iterator[ClaimsApplication]:
    application = ClaimsApplication(env=eventsourcing_env(database_url))
    try:
        yield application
    finally:
        application.close()
