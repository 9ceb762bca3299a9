"""The pages in headless Chromium: weight (bytes transferred for the document and its assets,
a first visit) and first render (first-contentful-paint) of the manager's dashboard and of a
claim page, median of several loads, against a `claims serve` process on demo claims.

    python -m bench.pages            # 2,000 demo claims, 15 loads; updates docs/benchmarks.md
    python -m bench.pages --quick    # 100 claims, 3 loads; prints only

`bench/run.py` calls `page_figures` too (its figures then go in its table). Without
Chromium the figures are left out with a note, never failed: the browser tests (which CI
requires) check the dashboard's weight.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime

import httpx

from bench.browser import chromium, chromium_available, load, log_in
from bench.harness import FIGURES, MANAGER_TOKEN, ROOT, Figure, claims_app, record, server
from bench.harness import store_url as _store_url
from services.demo import generate

TODAY = date(2026, 11, 22)
DASHBOARD_WEIGHT_KB = 300  # the targets of the screens issue
DASHBOARD_FIRST_PAINT_MS = 1000
BEGIN, END = "<!-- pages:begin -->", "<!-- pages:end -->"


def page_figures(quick: bool, kind: str = "sqlite") -> None:
    if not chromium_available():
        print("  pages: chromium and chromium-driver are missing, not measured", flush=True)
        return
    loads = 3 if quick else 15
    with _store_url(kind) as url:
        app = claims_app(url)
        generate(app, claims=100 if quick else 2000, seed=1, today=TODAY)
        app.close()
        with server(url) as running:
            number = _longest_claim(running.base)
            driver = chromium(1280, 1000)
            try:
                log_in(driver, running.base, MANAGER_TOKEN)
                for label, path, weight_target, paint_target in (
                    ("dashboard", f"/dashboard?as_of={TODAY.isoformat()}", True, True),
                    (f"claim page (its longest history: {number})", f"/claims/{number}", 0, 0),
                ):
                    driver.get(running.base + path)  # a first load, not counted
                    measured = [load(driver, running.base + path) for _ in range(loads)]
                    weight = statistics.median(m.weight for m in measured) / 1024
                    paint = statistics.median(m.first_paint_ms for m in measured)
                    assets = len(measured[0].resources)
                    record(
                        Figure(
                            "pages (Chromium)",
                            f"{label}: weight, document and {assets - 1} asset(s)",
                            kind,
                            weight,
                            "KB",
                            "(no cache: a first visit)",
                            f"≤ {DASHBOARD_WEIGHT_KB} KB" if weight_target else "",
                            weight <= DASHBOARD_WEIGHT_KB if weight_target else None,
                        )
                    )
                    record(
                        Figure(
                            "pages (Chromium)",
                            f"{label}: first contentful paint, median of {loads}",
                            kind,
                            paint,
                            "ms",
                            f"(min {min(m.first_paint_ms for m in measured):,.0f}, "
                            f"max {max(m.first_paint_ms for m in measured):,.0f})",
                            f"≤ {DASHBOARD_FIRST_PAINT_MS} ms" if paint_target else "",
                            paint <= DASHBOARD_FIRST_PAINT_MS if paint_target else None,
                        )
                    )
            finally:
                driver.quit()


def _longest_claim(base: str) -> str:
    """The claim with the longest history among the first hundred: the heaviest claim page."""
    headers = {"Authorization": f"Bearer {MANAGER_TOKEN}"}
    deadline = time.monotonic() + 60
    while True:  # the server's projections catch up with the demo claims
        ready = httpx.get(f"{base}/readyz", headers=headers, timeout=10).json()
        if ready["status"] == "ready" and not any(ready["projection_lag"].values()):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the read models did not catch up")
        time.sleep(0.2)
    claims = httpx.get(f"{base}/api/v1/claims", params={"limit": 100}, headers=headers, timeout=30)
    longest = max(claims.json()["items"], key=lambda c: (c["version"], c["claim_number"]))
    return str(longest["claim_number"])


def _section(command: str) -> str:
    rows = [
        f"| {f.what} | {f.store} | {f.value:,.1f} | {f.unit} | {f.anchor} | {f.target} | "
        + ("—" if f.met is None else "yes" if f.met else "**no**")
        + " |"
        for f in FIGURES
        if f.section == "pages (Chromium)"
    ]
    return "\n".join(
        [
            BEGIN,
            "## Pages in Chromium",
            "",
            f"Produced by `{command}` (bench/pages.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} "
            f"UTC: headless Chromium on this machine ({os.cpu_count()} cores), 2,000 demo "
            "claims, the browser's cache disabled; weight is the bytes transferred "
            "for the document and its assets (Resource Timing `transferSize`), first render "
            "the `first-contentful-paint` entry, from the start of the navigation.",
            "",
            "| measure | store | value | unit | anchor / ratio | target | met |",
            "|---|---|---:|---|---|---|---|",
            *rows,
            END,
        ]
    )


def update_report(command: str) -> None:
    """Put the figures in docs/benchmarks.md in place of the section of an earlier run (a
    full `make bench` rewrites the document, these rows then in its table)."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = _section(command)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    page_figures(args.quick)
    if not args.quick and FIGURES:
        update_report("python -m bench.pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
