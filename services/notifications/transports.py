"""How a message leaves: e-mail over SMTP (smtplib, `email.message`), SMS by an HTTP POST to a
gateway (urllib). A transport raises `DeliveryError` with a reason that names no recipient and
no secret; the sender retries it and reports the last one."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

from infra.notification_settings import NotificationSettings, SmtpSecurity
from services.notifications.render import Message
from services.notifications.service import Recipient


class DeliveryError(Exception):
    """The message was not accepted; `reason` is safe to record (no address, no secret)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    def send(self, recipient: Recipient, message: Message) -> None: ...


class SmtpTransport:
    """One SMTP session per message (a notification is rare; a stale connection is not)."""

    def __init__(self, settings: NotificationSettings) -> None:
        if not settings.smtp_host:
            msg = "CLAIMS_SMTP_HOST is not set"
            raise ValueError(msg)
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.sender = settings.mail_from
        self.timeout = settings.smtp_timeout_seconds
        # Certificates are always verified: the system's CAs, or the relay's own CA file.
        self.context = ssl.create_default_context(cafile=settings.smtp_ca_file)

    def _message(self, recipient: Recipient, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = formataddr((recipient.name, recipient.address))
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, recipient: Recipient, message: Message) -> None:
        mail = self._message(recipient, message)
        try:
            if self.security == SmtpSecurity.TLS:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self.context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == SmtpSecurity.STARTTLS:
                    client.starttls(context=self.context)
                if self.username and self.password is not None:
                    client.login(self.username, self.password.get_secret_value())
                client.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise DeliveryError(f"smtp recipient refused {codes}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp {type(exc).__name__}") from None


class SmsGateway:
    """POSTs `{"to", "text"}` as JSON to the gateway, with its bearer token."""

    def __init__(self, settings: NotificationSettings, *, timeout: float = 30.0) -> None:
        if not settings.sms_gateway_url:
            msg = "CLAIMS_SMS_GATEWAY_URL is not set"
            raise ValueError(msg)
        self.url = settings.sms_gateway_url
        self.token = settings.sms_gateway_token
        self.timeout = timeout

    def send(self, recipient: Recipient, message: Message) -> None:
        body = json.dumps({"to": recipient.address, "text": message.sms}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if self.token is not None:
            request.add_header("Authorization", f"Bearer {self.token.get_secret_value()}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"sms gateway {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"sms gateway {type(exc).__name__}") from None
