"""`claims serve --workers N`: several API processes on one store lose no update and give no
claim number twice (the projections run apart: CLAIMS_PROJECTIONS=off, `claims project`)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.services.conftest import declaration_body
from tests.support import free_port

CLAIMS = str(Path(sys.executable).with_name("claims"))
HANDLER = {"Authorization": "Bearer dev-handler-token"}


def _environment(database_url: str, projections: str) -> dict[str, str]:
    return {
        **os.environ,
        "CLAIMS_ENV": "dev",
        "CLAIMS_DATABASE_URL": database_url,
        "CLAIMS_PROJECTIONS": projections,
    }


@pytest.fixture
def two_workers(database_url: str) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [CLAIMS, "serve", "--port", str(port), "--workers", "2"],
        env=_environment(database_url, "off"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the two workers did not start"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_two_api_processes_lose_no_update_and_number_each_claim_once(two_workers: str) -> None:
    numbers: list[str] = []
    ids: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def client_work() -> None:
        # A fresh connection per request, so that both processes get work.
        start.wait()
        for _ in range(4):
            with httpx.Client(base_url=two_workers, headers=HANDLER, timeout=60) as client:
                created = client.post("/api/v1/claims", json=declaration_body())
            with lock:
                statuses.append(created.status_code)
                if created.status_code == 201:
                    numbers.append(created.json()["claim_number"])
                    ids.append(created.json()["claim_id"])

    threads = [threading.Thread(target=client_work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * 24
    assert len(set(numbers)) == 24

    # Then one claim, commanded from both processes at once: every 200 is in its history.
    cid = ids[0]
    outcomes: list[int] = []

    def note(index: int) -> None:
        with httpx.Client(base_url=two_workers, headers=HANDLER, timeout=60) as client:
            answer = client.post(
                f"/api/v1/claims/{cid}/notes",
                json={"text": f"note {index}", "noted_on": "2026-03-05"},
            )
        with lock:
            outcomes.append(answer.status_code)

    notes = [threading.Thread(target=note, args=(i,)) for i in range(12)]
    for thread in notes:
        thread.start()
    for thread in notes:
        thread.join()
    assert set(outcomes) <= {200, 409}, outcomes
    with httpx.Client(base_url=two_workers, headers=HANDLER, timeout=60) as client:
        final = client.get(f"/api/v1/claims/{cid}").json()
    assert final["version"] == 1 + outcomes.count(200)


def test_several_workers_with_the_projections_in_process_are_refused(sqlite_url: str) -> None:
    result = subprocess.run(
        [CLAIMS, "serve", "--port", str(free_port()), "--workers", "2"],
        env=_environment(sqlite_url, "inprocess"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "CLAIMS_PROJECTIONS=off" in result.stderr


def test_a_worker_count_below_one_is_refused(sqlite_url: str) -> None:
    result = subprocess.run(
        [CLAIMS, "serve", "--workers", "0"],
        env=_environment(sqlite_url, "off"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--workers" in result.stderr
