"""Crash safety, rebuild and verification of the read models, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from infra.settings import Settings
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log
from tests.projections.workload import random_workload
from tests.support import free_port

STEPS = ("before_view_write", "after_view_write", "before_commit")


class InjectedCrashError(Exception):
    pass


def verify_all(app: ClaimsApplication, store: ReadStore) -> None:
    for projection in all_projections(app.calendar):
        report = rebuild(build_event_log(app), store, projection, verify=True)
        assert report.matches, report.differences[:5]
        assert report.rows > 0


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_neither_repeats_nor_skips_an_event(
    app: ClaimsApplication, store: ReadStore, runner: ProjectionRunner, step: str
) -> None:
    random_workload(app, claims=10, commands=120, seed=7)
    runner.run_once()  # a first batch goes through
    before = runner.positions()

    def crash(at: str) -> None:
        if at == step:
            raise InjectedCrashError(at)

    with pytest.raises(InjectedCrashError):
        runner.run_once(fault=crash)
    # The failed batch left nothing behind: the first projection kept its position.
    assert runner.positions()["claims_list"] == before["claims_list"]

    restarted = ProjectionRunner(
        build_event_log(app), store, all_projections(app.calendar), batch_size=50
    )
    restarted.catch_up()
    assert set(restarted.lag().values()) == {0}
    verify_all(app, store)


def test_rebuild_verify_after_a_random_workload_then_detects_tampering(
    app: ClaimsApplication, store: ReadStore, runner: ProjectionRunner
) -> None:
    accepted = random_workload(app, claims=200, commands=1000, seed=2026)
    assert accepted > 400  # the workload exercises the rules, not only their refusals
    runner.catch_up()
    verify_all(app, store)

    with store.transaction() as tx:
        tx.execute("UPDATE claims SET status = 'closed' WHERE claim_number = 'S20000007'")
    (claims_list,) = [p for p in all_projections(app.calendar) if p.name == "claims_list"]
    report = rebuild(build_event_log(app), store, claims_list, verify=True)
    assert not report.matches
    (difference,) = report.differences
    assert difference.table == "claims"
    assert difference.live is not None
    assert "closed" in difference.live

    # Rebuilding (without --verify) replaces the tampered table set.
    rebuild(build_event_log(app), store, claims_list, verify=False)
    assert rebuild(build_event_log(app), store, claims_list, verify=True).matches
    runner.catch_up()  # and the live runner carries on from the rebuilt position
    assert set(runner.lag().values()) == {0}


def _claims(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("claims")), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "CLAIMS_DATABASE_URL": database_url},
    )


def test_the_worker_process_and_the_rebuild_command(
    app: ClaimsApplication, database_url: str
) -> None:
    random_workload(app, claims=20, commands=100, seed=3)
    head = app.recorder.max_notification_id()
    port = free_port()
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("claims")), "project", "--port", str(port)],
        env={**os.environ, "CLAIMS_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    store = ReadStore(Settings(database_url=database_url).resolved_read_model_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                rows = store.query("SELECT MIN(position), COUNT(*) FROM projection_tracking")
            except Exception:  # the worker has not created them yet
                rows = [(None, 0)]
            if rows[0][1] == 8 and rows[0][0] == head:  # eight projections
                break
            assert time.monotonic() < deadline, "the worker did not catch up"
            time.sleep(0.1)
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()
        assert ready == {
            "status": "ready",
            "lag": {
                "claims_list": 0,
                "sla": 0,
                "worklist": 0,
                "audit_trail": 0,
                "financials": 0,
                "retention": 0,
                "claim_search": 0,
                "reporting": 0,
            },
            "dead_letters": {
                "claims_list": 0,
                "sla": 0,
                "worklist": 0,
                "audit_trail": 0,
                "financials": 0,
                "retention": 0,
                "claim_search": 0,
                "reporting": 0,
            },
        }
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    verified = _claims(["rebuild", "--verify"], database_url)
    assert verified.returncode == 0, verified.stderr
    assert "claims_list: OK" in verified.stdout
    with store.transaction() as tx:
        tx.execute("DELETE FROM worklist WHERE claim_number = 'S20000003'")
    store.close()
    tampered = _claims(["rebuild", "worklist", "--verify"], database_url)
    assert tampered.returncode == 1
    assert "1 difference(s)" in tampered.stdout
    assert _claims(["rebuild", "nope"], database_url).returncode == 2
