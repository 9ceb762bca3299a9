"""Fault-injection soak (opt-in: `make soak CYCLES=50`), bounded by its number of cycles.

Under a steady command load through the HTTP API, it SIGKILLs the API server, the projection
worker, the Kafka relay or a `claims rebuild` swapping rebuilt read models in under the worker,
at random (restarting each), then checks: every acknowledged
command's event is stored, versions are contiguous per claim, every read model equals a full
rebuild, and Kafka holds every stored event. Writes docs/reliability.md.

With `--kill-postgres` (root, Debian's `pg_ctlcluster`), the PostgreSQL server is also
stopped in immediate mode and restarted; it is always restarted when the soak ends.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.harness import ROOT, declaration_body, store_url
from bench.support import free_port, read_topic, start_tansu
from infra.events import decode
from infra.settings import Settings, eventsourcing_env
from projections.rebuild import rebuild
from projections.runner import all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log

TOKEN = "soak-handler-token"
PARTITIONS = 4


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name, self.args, self.env = name, args, env
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.popen = subprocess.Popen(
            [str(Path(sys.executable).with_name("claims")), *self.args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        if self.popen is not None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            self.popen.wait(timeout=30)


class Postgres:
    """The machine's PostgreSQL cluster, stopped hard and restarted."""

    def __init__(self) -> None:
        self.version = sorted(os.listdir("/etc/postgresql"))[-1]

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", *args],
            check=False,
            timeout=120,
            capture_output=True,
        )

    def kill(self) -> None:
        self._ctl("stop", "-m", "immediate")

    def start(self) -> None:
        self._ctl("start")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                psycopg.connect(
                    "postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2
                ).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not come back")


