"""Page sessions, their CSRF tokens and the login throttle, kept in the read-model database.

A login opens a session: an opaque random id in an HttpOnly, SameSite=Strict cookie (Secure,
and named `__Host-...`, unless CLAIMS_ENV=dev), never the API token. The table `page_sessions`
holds only the id's SHA-256 digest, the user, the role and the UTC times of the login and of the
last request, so every server process on the database sees the session and a read of the table
gives no live one. A session ends at logout (POST), after CLAIMS_SESSION_IDLE_MINUTES without a
request (up to a minute early: the last request is written at most once a minute) or
CLAIMS_SESSION_MAX_HOURS after its login, whichever comes first.

Every POST form carries a CSRF token signed with itsdangerous under the session secret and
bound to the session (logout) or to a pre-session cookie (login); a POST must also come from
this site (Origin, else Referer, naming the request's own host). Failed logins are counted per
client address (a keyed digest of it, never the address) in `login_failures`; past
CLAIMS_LOGIN_MAX_FAILURES within CLAIMS_LOGIN_FAILURE_WINDOW_MINUTES the login answers 429 with
Retry-After. See docs/adr/0018-page-sessions.md.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from infra.settings import Environment, Settings
from projections.store import ReadStore, Tx
from services.http.auth import Principal, Role

Clock = Callable[[], datetime]
FORM = "application/x-www-form-urlencoded"
TOUCH_EVERY = timedelta(minutes=1)  # a session's last request is written at most this often
LOGIN_FORM_SECONDS = 2 * 3600  # how long a login form (and its pre-session cookie) is good for
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: the stamps compare as text on both databases
_RANDOM_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_GENERATED = "session"  # page_secrets.name of the generated key

DDL = (
    "CREATE TABLE IF NOT EXISTS page_sessions (id_digest TEXT NOT NULL PRIMARY KEY, "
    "user_id TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL, "
    "last_seen_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_page_sessions_created_at ON page_sessions (created_at)",
    "CREATE INDEX IF NOT EXISTS ix_page_sessions_last_seen_at ON page_sessions (last_seen_at)",
    "CREATE TABLE IF NOT EXISTS login_clients (client TEXT NOT NULL PRIMARY KEY, "
    "attempted_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_login_clients_attempted_at ON login_clients (attempted_at)",
    "CREATE TABLE IF NOT EXISTS login_failures (client TEXT NOT NULL, failed_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_login_failures_client ON login_failures (client, failed_at)",
    "CREATE INDEX IF NOT EXISTS ix_login_failures_failed_at ON login_failures (failed_at)",
    "CREATE TABLE IF NOT EXISTS page_secrets (name TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


def _moment(stamp: str) -> datetime:
    return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_random_id() -> str:
    return secrets.token_urlsafe(32)


def well_formed(random_id: str) -> bool:
    return bool(_RANDOM_ID.match(random_id))


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta
    max_failures: int
    failure_window: timedelta
    secure: bool  # cookies marked Secure (and named __Host-...)

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_max_hours),
            max_failures=settings.login_max_failures,
            failure_window=timedelta(minutes=settings.login_failure_window_minutes),
            secure=settings.env != Environment.DEV,
        )


@dataclass(frozen=True)
class Throttled:
    """Too many failed logins from this client: try again in `retry_after` seconds."""

    retry_after: int


class PageSessions:
    """The sessions, CSRF tokens and login throttle of the pages, over the read store."""

    def __init__(
        self,
        store: ReadStore,
        policy: SessionPolicy,
        *,
        secret: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self._given_secret = secret
        self._key = b""
        self._serializer: URLSafeTimedSerializer | None = None
        prefix = "__Host-" if policy.secure else ""
        self.session_cookie = f"{prefix}claims_session"
        self.login_cookie = f"{prefix}claims_login"

    @classmethod
    def from_settings(
        cls, settings: Settings, store: ReadStore, clock: Clock = utc_now
    ) -> PageSessions:
        secret = settings.session_secret.get_secret_value() if settings.session_secret else None
        sessions = cls(store, SessionPolicy.from_settings(settings), secret=secret, clock=clock)
        sessions.setup()
        return sessions

    def setup(self) -> None:
        """Create the tables, and take the secret: the configured one, else the one kept in
        the store (generated by the first process to start, then shared by all)."""
        with self.store.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)
            secret = self._given_secret or self._kept_secret(tx)
        self._key = hashlib.sha256(b"login-throttle:" + secret.encode("utf-8")).digest()
        self._serializer = URLSafeTimedSerializer(secret, salt="claims-pages-csrf")

    @staticmethod
    def _kept_secret(tx: Tx) -> str:
        tx.execute(
            "INSERT INTO page_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (_GENERATED, secrets.token_urlsafe(48)),
        )
        return str(tx.query("SELECT value FROM page_secrets WHERE name = ?", (_GENERATED,))[0][0])

    # ------------------------------------------------------------------ sessions

    def open(self, principal: Principal) -> str:
        """A new session for `principal`; returns its id (for the cookie only)."""
        session_id = new_random_id()
        now = _stamp(self.clock())
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO page_sessions (id_digest, user_id, role, created_at, last_seen_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (_digest(session_id), principal.user_id, principal.role.value, now, now),
            )
        return session_id

    def find(self, session_id: str) -> Principal | None:
        """Who the session belongs to, or None if there is no such live session (an expired
        one is deleted). Notes the request time, at most once a minute."""
        if not well_formed(session_id):
            return None
        key = _digest(session_id)
        now = self.clock()
        rows = self.store.query(
            "SELECT user_id, role, created_at, last_seen_at FROM page_sessions WHERE id_digest = ?",
            (key,),
        )
        if not rows:
            return None
        user_id, role, created_at, last_seen_at = rows[0]
        created, last_seen = _moment(created_at), _moment(last_seen_at)
        if now - last_seen >= self.policy.idle or now - created >= self.policy.absolute:
            self._delete(key)
            return None
        if now - last_seen >= TOUCH_EVERY:
            with self.store.transaction() as tx:
                tx.execute(
                    "UPDATE page_sessions SET last_seen_at = ? "
                    "WHERE id_digest = ? AND last_seen_at < ?",
                    (_stamp(now), key, _stamp(now)),
                )
        try:
            return Principal(str(user_id), Role(role))
        except ValueError:
            return None

    def end(self, session_id: str) -> None:
        """Logout: the session is gone for every process."""
        if well_formed(session_id):
            self._delete(_digest(session_id))

    def _delete(self, key: str) -> None:
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM page_sessions WHERE id_digest = ?", (key,))

    def purge(self) -> None:
        """Forget expired sessions and failures older than the window."""
        now = self.clock()
        failures_before = _stamp(now - self.policy.failure_window)
        with self.store.transaction() as tx:
            tx.execute(
                "DELETE FROM page_sessions WHERE last_seen_at <= ? OR created_at <= ?",
                (_stamp(now - self.policy.idle), _stamp(now - self.policy.absolute)),
            )
            tx.execute("DELETE FROM login_failures WHERE failed_at <= ?", (failures_before,))
            tx.execute("DELETE FROM login_clients WHERE attempted_at <= ?", (failures_before,))

    # ------------------------------------------------------------------ CSRF

    def csrf_token(self, binding: str, purpose: str) -> str:
        """A token for a form, bound to `binding` (a session id or a pre-session value),
        signed and timestamped by itsdangerous; it carries only a digest of the binding."""
        assert self._serializer is not None, "setup() first"
        return str(self._serializer.dumps(_digest(binding), salt=purpose))

    def csrf_valid(self, token: str, binding: str, purpose: str, max_age: int) -> bool:
        assert self._serializer is not None, "setup() first"
        try:
            bound = self._serializer.loads(token, salt=purpose, max_age=max_age)
        except BadSignature:  # also an expired one (SignatureExpired)
            return False
        return isinstance(bound, str) and hmac.compare_digest(bound, _digest(binding))

    # ------------------------------------------------------------------ login throttle

    def client_key(self, address: str) -> str:
        """The throttle's key for a client address: a keyed digest (no address is stored),
        of the /64 network for IPv6 (one host holds a whole /64)."""
        return hmac.new(self._key, _network(address).encode("utf-8"), hashlib.sha256).hexdigest()

    def throttled_login(
        self, address: str, authenticate: Callable[[], Principal | None]
    ) -> Principal | Throttled | None:
        """`authenticate()` unless the client has failed too often within the window; a
        failure (None) is counted. One attempt per client at a time in every process: the
        upsert locks the client's row on PostgreSQL, and a write transaction the whole
        database on SQLite, so parallel guesses cannot slip past the count."""
        self.purge()
        client = self.client_key(address)
        now = self.clock()
        window = self.policy.failure_window
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO login_clients (client, attempted_at) VALUES (?, ?) "
                "ON CONFLICT (client) DO UPDATE SET attempted_at = excluded.attempted_at",
                (client, _stamp(now)),
            )
            failures = [
                str(row[0])
                for row in tx.query(
                    "SELECT failed_at FROM login_failures WHERE client = ? AND failed_at > ? "
                    "ORDER BY failed_at",
                    (client, _stamp(now - window)),
                )
            ]
            if len(failures) >= self.policy.max_failures:
                # Free again when enough of them have left the window.
                freed = _moment(failures[len(failures) - self.policy.max_failures]) + window
                return Throttled(max(1, math.ceil((freed - now).total_seconds())))
            principal = authenticate()
            if principal is None:
                tx.execute(
                    "INSERT INTO login_failures (client, failed_at) VALUES (?, ?)",
                    (client, _stamp(now)),
                )
            return principal


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


# ---------------------------------------------------------------------- request helpers


def form_media_type(request: Request) -> bool:
    """True when the body is `application/x-www-form-urlencoded` (any charset parameter)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == FORM


def same_origin(request: Request) -> bool:
    """True when the request says it comes from a page of this site: its Origin, else its
    Referer, names the request's own host (and port). Browsers send Origin with every form
    POST; a request with neither is refused. Under the pages' `Referrer-Policy: no-referrer`
    a browser sends `Origin: null` even for a form of this site: that counts only with the
    browser's own `Sec-Fetch-Site: same-origin`, a header no page can set."""
    host = request.headers.get("host", "").strip().lower()
    origin = request.headers.get("origin", "").strip()
    if origin == "null":
        return request.headers.get("sec-fetch-site", "").strip().lower() == "same-origin"
    source = origin or request.headers.get("referer")
    if not host or not source:
        return False
    parts = urlsplit(source.strip())
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host


def parse_form(body: bytes) -> dict[str, str]:
    """The first value of each field of a urlencoded form (a malformed one: no fields)."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items()}


def client_address(request: Request) -> str:
    """The peer's address as the server sees it (X-Forwarded-For counts only from the
    proxies of CLAIMS_FORWARDED_ALLOW_IPS, which `claims serve` hands to uvicorn)."""
    return request.client.host if request.client else "unknown"
