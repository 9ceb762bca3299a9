"""The `claims` command: `serve`, `replay`, `report`, `notify` and the workers."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import structlog
from pydantic import ValidationError
from tqdm import tqdm

from domain.calendar import FrenchCalendar
from domain.errors import ClaimError
from infra import schema_registry
from infra.events import current_schemas, published_documents
from infra.health import StallWatch, serve_readyz
from infra.kafka import KafkaProjectionWorker, Relay
from infra.logging import configure_logging
from infra.settings import Settings, redact_url, settings_errors
from projections.base import DeadLetter
from projections.rebuild import rebuild
from projections.runner import all_projections
from services import report_cli
from services.demo import generate
from services.http.deps import today_in_paris
from services.notifications.runner import notify
from services.replay_cli import replay_text
from services.reports.complaints import COLUMNS as REGISTER_COLUMNS
from services.reports.output import ReportFormat, render
from services.wiring import (
    build_application,
    build_event_log,
    build_name_hasher,
    build_projections,
    build_read_store,
    build_runner,
)

log = structlog.get_logger(__name__)


def _parse_timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"not an ISO 8601 timestamp: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if moment.tzinfo is None:
        msg = "the timestamp needs an offset, e.g. 2026-03-04T10:00:00+00:00"
        raise argparse.ArgumentTypeError(msg)
    return moment


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        msg = f"not a whole number of at least 1: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"not a date YYYY-MM-DD: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claims", description="Claims back office")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="API processes (above 1, run the projections apart: CLAIMS_PROJECTIONS=off and "
        "`claims project`)",
    )

    project = commands.add_parser("project", help="run the projections as a worker process")
    project.add_argument(
        "--source",
        choices=("store", "kafka"),
        default="store",
        help="read the event store's log, or consume Kafka",
    )
    project.add_argument("--worker", type=int, default=0, help="this worker's index (kafka)")
    project.add_argument("--workers", type=int, default=1, help="number of workers (kafka)")
    project.add_argument("--port", type=int, help="serve GET /readyz (lag) on this port")

    relay = commands.add_parser("relay", help="publish the stored events to Kafka")
    relay.add_argument(
        "--status",
        action="store_true",
        help="print the relay position and the store's head, and exit",
    )

    notify = commands.add_parser(
        "notify", help="request, send and report the declarants' notifications (ADR 34)"
    )
    notify.add_argument("--once", action="store_true", help="one pass, then exit")
    notify.add_argument("--as-of", type=_parse_day, help="reminders' day (default: today, Paris)")
    notify.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
    notify.add_argument(
        "--report-to", help="the API's base URL: report deliveries over HTTP (notifier token)"
    )

    demo = commands.add_parser("demo", help="generate realistic demo claims")
    demo.add_argument("--claims", type=int, default=300)
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--today", type=date.fromisoformat, help="default: today in Paris")
    demo.add_argument("--if-empty", action="store_true", help="only into an empty store")

    schemas = commands.add_parser("schemas", help="write the published event schemas")
    schemas.add_argument("--output", default="docs", help="folder (default: docs)")

    rebuild = commands.add_parser(
        "rebuild", help="rebuild read models from position zero (and verify them)"
    )
    rebuild.add_argument("name", nargs="?", help="one projection (default: all)")
    rebuild.add_argument(
        "--verify",
        action="store_true",
        help="compare with the live read model; exit 1 on any difference",
    )

    report = commands.add_parser("report", help="write a report to a file (scheduled jobs)")
    reports = report.add_subparsers(dest="report", required=True)
    register = reports.add_parser(
        "complaints-register", help="the register of complaints received in a period"
    )
    register.add_argument("--from", dest="received_from", type=_parse_day, required=True)
    register.add_argument("--to", dest="received_to", type=_parse_day, required=True)
    register.add_argument("--as-of", type=_parse_day, help="default: today in Paris")
    register.add_argument("--format", choices=[f.value for f in ReportFormat], default="csv")
    register.add_argument("-o", "--output", required=True, help="the file to write ('-': stdout)")
    report_cli.add_parsers(reports)

    retention = commands.add_parser(
        "retention", help="erase the personal data whose retention ended (dry run unless --apply)"
    )
    retention.add_argument("--apply", action="store_true", help="erase (default: report only)")
    retention.add_argument("--as-of", type=_parse_day, help="default: today in Paris")

    replay = commands.add_parser("replay", help="show a claim and its history (audit replay)")
    replay.add_argument("claim_number")
    replay.add_argument("--format", choices=("text", "json"), default="text")
    when = replay.add_mutually_exclusive_group()
    when.add_argument("--version", type=int, help="the claim as of this version")
    when.add_argument("--as-of", type=_parse_timestamp, help="the claim as recorded at this time")
    return parser


def _kafka_bootstrap(settings: Settings) -> str:
    if not settings.kafka_bootstrap:
        msg = "set CLAIMS_KAFKA_BOOTSTRAP to the broker's host:port"
        raise SystemExit(f"claims: {msg}")
    return settings.kafka_bootstrap


def _relay(settings: Settings, status: bool) -> int:
    app = build_application(settings)
    store = build_read_store(settings)
    relay = Relay(
        build_event_log(app),
        store,
        bootstrap=_kafka_bootstrap(settings),
        topic=settings.kafka_topic,
        partitions=settings.kafka_partitions,
        exclude_health_data=settings.kafka_exclude_health_data,
    )
    where = {
        "store": redact_url(settings.database_url),
        "read_models": redact_url(settings.resolved_read_model_url),
        "kafka": settings.kafka_bootstrap,
        "topic": settings.kafka_topic,
    }
    try:
        if status:
            print(json.dumps({**relay.status(), **where}))
            return 0
        signal.signal(signal.SIGTERM, lambda *_: relay.stop())
        log.info("relay.started", **relay.status(), **where)
        try:
            relay.run_forever()
        except KeyboardInterrupt:
            log.info("relay.stopped")
    finally:
        relay.close()
        store.close()
        app.close()
    return 0


def _project_kafka(settings: Settings, index: int, workers: int, port: int | None) -> int:
    store = build_read_store(settings)
    worker = KafkaProjectionWorker(
        store,
        all_projections(FrenchCalendar(settings.calendar_region), build_name_hasher(settings)),
        bootstrap=_kafka_bootstrap(settings),
        topic=settings.kafka_topic,
        index=index,
        workers=workers,
        partitions=settings.kafka_partitions,
    )
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    if port is not None:
        watch = StallWatch(settings.projection_stall_seconds)
        serve_readyz(
            port,
            lambda: watch.assess(
                {str(p): o for p, o in worker.positions().items()},
                {str(p): n for p, n in worker.lag().items()},
                worker.dead_letter_counts(),
            ),
        )
    log.info("projections.kafka_worker_started", partitions=worker.partitions)
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        log.info("projections.worker_stopped")
    finally:
        worker.close()
        store.close()
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    app = build_application(settings)
    try:
        if args.if_empty and app.recorder.max_notification_id():
            print("claims: the store already holds claims; no demo data added")
            return 0
        today = args.today or today_in_paris()
        with tqdm(total=args.claims, desc="demo claims", unit="claim", file=sys.stderr) as bar:
            report = generate(
                app,
                claims=args.claims,
                seed=args.seed,
                today=today,
                progress=bar.update,
                claims_per_save=100,
            )
        print(
            f"demo: {report.claims} claims, {report.commands} commands "
            f"({report.refused_by_rules} refused by the rules and skipped)"
        )
        online = _demo_online(settings, app, args, today)
        print(f"demo: {online} claims declared online, with documents")
    finally:
        app.close()
    return 0


def _demo_online(settings: Settings, app: Any, args: argparse.Namespace, today: Any) -> int:
    """Claims declared online with documents (services/demo_online.py), on the insured's
    side wired as the server wires it."""
    from services.demo_online import online_claims
    from services.wiring import attach_insured_side, build_private_store

    private = build_private_store(settings)
    try:
        attach_insured_side(settings, app, private)
        return online_claims(app, count=max(1, args.claims // 40), seed=args.seed, today=today)
    finally:
        private.close()


def _schemas(output: str) -> int:
    registry_path = Path(output) / schema_registry.REGISTRY_PATH
    published = json.loads(registry_path.read_text("utf-8")) if registry_path.exists() else {}
    try:  # docs/adr/0035: a published (type, version) may only gain optional fields
        registry = schema_registry.merge(published, current_schemas())
    except schema_registry.IncompatibleSchemaError as exc:
        print("claims schemas: incompatible with the published registry:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    documents = {
        **published_documents(),
        schema_registry.REGISTRY_PATH: schema_registry.dumps(registry),
    }
    for relative, text in documents.items():
        path = Path(output) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(documents)} documents under {output}/")
    return 0


def _project(settings: Settings, port: int | None) -> int:
    app = build_application(settings)
    runner = build_runner(settings, app)
    if port is not None:
        watch = StallWatch(settings.projection_stall_seconds)
        serve_readyz(
            port,
            lambda: watch.assess(runner.positions(), runner.lag(), runner.dead_letter_counts()),
        )
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    log.info("projections.worker_started", positions=runner.positions())
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        log.info("projections.worker_stopped")
    finally:
        runner.store.close()
        app.close()
    return 0


def _print_parked(parked: Sequence[DeadLetter]) -> None:
    for letter in parked[:20]:
        print(
            f"  parked: claim {letter.claim_id} position {letter.position} "
            f"{letter.event_type}: {letter.error}"
        )
    if len(parked) > 20:
        print(f"  ... and {len(parked) - 20} more")


def _rebuild(settings: Settings, name: str | None, verify: bool) -> int:
    """Rebuild (or verify) the read models; exit 1 on a difference, a stalled projection or
    an event parked in the dead letters (docs/adr/0016-dead-letters.md)."""
    app = build_application(settings)
    store = build_read_store(settings)
    projections = {p.name: p for p in build_projections(settings, app)}
    if name is not None and name not in projections:
        print(
            f"claims: unknown projection {name!r}; known: {', '.join(projections)}", file=sys.stderr
        )
        return 2
    event_log = build_event_log(app)
    failed = False
    parked: dict[str, int] = {}
    try:
        for projection in [projections[name]] if name else projections.values():
            total = event_log.head()
            with tqdm(
                total=total,
                desc=projection.name,
                unit="ev",
                file=sys.stderr,
                disable=total < 10_000,
            ) as bar:
                report = rebuild(
                    event_log,
                    store,
                    projection,
                    verify=verify,
                    progress=bar.update,
                )
            if report.parked:
                parked[projection.name] = len(report.parked)
            if not verify:
                print(f"{projection.name}: rebuilt to position {report.position}")
                _print_parked(report.parked)
                continue
            if report.matches:
                print(
                    f"{projection.name}: OK, {report.rows} rows match at position {report.position}"
                )
                continue
            failed = True
            count = len(report.differences) + (1 if report.stalled_behind else 0)
            print(f"{projection.name}: {count} difference(s) at position {report.position}")
            if report.stalled_behind:
                print(
                    f"  stalled: {report.stalled_behind} event(s) behind the store and not "
                    "advancing"
                )
            for diff in report.differences[:20]:
                print(f"  {diff.table} {diff.key}: live={diff.live} rebuilt={diff.rebuilt}")
    finally:
        store.close()
        app.close()
    if parked:
        print(
            f"parked: {sum(parked.values())} event(s) that fail "
            f"({', '.join(f'{n} {c}' for n, c in parked.items())}); the other claims are "
            "current. List them with GET /api/v1/admin/dead-letters, retry after a fix."
        )
    return 1 if failed or parked else 0


def _report(settings: Settings, args: argparse.Namespace) -> int:
    """`claims report complaints-register`: the same bytes as the HTTP report."""
    today = today_in_paris()
    if args.report in report_cli.COMMANDS:
        return report_cli.run(settings, args, today)
    as_of = args.as_of or today
    problem = (
        "--to is in the future"
        if args.received_to > today
        else "--from is after --to"
        if args.received_from > args.received_to
        else "--as-of is in the future"
        if as_of > today
        else "--as-of is before --to"
        if as_of < args.received_to
        else None
    )
    if problem is not None:
        print(f"claims: {problem}", file=sys.stderr)
        return 2
    app = build_application(settings)
    try:
        total = int(app.recorder.max_notification_id() or 0)
        with tqdm(
            total=total, desc="complaints register", unit="ev", file=sys.stderr, delay=1.0
        ) as bar:
            body = app.complaints_register(
                received_from=args.received_from,
                received_to=args.received_to,
                as_of=as_of,
                progress=bar.update,
            )
    finally:
        app.close()
    stem = f"complaints-register_{args.received_from}_{args.received_to}"
    rendered = render(ReportFormat(args.format), stem=stem, body=body, columns=REGISTER_COLUMNS)
    if args.output == "-":
        sys.stdout.buffer.write(rendered.content)
    else:
        Path(args.output).write_bytes(rendered.content)
        print(f"wrote {len(body['items'])} complaints to {args.output}", file=sys.stderr)
    return 0


def _notify(settings: Settings, args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        return notify(
            settings,
            once=args.once,
            as_of=args.as_of,
            today=today_in_paris,
            report_to=args.report_to,
            interval=args.interval,
            stop=stop,
        )
    except KeyboardInterrupt:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        # The variable and what is wrong, never the value (a key, a password in a URL).
        lines = "\n".join(f"  {line}" for line in settings_errors(exc))
        print(f"claims: bad configuration:\n{lines}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, json=settings.log_json)

    if args.command == "serve":
        import uvicorn

        from services.http.app import create_app

        try:
            http_app = create_app(settings)
        except ValueError as exc:  # CLAIMS_API_TOKENS: its messages never quote a token
            print(f"claims: bad configuration:\n  {exc}", file=sys.stderr)
            return 2
        if args.workers > 1 and settings.projections == "inprocess":
            # Each process would fold the same events into the same read models: one
            # projections process does it once (README "Running in production").
            print(
                "claims: --workers above 1 needs CLAIMS_PROJECTIONS=off, with the projections "
                "in their own process (`claims project`)",
                file=sys.stderr,
            )
            return 2
        uvicorn.run(
            # Several processes: each builds its app from the same environment (the factory).
            http_app if args.workers == 1 else "services.http.app:create_app",
            factory=args.workers > 1,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            # X-Forwarded-For counts only from the proxies configured (the login throttle
            # keys on the client address): none unless CLAIMS_FORWARDED_ALLOW_IPS.
            proxy_headers=bool(settings.forwarded_allow_ips),
            forwarded_allow_ips=settings.forwarded_allow_ips or None,
        )
        return 0

    if args.command == "project":
        if args.source == "kafka":
            return _project_kafka(settings, args.worker, args.workers, args.port)
        return _project(settings, args.port)
    if args.command == "relay":
        return _relay(settings, args.status)
    if args.command == "notify":
        return _notify(settings, args)
    if args.command == "demo":
        return _demo(settings, args)
    if args.command == "schemas":
        return _schemas(args.output)
    if args.command == "rebuild":
        return _rebuild(settings, args.name, args.verify)
    if args.command == "report":
        return _report(settings, args)
    if args.command == "retention":
        from services.retention_cli import retention_command

        return retention_command(settings, apply=args.apply, as_of=args.as_of)

    app = build_application(settings)
    try:
        print(replay_text(app, args))
    except ClaimError as exc:
        print(f"claims: {exc}", file=sys.stderr)
        return 1
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
