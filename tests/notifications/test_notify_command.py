"""`claims notify`: one pass from the store to a real SMTP server; reports through the API."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from uuid import UUID

import pytest
import uvicorn
from pydantic import SecretStr

from domain.notification import Channel, NotificationState, Template
from infra.settings import Settings
from services.application import ClaimsApplication
from services.cli import main
from services.http.app import create_app
from services.notifications.sender import HttpReporter
from services.notifications.service import Notifications
from services.notifications.wiring import build_sender
from tests.domain.gwt import declaration
from tests.notifications.support import EMAIL, FakeClock, SmtpServer, email_only
from tests.services.conftest import TOKEN_SPEC, TOKENS
from tests.support import free_port

SMTP_SECRET = "smtp-password-never-shown-42"


def request_one(app: ClaimsApplication, notifications: Notifications) -> tuple[UUID, str]:
    claim = app.declare(declaration(), by="handler-1")
    nid, _ = notifications.request(
        template=Template.DECISION,
        channel=Channel.EMAIL,
        recipient=EMAIL,
        params={"claim_number": claim.claim_number, "decision": "accepted", "amount": "550.00"},
        trigger=f"{claim.id}:4",
        trigger_type="Accepted",
        claim_id=claim.id,
    )
    return nid, claim.claim_number


def test_claims_notify_once_sends_from_the_store_and_records_it(
    app: ClaimsApplication,
    notifications: Notifications,
    smtp_server: SmtpServer,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    nid, number = request_one(app, notifications)
    for name, value in {
        "CLAIMS_DATABASE_URL": database_url,
        "CLAIMS_SMTP_HOST": smtp_server.host,
        "CLAIMS_SMTP_PORT": str(smtp_server.port),
        "CLAIMS_SMTP_SECURITY": "none",
        "CLAIMS_SMTP_PASSWORD": SMTP_SECRET,  # no username: no login
        "CLAIMS_MAIL_FROM": "sinistres@example.org",
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["notify", "--once", "--as-of", "2026-03-20"]) == 0

    (mail,) = smtp_server.handler.messages
    assert mail["From"] == "sinistres@example.org"
    text = smtp_server.text_of(mail)
    assert number in text
    assert "550,00" in text
    assert notifications.get(nid).state == NotificationState.SENT
    output = capsys.readouterr()
    assert SMTP_SECRET not in output.out + output.err
    assert EMAIL.address not in output.out + output.err  # no personal data in the logs


@pytest.fixture
def live_api(database_url: str) -> Iterator[str]:
    port = free_port()
    http_app = create_app(Settings(database_url=database_url, api_tokens=SecretStr(TOKEN_SPEC)))
    server = uvicorn.Server(
        uvicorn.Config(http_app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_the_sender_reports_through_the_api_as_the_notifier(
    app: ClaimsApplication,
    notifications: Notifications,
    smtp_server: SmtpServer,
    live_api: str,
) -> None:
    nid, _ = request_one(app, notifications)
    settings = Settings(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none"
    )
    sender = build_sender(
        settings,
        notifications,
        HttpReporter(live_api, TOKENS["notifier"]),
        recipients=email_only,
        clock=FakeClock(),
    )
    assert sender.deliver_pending() == 1
    assert notifications.get(nid).state == NotificationState.SENT
    assert len(smtp_server.handler.messages) == 1
    # Reported already: a second pass finds nothing to send.
    assert sender.deliver_pending() == 0
