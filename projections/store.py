"""The read-model database: SQLite (embedded default) or PostgreSQL, one small interface.

SQL is written once with `?` placeholders and portable statements (`INSERT ... ON CONFLICT`);
for PostgreSQL the placeholders become `%s`. Each projection's tables carry a suffix so that a
rebuild can write a fresh table set beside the live one.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg

_PLACEHOLDER = re.compile(r"\?")
_SAVEPOINTS = itertools.count(1)

# Failures of the database or of the SQL itself (connection lost, lock or statement timeout,
# deadlock, missing table, wrong statement): they say nothing about the event being applied,
# so a batch failing with one is retried whole, never narrowed to an event and parked.
SYSTEMIC_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg.ProgrammingError,
    psycopg.InternalError,
    sqlite3.OperationalError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    sqlite3.InternalError,
)


def sqlite_path(url: str) -> str:
    """`sqlite:///var/x.db` -> `var/x.db`; `sqlite:////abs/x.db` -> `/abs/x.db`."""
    parts = urlsplit(url)
    return unquote(parts.netloc + parts.path)[1:] if parts.path.startswith("/") else ""


def systemic(exc: BaseException) -> bool:
    """True when `exc` is the database's or the SQL's failure, not the data's."""
    return isinstance(exc, SYSTEMIC_ERRORS)


class Tx:
    """One transaction on the read store."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self._cursor = cursor
        self._postgres = postgres

    @property
    def postgres(self) -> bool:
        return self._postgres

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: on an exception, only what was done inside is undone (the
        enclosing transaction stays usable, also on PostgreSQL after a failed statement)."""
        name = f"sp_{next(_SAVEPOINTS)}"
        self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            # If the connection is gone this fails too, and its error (systemic) propagates.
            self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.execute(f"RELEASE SAVEPOINT {name}")

    def _sql(self, sql: str) -> str:
        return _PLACEHOLDER.sub("%s", sql) if self._postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._sql(sql), [tuple(r) for r in rows])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), tuple(params))
        return [tuple(row) for row in self._cursor.fetchall()]


class ReadStore:
    """Connections to the read-model database, one per thread for SQLite."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = urlsplit(url).scheme in ("postgresql", "postgres")
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        if not self.postgres:
            path = sqlite_path(url)
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._path = path

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is not None and self.postgres and (connection.closed or connection.broken):
            connection = None  # the server restarted: reconnect
        if connection is None:
            if self.postgres:
                connection = psycopg.connect(self.url.replace("postgres://", "postgresql://", 1))
                # Read models are derived data whose position commits with them: after a crash
                # the last transactions may be lost, and are applied again. No flush to wait for.
                connection.execute("SET synchronous_commit TO off")
                connection.commit()
            else:
                connection = sqlite3.connect(
                    self._path, timeout=30, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Tx]:
        """Commit on success, roll back on any exception: nothing is half-written. A write
        transaction takes SQLite's write lock at once; a read-only one reads a snapshot
        without blocking the writer (WAL)."""
        connection = self._connection()
        if self.postgres:
            with connection.transaction(), connection.cursor() as cursor:
                yield Tx(cursor, postgres=True)
            return
        cursor = connection.cursor()
        cursor.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
        try:
            yield Tx(cursor, postgres=False)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        else:
            cursor.execute("COMMIT")
        finally:
            cursor.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction(read_only=True) as tx:
            return tx.query(sql, params)

    def stream(
        self, sql: str, params: Sequence[Any] = (), batch: int = 2000
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, fetched `batch` at a time in one read-only transaction (a
        server-side cursor on PostgreSQL), so a large report never holds its whole result."""
        connection = self._connection()
        if self.postgres:
            name = f"stream_{next(_SAVEPOINTS)}"
            with connection.transaction(), connection.cursor(name=name) as cursor:
                cursor.execute(_PLACEHOLDER.sub("%s", sql), tuple(params))
                while rows := cursor.fetchmany(batch):
                    for row in rows:
                        yield tuple(row)
            return
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        try:
            cursor.execute(sql, tuple(params))
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.execute("COMMIT")
            cursor.close()

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
