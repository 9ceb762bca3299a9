"""Notifications over a real store (SQLite and PostgreSQL), a real SMTP server (aiosmtpd) and
a local SMS gateway (http.server), all in-process."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from domain.claim import Claim
from domain.notification import Channel
from infra.field_cipher import FieldCipher
from infra.settings import Settings
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.notifications.policy import NotificationPolicy
from services.notifications.service import Notifications, Recipient
from services.notifications.wiring import build_notifications, build_policy
from tests.support import free_port

EMAIL = Recipient("Jeanne Martin", "jeanne.martin@example.org")
MOBILE = Recipient("Jeanne Martin", "+33612345678")


def both_channels(_claim: Claim) -> Sequence[tuple[Channel, Recipient]]:
    """The recipient look-up the tests give the policy: every claim's declarant is Jeanne."""
    return [(Channel.EMAIL, EMAIL), (Channel.SMS, MOBILE)]


def email_only(_claim: Claim) -> Sequence[tuple[Channel, Recipient]]:
    return [(Channel.EMAIL, EMAIL)]


@pytest.fixture
def read_store(database_url: str) -> Iterator[ReadStore]:
    store = ReadStore(Settings(database_url=database_url).resolved_read_model_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def notifications(app: ClaimsApplication, read_store: ReadStore) -> Notifications:
    return build_notifications(app, read_store, FieldCipher(None, purpose="notification"))


@pytest.fixture
def policy(app: ClaimsApplication, notifications: Notifications) -> NotificationPolicy:
    return build_policy(app, notifications, both_channels)


class _Handler:
    """aiosmtpd handler: keeps each message, or refuses every one while `refuse` is set."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0  # how many messages to refuse before accepting

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, _server: SMTP, _session: Session, envelope: Envelope
    ) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=email_policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: _Handler

    def text_of(self, message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = _Handler()
    # The test server's own session log quotes the addresses; ours is what the tests scan.
    logging.getLogger("mail.log").disabled = True
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


@dataclass
class SmsGatewayServer:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def sms_gateway() -> Iterator[SmsGatewayServer]:
    port = free_port()
    gateway = SmsGatewayServer(f"http://127.0.0.1:{port}/sms")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            gateway.received.append(json.loads(self.rfile.read(length)))
            gateway.headers.append(dict(self.headers))
            self.send_response(gateway.status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class MemoryOutbox:
    """The access-code outbox's interface, in memory."""

    def __init__(self) -> None:
        self.codes: dict[tuple[UUID, str], str] = {}

    def put(self, claim_id: UUID, code_hash: str, code: str) -> None:
        self.codes[(claim_id, code_hash)] = code

    def get(self, claim_id: UUID, code_hash: str) -> str | None:
        return self.codes.get((claim_id, code_hash))

    def remove(self, claim_id: UUID, code_hash: str) -> None:
        self.codes.pop((claim_id, code_hash), None)
