"""The bordereau's `acknowledged_on` over HTTP (api.md v2 §2), on SQLite and PostgreSQL: the
Paris date of the first declaration receipt sent, by the real policy and sender (aiosmtpd),
as known at the month's cut-off. The cut-off rule with set recording times is in
tests/projections/test_reporting.py."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from domain.reporting import paris_day
from infra.settings import Settings
from services.application import ClaimsApplication
from services.notifications.sender import DirectReporter, Sender
from services.notifications.service import Notifications
from services.notifications.wiring import build_policy, build_sender
from tests.notifications.support import (  # noqa: F401 - smtp_server: a fixture
    FakeClock,
    SmtpServer,
    email_only,
    smtp_server,
)
from tests.services.conftest import Handler
from tests.services.test_api_insured import declare_online
from tests.services.test_reports_bordereau import CURRENT, PAST, _days, _get


def _sender(api: TestClient, smtp: SmtpServer, clock: FakeClock) -> Sender:
    app: ClaimsApplication = api.app.state.claims  # type: ignore[attr-defined]
    notifications: Notifications = api.app.state.notifications  # type: ignore[attr-defined]
    assert app.insured_side is not None
    settings = Settings(smtp_host=smtp.host, smtp_port=smtp.port, smtp_security="none")
    return build_sender(
        settings,
        notifications,
        DirectReporter(notifications),
        recipients=email_only,
        access_codes=app.insured_side.outbox,
        clock=clock,
        sleep=lambda _s: None,
    )


def _request_receipts(api: TestClient) -> None:
    app: ClaimsApplication = api.app.state.claims  # type: ignore[attr-defined]
    notifications: Notifications = api.app.state.notifications  # type: ignore[attr-defined]
    build_policy(app, notifications, email_only).catch_up()


def _row(api: TestClient, period: str, number: str) -> dict[str, Any]:
    body = _get(api, "bordereau", period=period).json()
    (row,) = [r for r in body["items"] if r["claim_number"] == number]
    return dict(row)


def test_a_portal_declarations_receipt_dates_acknowledged_on(
    api: TestClient,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
) -> None:
    number = declare_online(api)["claim_number"]
    _request_receipts(api)
    assert _row(api, str(CURRENT), number)["acknowledged_on"] is None  # requested, not sent
    clock = FakeClock()
    clock.now = datetime.now(UTC).replace(microsecond=0)
    assert _sender(api, smtp_server, clock).deliver_pending() == 1
    assert len(smtp_server.handler.messages) == 1
    row = _row(api, str(CURRENT), number)
    assert row["acknowledged_on"] == paris_day(clock.now).isoformat()


def test_a_receipt_recorded_after_the_cut_off_lands_in_the_next_bordereau(
    api: TestClient,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
) -> None:
    declared = PAST.start + timedelta(days=3)
    declarant = {"name": "Jeanne Martin", "email": "jeanne@example.fr"}
    number = Handler(api).declare(**_days(declared), declarant=declarant)["claim_number"]
    _request_receipts(api)
    past_json = _get(api, "bordereau", period=str(PAST)).content
    past_csv = _get(api, "bordereau", period=str(PAST), format="csv").content
    assert _row(api, str(CURRENT), number)["acknowledged_on"] is None
    # Sent on the declaration's day (the sender's clock), recorded now: past the cut-off.
    clock = FakeClock()
    paris_noon = datetime.combine(declared, time(12), tzinfo=ZoneInfo("Europe/Paris"))
    clock.now = paris_noon.astimezone(UTC)
    assert _sender(api, smtp_server, clock).deliver_pending() == 1
    assert _get(api, "bordereau", period=str(PAST)).content == past_json
    assert _get(api, "bordereau", period=str(PAST), format="csv").content == past_csv
    assert _row(api, str(CURRENT), number)["acknowledged_on"] == declared.isoformat()
