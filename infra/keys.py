"""Data keys per person and per claim, for crypto-shredding (docs/adr/0036-per-person-keys.md).

Each key is 256 random bits, kept wrapped (AES-GCM, `infra/field_cipher.py`) by a key derived
from the master key `CLAIMS_ENCRYPTION_KEY`, in its own table `data_keys` of the store's
database (SQLite or PostgreSQL), never in an event. The wrapped value is bound to its key id
(the AAD), so a row copied onto another id does not open. `destroy` overwrites the wrapped
key with NULL and keeps the row as a tombstone (when, and that the id may not be reused):
what was sealed with it can never be read again, and reading it gives `[erased]`, not an
error. Unwrapped keys are cached in memory for `ttl` seconds (a destroyed key is dropped from
this process's cache at once; another process drops it within `ttl`).

`PersonalDataCipher` seals a text field with a given key id (`k1:<key id>:<sealed>`) and opens
it to the text or to `[erased]`; values sealed before, with the application-wide field key
(`v1:...`, the IBANs of docs/adr/0027), still open through that key.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import psycopg

from infra.field_cipher import PREFIX, FieldCipher, FieldCipherError
from infra.files import private_sqlite_file

ERASED = "[erased]"
KEYED_PREFIX = "k1:"
KEY_BYTES = 32
_WRAP_PURPOSE = "data-key"
_DDL = (
    "CREATE TABLE IF NOT EXISTS data_keys ("
    "key_id TEXT PRIMARY KEY, wrapped TEXT, created_at TEXT NOT NULL, destroyed_at TEXT)"
)
# Which claim a key belongs to (the erasure finds a subject's claim here, on the write side).
_OWNERS_DDL = (
    "CREATE TABLE IF NOT EXISTS data_key_owners (key_id TEXT PRIMARY KEY, owner TEXT NOT NULL)"
)
KeyState = Literal["active", "destroyed"]


class UnknownKeyError(LookupError):
    """No key was ever created under this id (a bug, not an erasure)."""


class KeyErasedError(LookupError):
    """The key was destroyed: nothing can be sealed with it any more."""


class KeyExistsError(ValueError):
    """A key (live or destroyed) already has this id: ids are never reused."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Database:
    """One connection to the store's database; every call is one committed statement set."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.postgres = parts.scheme in ("postgresql", "postgres")
        self.url = url.replace("postgres://", "postgresql://", 1)
        self._path = unquote(parts.netloc + parts.path)[1:] if not self.postgres else ""
        self._connection: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        connection = self._connection
        if connection is not None and self.postgres and (connection.closed or connection.broken):
            connection = None
        if connection is None:
            if self.postgres:
                connection = psycopg.connect(self.url, autocommit=True)
            else:
                private_sqlite_file(self._path)  # docs/adr/0021: the store's file is 0600
                connection = sqlite3.connect(
                    self._path, timeout=30, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA journal_mode=WAL")
                # A destroyed key's bytes are overwritten in the file, not only unlinked.
                connection.execute("PRAGMA secure_delete=ON")
            self._connection = connection
        return connection

    @contextmanager
    def cursor(self) -> Iterator[_Cursor]:
        """A transaction (synchronous commit: a key must outlive the events sealed with it)."""
        with self._lock:
            connection = self._connect()
            if self.postgres:
                with connection.transaction(), connection.cursor() as cursor:
                    yield _Cursor(cursor, postgres=True)
                return
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield _Cursor(cursor, postgres=False)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            else:
                cursor.execute("COMMIT")
            finally:
                cursor.close()

    def checkpoint(self) -> None:
        """SQLite: move the WAL into the file and truncate it (the old page leaves the log)."""
        if not self.postgres:
            with self._lock:
                self._connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class _Cursor:
    def __init__(self, cursor: Any, *, postgres: bool) -> None:
        self._cursor, self._postgres = cursor, postgres

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        self._cursor.execute(sql.replace("?", "%s") if self._postgres else sql, params)
        return int(self._cursor.rowcount)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        self.execute(sql, params)
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None


class KeyStore:
    """Data keys by id ("subject:<subject id>", "claim:<claim id>": the caller's naming)."""

    def __init__(
        self,
        database_url: str,
        encryption_key: str | None,
        *,
        ttl: float = 60.0,
        clock: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = _Database(database_url)
        self._wrapper = FieldCipher.from_encryption_key(encryption_key, purpose=_WRAP_PURPOSE)
        self.ttl = ttl
        self._clock = clock
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        self._cache_lock = threading.Lock()
        self._unknown: dict[str, float] = {}  # ids without a key, until (monotonic)
        with self._db.cursor() as cursor:
            cursor.execute(_DDL)
            cursor.execute(_OWNERS_DDL)

    def create(self, key_id: str) -> None:
        """A new random key under `key_id`; KeyExistsError if the id was ever used."""
        if not self._insert(key_id):
            raise KeyExistsError(key_id)

    def ensure(self, key_id: str, *, owner: str | None = None) -> KeyState:
        """Create the key unless the id exists; its state (an erased id stays erased).
        `owner` (a claim id) is recorded the first time it is given."""
        self._insert(key_id, owner)
        state = self.state(key_id)
        assert state is not None  # inserted, or there already
        return state

    def _insert(self, key_id: str, owner: str | None = None) -> bool:
        key = os.urandom(KEY_BYTES)
        wrapped = self._wrapper.seal(base64.b64encode(key).decode("ascii"), context=key_id)
        with self._db.cursor() as cursor:
            inserted = cursor.execute(
                "INSERT INTO data_keys (key_id, wrapped, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key_id) DO NOTHING",
                (key_id, wrapped, self._clock().isoformat()),
            )
            if owner is not None:
                cursor.execute(
                    "INSERT INTO data_key_owners (key_id, owner) VALUES (?, ?) "
                    "ON CONFLICT (key_id) DO NOTHING",
                    (key_id, owner),
                )
        with self._cache_lock:
            self._unknown.pop(key_id, None)
        if inserted:
            self._remember(key_id, key)
        return inserted > 0

    def state(self, key_id: str) -> KeyState | None:
        """'active', 'destroyed', or None if no key was ever created under this id."""
        with self._db.cursor() as cursor:
            row = cursor.one("SELECT wrapped FROM data_keys WHERE key_id = ?", (key_id,))
        if row is None:
            return None
        return "active" if row[0] is not None else "destroyed"

    def owner(self, key_id: str) -> str | None:
        """The owner recorded with the key (a claim id), or None."""
        with self._db.cursor() as cursor:
            row = cursor.one("SELECT owner FROM data_key_owners WHERE key_id = ?", (key_id,))
        return None if row is None else str(row[0])

    def is_destroyed(self, key_id: str) -> bool:
        """Whether the key was destroyed (False for an id never used: a claim stored before
        the keys). Cached like the keys, an unknown id for `ttl` too."""
        with self._cache_lock:
            unknown_until = self._unknown.get(key_id)
        if unknown_until is not None and unknown_until > self._monotonic():
            return False
        try:
            return self.key(key_id) is None
        except UnknownKeyError:
            with self._cache_lock:
                self._unknown[key_id] = self._monotonic() + self.ttl
            return False

    def key(self, key_id: str) -> bytes | None:
        """The unwrapped key, or None once destroyed; UnknownKeyError if never created."""
        with self._cache_lock:
            cached = self._cache.get(key_id)
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        with self._db.cursor() as cursor:
            row = cursor.one("SELECT wrapped FROM data_keys WHERE key_id = ?", (key_id,))
        if row is None:
            raise UnknownKeyError(key_id)
        key = None
        if row[0] is not None:
            key = base64.b64decode(self._wrapper.open(str(row[0]), context=key_id))
        self._remember(key_id, key)
        return key

    def destroy(self, key_id: str) -> bool:
        """Crypto-shred: the wrapped key is overwritten, the row kept as a tombstone. True if
        this call destroyed it, False if it already was; UnknownKeyError if never created."""
        with self._db.cursor() as cursor:
            destroyed = cursor.execute(
                "UPDATE data_keys SET wrapped = NULL, destroyed_at = ? "
                "WHERE key_id = ? AND wrapped IS NOT NULL",
                (self._clock().isoformat(), key_id),
            )
            known = destroyed or cursor.one("SELECT 1 FROM data_keys WHERE key_id = ?", (key_id,))
        if not known:
            raise UnknownKeyError(key_id)
        with self._cache_lock:
            self._cache[key_id] = (float("inf"), None)  # destroyed is for ever
            self._unknown.pop(key_id, None)
        if destroyed:
            self._db.checkpoint()
        return destroyed > 0

    def forget(self, key_id: str) -> None:
        """Drop the key from this process's cache (it is read again from the table): another
        process may have destroyed it since."""
        with self._cache_lock:
            cached = self._cache.get(key_id)
            if cached is not None and cached[1] is not None:
                del self._cache[key_id]
            self._unknown.pop(key_id, None)

    def _remember(self, key_id: str, key: bytes | None) -> None:
        expires = float("inf") if key is None else self._monotonic() + self.ttl
        with self._cache_lock:
            self._cache[key_id] = (expires, key)

    def close(self) -> None:
        self._db.close()


class PersonalDataCipher:
    """Seals a field with a data key of the store; opens it to the text or to `[erased]`."""

    def __init__(self, keys: KeyStore, *, legacy: FieldCipher | None = None) -> None:
        self.keys = keys
        self.legacy = legacy

    def seal(self, value: str, *, key_id: str, purpose: str) -> str:
        key = self.keys.key(key_id)
        if key is None:
            raise KeyErasedError(key_id)
        inner = FieldCipher.with_data_key(key, purpose=purpose).seal(value, context=key_id)
        return f"{KEYED_PREFIX}{key_id}:{inner.removeprefix(PREFIX)}"

    @staticmethod
    def key_id(sealed: str) -> str | None:
        """The key a value is sealed with (None for a value of the application-wide key)."""
        if not sealed.startswith(KEYED_PREFIX):
            return None
        return sealed.removeprefix(KEYED_PREFIX).rsplit(":", 1)[0]

    def open(self, sealed: str, *, purpose: str) -> str:
        """The text, or `[erased]` if its key was destroyed. FieldCipherError if the value is
        not sealed, or altered; UnknownKeyError if its key never existed."""
        if sealed.startswith(PREFIX):
            if self.legacy is None:
                raise FieldCipherError("a value of the application-wide key, and no such key")
            return self.legacy.open(sealed)
        key_id = self.key_id(sealed)
        if key_id is None or ":" not in sealed.removeprefix(KEYED_PREFIX):
            raise FieldCipherError("not a sealed value")
        key = self.keys.key(key_id)
        if key is None:
            return ERASED
        body = sealed.removeprefix(f"{KEYED_PREFIX}{key_id}:")
        return FieldCipher.with_data_key(key, purpose=purpose).open(PREFIX + body, context=key_id)
