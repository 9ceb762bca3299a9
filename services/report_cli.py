"""`claims report bordereau` and `claims report triangles` (scheduled jobs): the same bytes
as the HTTP reports (docs/adr/0029). The read models are brought up to date first; a progress
bar (tqdm) on stderr when it is a terminal, or with --progress."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from domain.reporting import BORDEREAU_COLUMNS, BadPeriodError, Basis, Origin, Period, Step
from infra.settings import Settings
from services.reports.bordereau import bordereau, stored_reasons, triangles
from services.reports.output import ReportFormat
from services.reports.streaming import write
from services.wiring import build_application, build_runner

COMMANDS = ("bordereau", "triangles")


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except BadPeriodError:
        msg = f"not a month YYYY-MM: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"not a date YYYY-MM-DD: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def add_parsers(reports: Any) -> None:
    """The two reports' sub-commands, under `claims report`."""
    border = reports.add_parser("bordereau", help="a month's claims bordereau")
    border.add_argument("--period", type=_period, required=True, help="YYYY-MM")
    border.add_argument("--contract", help="one contract's claims only")
    border.add_argument("--format", choices=[f.value for f in ReportFormat], default="csv")
    border.add_argument("-o", "--output", required=True, help="the file to write ('-': stdout)")
    border.add_argument("--progress", action="store_true", help="a progress bar even off a TTY")
    tri = reports.add_parser("triangles", help="loss development triangles (JSON)")
    tri.add_argument("--basis", choices=[b.value for b in Basis], default="paid")
    tri.add_argument("--origin", choices=[o.value for o in Origin], default="accident")
    tri.add_argument("--step", choices=[s.value for s in Step], default="quarter")
    tri.add_argument("--as-of", type=_day, help="default: today in Paris")
    tri.add_argument("-o", "--output", required=True, help="the file to write ('-': stdout)")
    tri.add_argument("--progress", action="store_true", help="a progress bar even off a TTY")


def _bar(args: argparse.Namespace, desc: str, unit: str) -> tqdm[Any]:
    # disable=None: shown only when stderr is a terminal, unless --progress.
    return tqdm(
        desc=desc, unit=unit, file=sys.stderr, delay=0.5, disable=False if args.progress else None
    )


def run(settings: Settings, args: argparse.Namespace, today: date) -> int:
    problem = None
    if args.report == "bordereau" and args.period > Period.of(today):
        problem = "--period is in the future"
    elif args.report == "triangles" and args.as_of is not None and args.as_of > today:
        problem = "--as-of is in the future"
    if problem is not None:
        print(f"claims: {problem}", file=sys.stderr)
        return 2
    app = build_application(settings)
    runner = build_runner(settings, app)
    try:
        with _bar(args, "read models", "ev") as bar:
            runner.catch_up(progress=bar.update)
        with ExitStack() as stack:
            out: BinaryIO = (
                sys.stdout.buffer
                if args.output == "-"
                else stack.enter_context(Path(args.output).open("wb"))
            )
            if args.report == "triangles":
                body = triangles(
                    runner.store,
                    basis=Basis(args.basis),
                    origin=Origin(args.origin),
                    step=Step(args.step),
                    as_of=args.as_of or today,
                )
                cells = [
                    [c if c is None or isinstance(c, int) else str(c) for c in row]
                    for row in body["cells"]
                ]
                out.write(
                    json.dumps(
                        {"origins": body["origins"], "cells": cells}, separators=(",", ":")
                    ).encode()
                )
                written = f"{len(body['origins'])} origin periods"
            else:
                with _bar(args, f"bordereau {args.period}", "claim") as bar:
                    report = bordereau(
                        runner.store,
                        app.calendar,
                        stored_reasons(app.recorder, app.mapper),
                        period=args.period,
                        now=datetime.now(UTC),
                        contract=args.contract,
                        progress=bar.update,
                    )
                    write(
                        ReportFormat(args.format),
                        out,
                        stem=report.stem,
                        head=report.head,
                        rows=report.rows(),
                        tail=report.tail,
                        columns=BORDEREAU_COLUMNS,
                    )
                written = f"{report.count} claims"
        if args.output != "-":
            print(f"wrote {written} to {args.output}", file=sys.stderr)
    finally:
        runner.store.close()
        app.close()
    return 0
