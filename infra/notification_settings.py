"""The notification sender's settings (`claims notify`), part of `Settings`: the SMTP relay,
the SMS gateway and the Kafka topic (docs/adr/0034-notifications.md). Passwords and tokens are
`SecretStr`: never in a repr, an error or a log line."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings


class SmtpSecurity(StrEnum):
    NONE = "none"  # a relay on the loopback or a private network only
    STARTTLS = "starttls"
    TLS = "tls"


class NotificationSettings(BaseSettings):
    smtp_host: Annotated[
        str | None, Field(description="SMTP relay of the notification e-mails; unset: no e-mail")
    ] = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_security: Annotated[
        SmtpSecurity, Field(description="starttls (default), tls (implicit, port 465) or none")
    ] = SmtpSecurity.STARTTLS
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: Annotated[
        str | None,
        Field(description="PEM file of the CA that signed a private relay's certificate"),
    ] = None
    smtp_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 30.0
    mail_from: Annotated[str, Field(description="the notification e-mails' sender address")] = (
        "sinistres@example.invalid"
    )
    sms_gateway_url: Annotated[
        str | None,
        Field(description="https URL the SMS are POSTed to ({to, text} as JSON); unset: no SMS"),
    ] = None
    sms_gateway_token: Annotated[
        SecretStr | None, Field(description="bearer token of the SMS gateway")
    ] = None
    notifications_topic: str = "claims.notifications"
    notifier_token: Annotated[
        SecretStr | None,
        Field(description="a notifier token of CLAIMS_API_TOKENS: `claims notify --report-to`"),
    ] = None
    notify_attempts: Annotated[
        int, Field(ge=1, le=20, description="delivery attempts before a failure is reported")
    ] = 4
    notify_backoff_seconds: Annotated[
        float, Field(ge=0, le=60, description="pause after the first failed attempt, doubled")
    ] = 1.0

    @field_validator("sms_gateway_url")
    @classmethod
    def _gateway_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = "must be an http(s) URL (the URL is not shown)"
            raise ValueError(msg)
        return value
