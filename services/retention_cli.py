"""`claims retention` wired on the settings' store (services/retention.py does the work)."""

from __future__ import annotations

from datetime import date

from infra.settings import Settings
from services.http.deps import today_in_paris
from services.http.insured_sessions import InsuredSessions
from services.retention import run_retention
from services.wiring import (
    attach_insured_side,
    build_application,
    build_private_store,
    build_runner,
)


def retention_command(settings: Settings, *, apply: bool, as_of: date | None) -> int:
    """Print the report; exit 1 if an erasure was refused."""
    app = build_application(settings)
    private = build_private_store(settings)
    attach_insured_side(settings, app, private)
    runner = build_runner(settings, app)
    sessions = InsuredSessions(private)
    sessions.setup()
    try:
        runner.catch_up()
        report = run_retention(
            app,
            runner.store,
            as_of=as_of or today_in_paris(),
            months=settings.retention_after_prescription,
            apply=apply,
            on_erased=sessions.end_all,
        )
    finally:
        runner.store.close()
        private.close()
        app.close()
    for line in report.lines:
        print(line)
    print(report.summary())
    return 1 if report.failed else 0
