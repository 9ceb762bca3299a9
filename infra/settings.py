"""Configuration from the environment (`CLAIMS_*`), validated once at start-up."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.calendar import REGIONS
from domain.plausibility import DEFAULT_HORIZON_DAYS
from infra.files import private_sqlite_file
from infra.notification_settings import NotificationSettings
from projections.store import sqlite_path as sqlite_path  # also offered here, beside the URLs

DEFAULT_DATABASE_URL = "sqlite:///var/claims.db"
MIB = 1024 * 1024
# api.md v2 §1: admin above CA2624's €150,000 per-event cap, so someone can approve anything.
DEFAULT_AUTHORITY_LIMITS = "handler:5000.00,manager:50000.00,admin:200000.00"
_LIMIT = re.compile(r"^([a-z_]+):([0-9]{1,10}(?:\.[0-9]{1,2})?)$")


def parse_authority_limits(text: str) -> dict[str, Decimal]:
    """`role:amount,...` -> {role: amount}; ValueError naming what is wrong."""
    limits: dict[str, Decimal] = {}
    for item in (part.strip() for part in text.split(",")):
        match = _LIMIT.fullmatch(item)
        if match is None:
            msg = "each item is role:amount, e.g. handler:5000.00"
            raise ValueError(msg)
        role, amount = match.groups()
        if role in limits:
            msg = f"{role} is given twice"
            raise ValueError(msg)
        limits[role] = Decimal(amount).quantize(Decimal("0.01"))
    return limits


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class Settings(NotificationSettings, BaseSettings):
    """Every setting of the back office; a bad value stops start-up with its name and what is
    wrong, never the value (it may be a key or hold a password): `hide_input_in_errors`, and
    no validator quotes it. Its repr shows the database URLs with their passwords redacted."""

    model_config = SettingsConfigDict(
        env_prefix="CLAIMS_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    env: Environment = Environment.PROD
    database_url: Annotated[
        str, Field(description="sqlite:///path/to/claims.db or postgresql://user@host:port/db")
    ] = DEFAULT_DATABASE_URL
    calendar_region: str = "metropole"
    log_level: str = "INFO"
    log_json: bool | None = None  # None: JSON unless stderr is a terminal
    api_tokens: Annotated[SecretStr, Field(description="comma-separated token=user_id:role")] = (
        SecretStr("")
    )
    encryption_key: Annotated[
        SecretStr | None,
        Field(description="base64 AES key (16, 24 or 32 bytes): encrypts stored events"),
    ] = None
    search_key: Annotated[
        SecretStr | None,
        Field(
            description="keys the hashes of insured names in the search read model (HMAC-SHA256, "
            "at least 32 characters); unset: names are not searchable (CLAIMS_ENV=dev: a "
            "development key)"
        ),
    ] = None
    require_if_match: bool = False
    authority_limits: Annotated[
        str,
        Field(
            description="role:amount,... the most each role may pay without a manager's "
            "approval, approve, or set as a reserve (a role not listed: 0.00)"
        ),
    ] = DEFAULT_AUTHORITY_LIMITS
    trip_date_horizon_days: Annotated[
        int,
        Field(
            ge=1,
            le=3650,
            description="how many days after today a trip's dates or a view's as_of may lie",
        ),
    ] = DEFAULT_HORIZON_DAYS
    retention_after_prescription: Annotated[
        int,
        Field(
            ge=0,
            le=1200,
            description="months a claim's personal data is kept after the later of its "
            "closure and the end of its prescription, before it is due for erasure",
        ),
    ] = 12
    read_model_url: Annotated[
        str | None,
        Field(
            description="read models' database; default: var/read_models.db beside a SQLite "
            "event store, the event store's database on PostgreSQL"
        ),
    ] = None
    projections: Annotated[
        str,
        Field(
            description="inprocess: `claims serve` runs the projections; off: a "
            "separate `claims project` worker does"
        ),
    ] = "inprocess"
    projection_stall_seconds: Annotated[
        float,
        Field(
            gt=0,
            description="a projection behind its source that has not advanced for this long "
            "is stalled: /readyz answers 503",
        ),
    ] = 60.0

    session_idle_minutes: Annotated[
        int,
        Field(ge=1, le=24 * 60, description="a page session unused for this long ends"),
    ] = 30
    session_max_hours: Annotated[
        int,
        Field(ge=1, le=24 * 30, description="a page session ends this long after its login"),
    ] = 12
    session_secret: Annotated[
        SecretStr | None,
        Field(
            description="signs the pages' CSRF tokens and keys the login throttle (at least 32 "
            "characters); unset: one is generated once and kept in the read-model database"
        ),
    ] = None
    login_max_failures: Annotated[
        int,
        Field(ge=1, le=1000, description="failed logins per client address and window"),
    ] = 10
    login_failure_window_minutes: Annotated[
        int, Field(ge=1, le=24 * 60, description="the window of login_max_failures")
    ] = 15
    forwarded_allow_ips: Annotated[
        str,
        Field(
            description="proxies whose X-Forwarded-For gives the client address (uvicorn's "
            "forwarded_allow_ips: comma-separated addresses or networks, or *); unset: the "
            "header is ignored"
        ),
    ] = ""
    max_body_bytes: Annotated[
        int,
        Field(
            ge=1024,
            description="largest request body accepted (bytes); larger ones get 413 before "
            "they are read",
        ),
    ] = MIB
    max_body_bytes_by_path: Annotated[
        dict[str, Annotated[int, Field(ge=1)]],
        Field(
            description='JSON {"path pattern": bytes}: another limit for the paths a pattern '
            "matches (* matches any characters, / included; the first matching pattern wins), "
            "e.g. for upload routes",
        ),
    ] = {}

    documents_dir: Annotated[
        str | None,
        Field(
            description="folder of the documents' encrypted contents; default: documents/ "
            "beside a SQLite event store (a PostgreSQL store keeps them in its database)"
        ),
    ] = None

    kafka_bootstrap: Annotated[
        str | None, Field(description="host:port of a Kafka broker; unset: no Kafka")
    ] = None
    kafka_topic: str = "claims.events"
    kafka_partitions: Annotated[int, Field(ge=1, le=1000)] = 6
    kafka_exclude_health_data: Annotated[
        bool,
        Field(
            description="deprecated, always on: since claims.event/2 published events carry no "
            "personal or health data whatever its value (docs/adr/0035); accepted and ignored"
        ),
    ] = True

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name in ("database_url", "read_model_url") and isinstance(value, str):
                value = redact_url(value)
            yield name, value

    @field_validator("max_body_bytes_by_path")
    @classmethod
    def _path_patterns(cls, value: dict[str, int]) -> dict[str, int]:
        for pattern in value:
            if not pattern.startswith("/"):
                msg = f"max_body_bytes_by_path: {pattern!r} is not a path pattern (starts with /)"
                raise ValueError(msg)
        return value

    @field_validator("projections")
    @classmethod
    def _projection_mode(cls, value: str) -> str:
        if value not in ("inprocess", "off"):
            msg = "must be inprocess or off"
            raise ValueError(msg)
        return value

    @property
    def resolved_read_model_url(self) -> str:
        if self.read_model_url:
            return self.read_model_url
        if urlsplit(self.database_url).scheme == "sqlite":
            store = Path(sqlite_path(self.database_url))
            return f"sqlite:///{store.with_name(store.stem + '_read_models.db')}"
        return self.database_url

    @field_validator("session_secret", "search_key")
    @classmethod
    def _long_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 32:
            msg = f"{info.field_name} needs at least 32 characters (the value is not shown)"
            raise ValueError(msg)
        return value

    @field_validator("authority_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        parse_authority_limits(value)
        return value

    def authority_limit(self, role: str) -> Decimal:
        """The role's authority limit (CLAIMS_AUTHORITY_LIMITS); 0.00 for a role not listed."""
        return parse_authority_limits(self.authority_limits).get(role, Decimal("0.00"))

    @field_validator("encryption_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        try:
            raw = base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            msg = "must be base64 (the key is not shown)"
            raise ValueError(msg) from None
        if len(raw) not in (16, 24, 32):
            msg = "must decode to 16, 24 or 32 bytes for AES-128/192/256 (the key is not shown)"
            raise ValueError(msg)
        return value

    @field_validator("database_url", "read_model_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_database_url(value)
        return value

    @field_validator("calendar_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in REGIONS:
            msg = f"unknown calendar region; choose one of {', '.join(sorted(REGIONS))}"
            raise ValueError(msg)
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            msg = "unknown log level; choose DEBUG, INFO, WARNING, ERROR or CRITICAL"
            raise ValueError(msg)
        return level


def settings_errors(exc: ValidationError) -> list[str]:
    """One line per bad setting: its variable and what is wrong, never its value."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=True):
        name = "CLAIMS_" + "_".join(str(part) for part in error["loc"]).upper()
        cause = error.get("ctx", {}).get("error")
        message = str(cause) if error["type"] == "value_error" and cause else error["msg"]
        lines.append(f"{name}: {message}")
    return lines


def check_database_url(url: str) -> None:
    """Refuse a database URL we cannot use, without quoting it: libpq's own parse errors echo
    the offending part, which may be the password."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port raises on a bad one
    except ValueError:
        msg = "is not a valid URL (the URL is not shown)"
        raise ValueError(msg) from None
    if parts.scheme == "sqlite":
        if not sqlite_path(url):
            msg = "a sqlite URL needs a file path, e.g. sqlite:///var/claims.db"
            raise ValueError(msg)
    elif parts.scheme in ("postgresql", "postgres"):
        if not parts.path.strip("/"):
            msg = "a postgresql URL needs a database name, e.g. postgresql://u@h:5432/claims"
            raise ValueError(msg)
        try:
            conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
        except psycopg.Error:
            msg = "is not a valid postgresql URL (the URL is not shown)"
            raise ValueError(msg) from None
    else:
        msg = "must start with sqlite:/// or postgresql:// (the URL is not shown)"
        raise ValueError(msg)


def redact_url(url: str) -> str:
    """The URL with its password (in the user part or a `password=` parameter) replaced by
    `***`, for printing and logging."""
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:
        return "(an unparseable URL, not shown)"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not has_password and not any(k.lower() == "password" for k, _ in pairs):
        return url
    netloc = parts.netloc
    if has_password:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:***@{hostport}"
    query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def eventsourcing_env(database_url: str, encryption_key: str | None = None) -> dict[str, str]:
    """Map the database URL (and the encryption key) onto eventsourcing's environment."""
    env = _store_env(database_url)
    # eventsourcing's aggregate cache, fast-forwarded from the store on every get: a command
    # reads only the events since the cached version (and stays correct across nodes).
    env["AGGREGATE_CACHE_MAXSIZE"] = "10000"
    if encryption_key:
        # AES-GCM over every stored event and snapshot (eventsourcing's own cipher).
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = encryption_key
    return env


def _store_env(database_url: str) -> dict[str, str]:
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        path = sqlite_path(database_url)
        private_sqlite_file(path)  # 0600 in a 0700 folder when created here
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.strip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "10",
    }