class Load:
    """Commands through the API; remembers each acknowledged (claim id, version)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.acknowledged: set[tuple[str, int]] = set()
        self.failed = 0
        self.claims: list[str] = []
        self._stop = threading.Event()
        self._rng = random.Random(1)

    def _send(self, client: httpx.Client) -> None:
        key = uuid.uuid4().hex
        if not self.claims or self._rng.random() < 0.2:
            response = client.post(
                "/api/v1/claims", json=declaration_body(), headers={"Idempotency-Key": key}
            )
        else:
            claim = self._rng.choice(self.claims)
            response = client.post(
                f"/api/v1/claims/{claim}/notes",
                json={"text": "soak", "noted_on": "2026-03-05"},
                headers={"Idempotency-Key": key},
            )
        if response.status_code in (200, 201):
            body = response.json()
            self.acknowledged.add((body["claim_id"], body["version"]))
            if response.status_code == 201:
                self.claims.append(body["claim_id"])
        else:
            self.failed += 1

    def run(self) -> None:
        with httpx.Client(
            base_url=self.base, timeout=5, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as client:
            while not self._stop.is_set():
                try:
                    self._send(client)
                except httpx.HTTPError:
                    self.failed += 1
                    time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def soak(cycles: int, kill_postgres: bool) -> dict[str, Any]:
    started = time.monotonic()
    kafka_port, api_port = free_port(), free_port()
    broker = start_tansu(kafka_port)
    topic = f"claims.soak.{uuid.uuid4().hex[:8]}"
    try:
        with store_url("postgres") as url:
            env = {
                **os.environ,
                "CLAIMS_DATABASE_URL": url,
                "CLAIMS_PROJECTIONS": "off",
                "CLAIMS_API_TOKENS": f"{TOKEN}=soak:handler",
                "CLAIMS_LOG_LEVEL": "WARNING",
                "CLAIMS_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}",
                "CLAIMS_KAFKA_TOPIC": topic,
                "CLAIMS_KAFKA_PARTITIONS": str(PARTITIONS),
            }
            processes = {
                "api": Process("api", ["serve", "--port", str(api_port)], env),
                "worker": Process("worker", ["project"], env),
                "relay": Process("relay", ["relay"], env),
                # Rebuilds every read model and swaps it in under the running worker.
                "rebuild": Process("rebuild", ["rebuild"], env),
            }
            for process in processes.values():
                process.start()
            base = f"http://127.0.0.1:{api_port}"
            wait_http(f"{base}/healthz")
            load = Load(base)
            thread = threading.Thread(target=load.run, daemon=True)
            thread.start()
            rng = random.Random(7)
            targets: dict[str, Any] = dict(processes)
            if kill_postgres:
                targets["postgres"] = Postgres()
            kills = dict.fromkeys(targets, 0)
            try:
                for _ in range(cycles):
                    time.sleep(rng.uniform(0.5, 1.5))
                    name = rng.choice(list(targets))
                    targets[name].kill()
                    kills[name] += 1
                    targets[name].start()
                    if name == "api":
                        wait_http(f"{base}/healthz")
            finally:
                if kill_postgres:
                    targets["postgres"].start()  # never leave the machine without its server
            time.sleep(2)
            load.stop()
            thread.join(timeout=30)
            processes["rebuild"].stop()  # the check below rebuilds too
            result = verify(url, env, load, topic, kafka_port)
            for process in processes.values():
                process.stop()
            result.update(
                cycles=cycles,
                kills=kills,
                failed_requests=load.failed,
                seconds=round(time.monotonic() - started),
            )
            return result
    finally:
        broker.terminate()
        broker.wait(timeout=30)


def _application(url: str) -> ClaimsApplication:
    # Its CREATE TABLE IF NOT EXISTS can race the restarted processes' own ("tuple
    # concurrently updated" in PostgreSQL's catalogue): try again.
    for attempt in range(10):
        try:
            return ClaimsApplication(env=eventsourcing_env(url))
        except Exception:
            time.sleep(0.5 * (attempt + 1))
    return ClaimsApplication(env=eventsourcing_env(url))


def verify(url: str, env: dict[str, str], load: Load, topic: str, port: int) -> dict[str, Any]:
    app = _application(url)
    event_log = build_event_log(app)
    head = event_log.head()
    store = ReadStore(Settings(database_url=url).resolved_read_model_url)
    deadline = time.monotonic() + 120
    while True:  # let the restarted worker and relay catch up
        positions = [
            int(r[0])
            for r in store.query(
                "SELECT position FROM projection_tracking WHERE projection NOT LIKE ?",
                ("%rebuild",),
            )
        ]
        relay = store.query("SELECT position FROM relay_position")
        if positions and min(positions) >= head and relay and relay[0][0] >= head:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("worker or relay did not catch up")
        time.sleep(0.5)
    versions = {
        claim: [e.version for e in app.history(uuid.UUID(claim))]
        for claim in {c for c, _ in load.acknowledged}
    }
    lost = [(c, v) for c, v in load.acknowledged if v not in versions[c]]
    gaps = [c for c, found in versions.items() if found != list(range(1, len(found) + 1))]
    differences = sum(
        len(rebuild(event_log, store, p, verify=True).differences)
        for p in all_projections(app.calendar)
    )
    published = [
        decode(record.value)[0]
        for record in read_topic(f"127.0.0.1:{port}", topic, PARTITIONS, timeout_ms=3000)
    ]
    stored = {position for position, _ in event_log.read(start=1, limit=10_000_000).events}
    missing_in_kafka = len(stored - set(published))
    store.close()
    app.close()
    return {
        "acknowledged": len(load.acknowledged),
        "events": len(stored),
        "lost": len(lost),
        "version_gaps": len(gaps),
        "view_differences": differences,
        "missing_in_kafka": missing_in_kafka,
        "republished": len(published) - len(set(published)),
    }


def report(result: dict[str, Any], path: Path, command: str) -> None:
    ok = not (
        result["lost"]
        or result["version_gaps"]
        or result["view_differences"]
        or result["missing_in_kafka"]
    )
    lines = [
        "# Reliability: fault-injection soak",
        "",
        f"Produced by `{command}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {result['seconds']} s, PostgreSQL event "
        "store, Tansu broker.",
        "",
        "Under a steady command load through the HTTP API (declarations and notes, each with an "
        "Idempotency-Key), every 0.5-1.5 s one of these is killed (SIGKILL) and restarted, at "
        "random: the API server, the Kafka projection worker, the Kafka relay, a `claims "
        "rebuild` (which swaps rebuilt read models in under the running worker)"
        + (
            ", the PostgreSQL server (stopped in immediate mode)"
            if "postgres" in result["kills"]
            else ""
        )
        + ".",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| kill cycles survived | {result['cycles']} |",
        *(f"| kills of {name} | {count} |" for name, count in result["kills"].items()),
        f"| commands acknowledged | {result['acknowledged']} |",
        f"| requests refused or failed while a process was down | {result['failed_requests']} |",
        f"| claim events stored | {result['events']} |",
        f"| acknowledged commands lost | **{result['lost']}** |",
        f"| claims with non-contiguous versions | **{result['version_gaps']}** |",
        f"| read-model rows differing from a full rebuild | **{result['view_differences']}** |",
        f"| stored events missing in Kafka | **{result['missing_in_kafka']}** |",
        f"| events published more than once (at-least-once, expected) | {result['republished']} |",
        "",
        f"Result: {'nothing lost, duplicated or divergent' if ok else '**FAILED**'}.",
        "",
        *(
            []
            if "postgres" in result["kills"]
            else [
                "Not covered: killing the PostgreSQL server (run `make soak KILL_POSTGRES=1`).",
                "",
            ]
        ),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--kill-postgres", action="store_true")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "reliability.md")
    args = parser.parse_args(argv)
    result = soak(args.cycles, args.kill_postgres)
    command = f"python -m bench.soak --cycles {args.cycles}" + (
        " --kill-postgres" if args.kill_postgres else ""
    )
    report(result, args.report, command)
    bad = result["lost"] or result["version_gaps"] or result["view_differences"]
    return 1 if bad or result["missing_in_kafka"] else 0


if __name__ == "__main__":
    sys.exit(main())
