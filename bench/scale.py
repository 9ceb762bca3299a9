"""The book at scale: 1,000,000 demo claims bulk-loaded through the application.

The claims come from the demo generator (realistic lifecycles: proofs, decisions, payments,
complaints, mediation), through the application's commands in bulk mode, 100 claims per
transaction. Loading takes a while, so the store is kept under `var/bench/` and reused while it
is complete (a marker file records how it was made); the read models are built from it by the
projection runner in each run.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.harness import MANAGER_TOKEN, TOKEN, Figure, record, server
from infra.settings import Settings, eventsourcing_env
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore, sqlite_path
from services.application import ClaimsApplication
from services.demo import generate
from services.wiring import build_event_log

ROOT = Path(__file__).resolve().parent.parent
SEED = 2026
TODAY = date(2026, 11, 22)
CLAIMS_PER_SAVE = 100
CHUNK = 10_000  # claims generated per call, for progress lines


@dataclass(frozen=True)
class Loaded:
    url: str
    claims: int
    events: int
    seconds: float  # how long loading took
    reused: bool  # loaded by an earlier run (the store is kept under var/bench/)


def sqlite_store(claims: int) -> tuple[Path, Path]:
    folder = ROOT / "var" / "bench" / f"scale-sqlite-{claims}"
    return folder / "claims.db", folder / "complete.json"


def load_sqlite(claims: int) -> Loaded:
    """The SQLite store of `claims` demo claims, generated unless a complete one exists."""
    path, marker = sqlite_store(claims)
    url = f"sqlite:///{path}"
    if marker.exists():
        made = json.loads(marker.read_text())
        return Loaded(url, made["claims"], made["events"], made["seconds"], reused=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob("claims.db*"):
        leftover.unlink()  # an interrupted load: start again
    app = ClaimsApplication(env=eventsourcing_env(url))
    started = time.perf_counter()
    done = made = 0
    try:
        while done < claims:
            size = min(CHUNK, claims - done)
            # One generator per chunk, seeded by the chunk: the book is the same every time.
            report = generate(
                app,
                claims=size,
                seed=SEED + done,
                today=TODAY,
                claims_per_save=CLAIMS_PER_SAVE,
            )
            done += size
            made += report.claims
            elapsed = time.perf_counter() - started
            events = int(app.recorder.max_notification_id() or 0)
            print(
                f"  scale load: {made:,} claims, {events:,} events, {events / elapsed:,.0f} "
                "events/s",
                flush=True,
            )
        events = int(app.recorder.max_notification_id() or 0)
    finally:
        app.close()
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"claims": made, "events": events, "seconds": seconds}))
    return Loaded(url, made, events, seconds, reused=False)


def build_read_models(loaded: Loaded, kind: str) -> None:
    """Fresh read models from the whole log (the projections' code may have changed)."""
    read_url = Settings(database_url=loaded.url).resolved_read_model_url
    for leftover in Path(sqlite_path(read_url)).parent.glob(Path(sqlite_path(read_url)).name + "*"):
        leftover.unlink()
    app = ClaimsApplication(env=eventsourcing_env(loaded.url))
    store = ReadStore(read_url)
    try:
        runner = ProjectionRunner(
            build_event_log(app), store, all_projections(app.calendar), batch_size=2000
        )
        runner.setup()
        started = time.perf_counter()
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done += count
            if done % 500_000 < count:
                rate = done / (time.perf_counter() - started)
                print(f"  scale views: {done:,} events, {rate:,.0f} events/s", flush=True)

        runner.catch_up(progress=progress)
        rate = loaded.events / (time.perf_counter() - started)
    finally:
        store.close()
        app.close()
    record(
        Figure(
            "scale",
            f"all read models built from {loaded.events:,} events ({loaded.claims:,} claims)",
            kind,
            rate,
            "events/s",
        )
    )


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _page_session(base: str, token: str) -> str:
    """A page session's Cookie header, through the login form as a browser would (by hand:
    httpx sends no Secure cookie to http://127.0.0.1)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if csrf is None:
            raise RuntimeError("no CSRF token on the login form")
        login_cookie = next(name for name in form.cookies if name.endswith("claims_login"))
        done = client.post(
            "/login",
            data={"token": token, "csrf": csrf.group(1)},
            headers={"Origin": base, "Cookie": f"{login_cookie}={form.cookies[login_cookie]}"},
        )
        session = next((n for n in done.cookies if n.endswith("claims_session")), None)
        if done.status_code != 303 or session is None:
            msg = f"login: HTTP {done.status_code}"
            raise RuntimeError(msg)
        return f"{session}={done.cookies[session]}"


def read_queries(loaded: Loaded, kind: str, *, repeat: int = 20) -> None:
    """p95 of the read queries over HTTP, and the server's peak memory, at this size."""
    day = TODAY.isoformat()
    queries = (
        ("GET /api/v1/dashboard", f"/api/v1/dashboard?as_of={day}", MANAGER_TOKEN),
        (
            "GET /api/v1/sla?state=breached (first page)",
            f"/api/v1/sla?state=breached&as_of={day}",
            TOKEN,
        ),
        (
            "GET /api/v1/claims?status=proofs_requested (first page)",
            "/api/v1/claims?status=proofs_requested",
            TOKEN,
        ),
        ("GET /api/v1/worklist (first page)", "/api/v1/worklist", TOKEN),
        (
            "GET /api/v1/financials as of a past day (first page)",
            f"/api/v1/financials?as_of={(TODAY - timedelta(days=150)).isoformat()}",
            MANAGER_TOKEN,
        ),
        (
            "GET /dashboard (the page, 12 months of SLA history)",
            f"/dashboard?as_of={day}",
            MANAGER_TOKEN,
        ),
    )
    with server(loaded.url) as running:
        page_session = _page_session(running.base, MANAGER_TOKEN)
        for label, path, token in queries:
            headers = {"Authorization": f"Bearer {token}", "Cookie": page_session}
            with httpx.Client(base_url=running.base, headers=headers, timeout=120) as client:
                times = []
                for attempt in range(repeat + 2):
                    started = time.perf_counter()
                    response = client.get(path)
                    elapsed = 1000 * (time.perf_counter() - started)
                    if response.status_code != 200:
                        msg = f"{path}: HTTP {response.status_code}"
                        raise RuntimeError(msg)
                    if attempt >= 2:  # the first two warm the caches
                        times.append(elapsed)
            p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
            record(
                Figure(
                    "read queries",
                    f"{label} with {loaded.claims:,} claims",
                    kind,
                    p95,
                    "ms (p95)",
                    f"(median {statistics.median(times):,.1f} ms)",
                    "≤ 100 ms at 1,000,000 claims",
                    p95 <= 100 if loaded.claims >= 1_000_000 else None,
                )
            )
        record(
            Figure(
                "memory",
                f"claims serve peak RSS with {loaded.claims:,} claims, after the queries",
                kind,
                peak_rss_mib(running.pid),
                "MiB",
            )
        )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="the scale book alone (make bench runs it too)")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--views", action="store_true", help="build the read models")
    parser.add_argument("--queries", action="store_true", help="measure the read queries")
    parser.add_argument("--reports", action="store_true", help="measure the insurer's reports")
    args = parser.parse_args()
    loaded = load_sqlite(args.claims)
    print(loaded)
    if args.views:
        build_read_models(loaded, "sqlite")
    if args.queries:
        read_queries(loaded, "sqlite")
    if args.reports:
        from bench.reports import report_figures

        report_figures(loaded.url, loaded.claims, "sqlite")
