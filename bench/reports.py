"""The insurer's reports at the scale book's size (docs/adr/0029): a month's bordereau
written by the scheduled-job command (`claims report bordereau`, a fresh process: start-up,
read models already current, rows streamed to the file) with its peak memory, and the loss
triangles from the read model. Targets (issue 17): the bordereau of one month ≤ 10 s, the
triangles ≤ 2 s, at 1,000,000 claims, memory bounded."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.harness import Figure, record
from domain.reporting import BORDEREAU_COLUMNS, Basis, Origin, Period, Step
from infra.settings import Settings
from projections.store import ReadStore
from services.reports.bordereau import bordereau, stored_reasons, triangles
from services.reports.output import ReportFormat
from services.reports.streaming import write
from services.wiring import build_application

# The book is recorded in one go, now: every fact is recorded after the cut-off of the months
# it is dated in, so they all land in the current month (its cut-off is ahead), the largest
# bordereau the book can give: every claim not closed or withdrawn before the month.
PERIOD = str(Period.of(datetime.now(ZoneInfo("Europe/Paris")).date()))
AS_OF = date(2026, 11, 22)


def _children_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def report_figures(url: str, claims: int, kind: str) -> None:
    at_scale = claims >= 1_000_000
    claims_command = str(Path(sys.executable).with_name("claims"))
    env = {**os.environ, "CLAIMS_DATABASE_URL": url}
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("csv", "xlsx"):
            out = Path(folder) / f"bordereau.{fmt}"
            started = time.perf_counter()
            done = subprocess.run(
                [
                    claims_command,
                    "report",
                    "bordereau",
                    "--period",
                    PERIOD,
                    "--format",
                    fmt,
                    "-o",
                    str(out),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                msg = f"claims report bordereau: {done.stderr[-2000:]}"
                raise RuntimeError(msg)
            rows = done.stderr.strip().splitlines()[-1]
            record(
                Figure(
                    "reports",
                    f"bordereau {PERIOD} as {fmt.upper()} by `claims report`, {claims:,} claims",
                    kind,
                    seconds,
                    "s",
                    f"({rows}; {out.stat().st_size / 2**20:,.1f} MiB; whole command)",
                    "≤ 10 s at 1,000,000 claims",
                    seconds <= 10 if at_scale else None,
                )
            )
        # Peak RSS of the largest child so far (the bordereau runs above; earlier children
        # of this process may be larger, so this is an upper bound).
        record(
            Figure(
                "memory",
                f"peak RSS of `claims report bordereau` (upper bound), {claims:,} claims",
                kind,
                _children_peak_mib(),
                "MiB",
            )
        )
    store = ReadStore(Settings(database_url=url).resolved_read_model_url)
    app = build_application(Settings(database_url=url))
    try:
        for fmt in (ReportFormat.CSV, ReportFormat.JSON):
            started = time.perf_counter()
            made = bordereau(
                store,
                app.calendar,
                stored_reasons(app.recorder, app.mapper),
                period=Period.parse(PERIOD),
                now=datetime.now(UTC),
            )
            with tempfile.TemporaryFile() as sink:
                write(
                    fmt,
                    sink,
                    stem=made.stem,
                    head=made.head,
                    rows=made.rows(),
                    tail=made.tail,
                    columns=BORDEREAU_COLUMNS,
                )
            seconds = time.perf_counter() - started
            record(
                Figure(
                    "reports",
                    f"bordereau {PERIOD} as {fmt.value.upper()}, in process, {claims:,} claims",
                    kind,
                    seconds,
                    "s",
                    f"({made.count:,} rows; query, refusal reasons, writing)",
                    "≤ 10 s at 1,000,000 claims",
                    seconds <= 10 if at_scale else None,
                )
            )
        for basis in Basis:
            times = []
            for _ in range(5):
                started = time.perf_counter()
                triangles(
                    store, basis=basis, origin=Origin.ACCIDENT, step=Step.QUARTER, as_of=AS_OF
                )
                times.append(time.perf_counter() - started)
            worst = max(times)
            record(
                Figure(
                    "reports",
                    f"triangles basis={basis.value} by accident quarter with {claims:,} claims",
                    kind,
                    worst * 1000,
                    "ms (worst of 5)",
                    "",
                    "≤ 2 s at 1,000,000 claims",
                    worst <= 2 if at_scale else None,
                )
            )
    finally:
        app.close()
        store.close()
