"""Every SQLite file and folder the back office creates is private to its user: 0600 files in
0700 folders (docs/adr/0021-data-at-rest.md)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient
from pydantic import SecretStr

from infra.settings import Settings
from services.http.app import create_app
from tests.services.conftest import TOKEN_SPEC, Handler


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's closed stderr.
    structlog.reset_defaults()


def _modes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode)
        for path in sorted(root.rglob("*"))
    }


def test_the_store_the_read_models_and_their_new_folders_are_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'office' / 'claims.db'}"
    previous = os.umask(0o022)  # the usual umask, which would give 0644 files
    try:
        with TestClient(
            create_app(Settings(database_url=url, api_tokens=SecretStr(TOKEN_SPEC)))
        ) as client:
            Handler(client).declare()
            open_modes = _modes(tmp_path)  # while SQLite has its WAL and shared-memory files
    finally:
        os.umask(previous)
    assert {"var", "var/office", "var/office/claims.db", "var/office/claims_read_models.db"} <= set(
        open_modes
    )
    assert any(name.endswith("-wal") for name in open_modes), open_modes
    for name, mode in {**open_modes, **_modes(tmp_path)}.items():
        expected = 0o700 if (tmp_path / name).is_dir() else 0o600
        assert mode == expected, (name, oct(mode))


def test_existing_database_files_are_made_private_and_existing_folders_left_alone(
    tmp_path: Path,
) -> None:
    store = tmp_path / "claims.db"
    views = tmp_path / "claims_read_models.db"
    for file in (store, views, Path(f"{store}-wal")):
        file.touch(mode=0o644)
        file.chmod(0o644)
    tmp_path.chmod(0o755)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("claims")), "rebuild"],
        env={**os.environ, "CLAIMS_DATABASE_URL": f"sqlite:///{store}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755  # not ours to change
    for file in (store, views):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
