"""What every benchmark shares: the figure records and their report, throw-away stores, a
`claims serve` process, a Kafka broker, and the sample claim (api.md's example declaration).

`bench/run.py`, `bench/scale.py` and `bench/soak.py` import from here, never from one another
nor from the tests.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench.support import free_port, start_tansu
from domain.declaration import ClaimDeclaration
from domain.values import Cause, Insured, Trip
from infra.settings import eventsourcing_env
from services.application import ClaimsApplication

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN = os.environ.get("CLAIMS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
TOKEN = "bench-handler-token"
MANAGER_TOKEN = "bench-manager-token"


# ---------------------------------------------------------------------- figures


@dataclass
class Figure:
    section: str
    what: str
    store: str
    value: float
    unit: str
    anchor: str = ""
    target: str = ""
    met: bool | None = None


FIGURES: list[Figure] = []


def record(figure: Figure) -> None:
    FIGURES.append(figure)
    print(
        f"  {figure.section} | {figure.what} [{figure.store}]: {figure.value:,.1f} "
        f"{figure.unit} {figure.anchor} {figure.target}",
        flush=True,
    )


def write_report(quick: bool, command: str, elapsed: float, path: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {elapsed:.0f} s"
        + (" (quick mode: small sizes, a smoke test, not the targets' scale)." if quick else "."),
        f"Machine: {platform.node()}, {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {platform.platform()}.",
        "Every figure is measured in this run next to its anchor. `met` compares with the "
        "target of the benchmark issue; `—` means no target for that row, `not measured at "
        "scale` means the figure was taken at a smaller size than the target's.",
        "",
        "| section | measure | store | value | unit | anchor / ratio | target | met |",
        "|---|---|---|---:|---|---|---|---|",
    ]
    for f in FIGURES:
        met = "—" if f.met is None else ("yes" if f.met else "**no**")
        if f.target and f.met is None:
            met = "not measured at scale"
        lines.append(
            f"| {f.section} | {f.what} | {f.store} | {f.value:,.1f} | {f.unit} | "
            f"{f.anchor} | {f.target} | {met} |"
        )
    notes = ROOT / "bench" / "notes.md"
    if not quick and notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").rstrip()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------- stores


@contextmanager
def store_url(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="claims-bench-")
        try:
            yield f"sqlite:///{folder}/claims.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"claims_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES_ADMIN}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{POSTGRES_ADMIN}/{name}"
    finally:
        # A new connection: the soak may have restarted the server meanwhile.
        with psycopg.connect(f"{POSTGRES_ADMIN}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def claims_app(url: str) -> ClaimsApplication:
    return ClaimsApplication(env=eventsourcing_env(url))


# ---------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@contextmanager
def server(url: str) -> Iterator[Server]:
    """`claims serve` in its own process on `url`, with a handler and a manager token."""
    port = free_port()
    env = {
        **os.environ,
        "CLAIMS_DATABASE_URL": url,
        "CLAIMS_API_TOKENS": f"{TOKEN}=bench:handler,{MANAGER_TOKEN}=bench.manager:manager",
        "CLAIMS_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("claims")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("server did not start")
        time.sleep(0.2)
    try:
        yield Server(base, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@contextmanager
def kafka_broker() -> Iterator[str]:
    port = free_port()
    broker = start_tansu(port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(timeout=30)


# ---------------------------------------------------------------------- the sample claim


def declaration() -> ClaimDeclaration:
    """A CA2624 cancellation for one insured, declared in time (api.md's example, as the
    tests' `declaration()`)."""
    return ClaimDeclaration(
        contract="CA2624",
        subscription_number="NQ7LVFB",
        guarantee="cancellation",
        cause=Cause(category="A", code="serious_illness", description="hospitalised"),
        event_date=date(2026, 3, 2),
        known_on=date(2026, 3, 2),
        declared_on=date(2026, 3, 4),
        booking_date=date(2026, 1, 10),
        subscription_date=date(2026, 1, 10),
        trip=Trip(
            departure_date=date(2026, 3, 20),
            return_date=date(2026, 3, 27),
            destination="Lisbon",
            transport_price=Decimal("500.00"),
        ),
        insured=(Insured(name="Jeanne Martin", trip_price=Decimal("1200.00")),),
    )


def declaration_body() -> dict[str, Any]:
    """The same claim as the body of `POST /api/v1/claims`."""
    return {
        "contract": "CA2624",
        "subscription_number": "NQ7LVFB",
        "guarantee": "cancellation",
        "cause": {"category": "A", "code": "serious_illness", "description": "hospitalised"},
        "event_date": "2026-03-02",
        "known_on": "2026-03-02",
        "declared_on": "2026-03-04",
        "booking_date": "2026-01-10",
        "subscription_date": "2026-01-10",
        "trip": {
            "departure_date": "2026-03-20",
            "return_date": "2026-03-27",
            "destination": "Lisbon",
            "transport_price": "500.00",
        },
        "insured": [{"name": "Jeanne Martin", "trip_price": "1200.00"}],
        "settlement_mode": "cash",
    }
