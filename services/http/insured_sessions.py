"""The insured's sessions and their log-in throttle (api.md v2 §3; docs/adr/0033-insured-access.md).

A log-in with the claim number, the trip's start and the access code opens a session for that
claim only, for 30 minutes. The token is signed with itsdangerous (URLSafeTimedSerializer, a
salt of its own) over a random session id, so that the request guard tells a live-looking token
from garbage without the database (docs/adr/0022: nothing of the body is read before). The
session's row (the id's SHA-256, the claim, the hash of the code it was opened with, UTC times)
is what makes it valid: a new access code or an erasure ends it, in every process.

Failed log-ins are counted in a store table shared by all processes, per claim number and per
client address (keyed digests of both, never the values); at 5 within 15 minutes, whichever key
reaches it first, the log-in answers 429 with Retry-After, even with the right code. As for the
pages (docs/adr/0018), one attempt per key at a time: the attempt upserts the keys' rows, which
locks them on PostgreSQL (SQLite's write lock does the same), so parallel guesses cannot slip
past the count.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from itsdangerous import BadSignature, URLSafeTimedSerializer

from projections.store import ReadStore
from services.http.sessions import _network

Clock = Callable[[], datetime]
SESSION_MINUTES = 30
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: the stamps compare as text on both databases
_SALT = "claims-insured-session"
_SECRET_NAME = "insured-session"  # noqa: S105 - the row's name, not a secret

DDL = (
    "CREATE TABLE IF NOT EXISTS insured_sessions (id_digest TEXT NOT NULL PRIMARY KEY, "
    "claim_id TEXT NOT NULL, code_hash TEXT NOT NULL, created_at TEXT NOT NULL, "
    "expires_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_insured_sessions_claim ON insured_sessions (claim_id)",
    "CREATE INDEX IF NOT EXISTS ix_insured_sessions_expires ON insured_sessions (expires_at)",
    "CREATE TABLE IF NOT EXISTS insured_login_keys (login_key TEXT NOT NULL PRIMARY KEY, "
    "attempted_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS insured_login_failures (login_key TEXT NOT NULL, "
    "failed_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_insured_login_failures ON insured_login_failures "
    "(login_key, failed_at)",
    "CREATE TABLE IF NOT EXISTS private_secrets (name TEXT NOT NULL PRIMARY KEY, "
    "value TEXT NOT NULL)",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


def _moment(stamp: str) -> datetime:
    return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class InsuredSession:
    """A live session: the claim it opens, and the hash of the code it was opened with."""

    claim_id: UUID
    code_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class OpenedSession:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class TooManyAttempts:
    """Too many failed log-ins for this claim number or from this client."""

    retry_after: int


class InsuredSessions:
    """Sessions, tokens and the log-in throttle of the insured, over the private store."""

    def __init__(self, store: ReadStore, *, secret: str | None = None, clock: Clock = utc_now):
        self.store = store
        self.clock = clock
        self._given_secret = secret
        self._key = b""
        self._serializer: URLSafeTimedSerializer | None = None

    def setup(self) -> None:
        with self.store.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)
            secret = self._given_secret
            if secret is None:
                tx.execute(
                    "INSERT INTO private_secrets (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (_SECRET_NAME, secrets.token_urlsafe(48)),
                )
                rows = tx.query("SELECT value FROM private_secrets WHERE name = ?", (_SECRET_NAME,))
                secret = str(rows[0][0])
        self._key = hashlib.sha256(b"insured-login-throttle:" + secret.encode()).digest()
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)

    # ------------------------------------------------------------------ tokens

    def _signed(self, session_id: str) -> str:
        assert self._serializer is not None, "setup() first"
        return str(self._serializer.dumps(session_id))

    def session_id_of(self, token: str) -> str | None:
        """The session id a token carries, if its signature holds and it is under 30 minutes
        old (no database read: the request guard calls this)."""
        if self._serializer is None or not token or len(token) > 512:
            return None
        try:
            session_id = self._serializer.loads(token, max_age=SESSION_MINUTES * 60)
        except BadSignature:  # also an expired one (SignatureExpired)
            return None
        return session_id if isinstance(session_id, str) else None

    def find(self, token: str) -> InsuredSession | None:
        """The live session of a token, or None (bad signature, expired, ended)."""
        session_id = self.session_id_of(token)
        if session_id is None:
            return None
        rows = self.store.query(
            "SELECT claim_id, code_hash, expires_at FROM insured_sessions WHERE id_digest = ?",
            (_digest(session_id),),
        )
        if not rows:
            return None
        claim_id, code_hash, expires_at = rows[0]
        expires = _moment(str(expires_at))
        if self.clock() >= expires:
            return None
        return InsuredSession(UUID(str(claim_id)), str(code_hash), expires)

    def end(self, token: str) -> None:
        """Log out: the token's session is gone for every process."""
        session_id = self.session_id_of(token)
        if session_id is not None:
            with self.store.transaction() as tx:
                tx.execute(
                    "DELETE FROM insured_sessions WHERE id_digest = ?", (_digest(session_id),)
                )

    def end_all(self, claim_id: UUID) -> None:
        """End every session of the claim (a new access code, an erasure)."""
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM insured_sessions WHERE claim_id = ?", (str(claim_id),))

    # ------------------------------------------------------------------ log-in

    def _login_key(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def log_in(
        self,
        *,
        claim_number: str,
        address: str,
        authenticate: Callable[[], tuple[UUID, str] | None],
    ) -> OpenedSession | TooManyAttempts | None:
        """`authenticate()` (the claim's id and current code hash, or None) unless the claim
        number or the client has failed too often in the window; a failure is counted for
        both. On success a session is opened for the claim."""
        now = self.clock()
        keys = sorted(
            {
                self._login_key("claim", claim_number.strip().upper()),
                self._login_key("client", _network(address)),
            }
        )
        with self.store.transaction() as tx:
            tx.execute(
                "DELETE FROM insured_login_failures WHERE failed_at <= ?",
                (_stamp(now - FAILURE_WINDOW),),
            )
            tx.execute("DELETE FROM insured_sessions WHERE expires_at <= ?", (_stamp(now),))
            for key in keys:  # in a fixed order: two attempts never lock each other
                tx.execute(
                    "INSERT INTO insured_login_keys (login_key, attempted_at) VALUES (?, ?) "
                    "ON CONFLICT (login_key) DO UPDATE SET attempted_at = excluded.attempted_at",
                    (key, _stamp(now)),
                )
            retry_after = 0
            for key in keys:
                failures = [
                    _moment(str(row[0]))
                    for row in tx.query(
                        "SELECT failed_at FROM insured_login_failures "
                        "WHERE login_key = ? AND failed_at > ? ORDER BY failed_at",
                        (key, _stamp(now - FAILURE_WINDOW)),
                    )
                ]
                if len(failures) >= MAX_FAILURES:
                    freed = failures[len(failures) - MAX_FAILURES] + FAILURE_WINDOW
                    retry_after = max(retry_after, math.ceil((freed - now).total_seconds()))
            if retry_after:
                return TooManyAttempts(max(1, retry_after))
            found = authenticate()
            if found is None:
                tx.executemany(
                    "INSERT INTO insured_login_failures (login_key, failed_at) VALUES (?, ?)",
                    [(key, _stamp(now)) for key in keys],
                )
                return None
            claim_id, code_hash = found
            session_id = secrets.token_urlsafe(32)
            expires = now + timedelta(minutes=SESSION_MINUTES)
            tx.execute(
                "INSERT INTO insured_sessions (id_digest, claim_id, code_hash, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (_digest(session_id), str(claim_id), code_hash, _stamp(now), _stamp(expires)),
            )
        return OpenedSession(self._signed(session_id), expires)
