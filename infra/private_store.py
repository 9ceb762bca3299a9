"""The back office's own tables that are neither events nor read models: the access-code
outbox, the register of medical reads, the insured's sessions and failed log-ins, and, on
PostgreSQL, the documents' encrypted contents (docs/adr/0032-documents-store.md,
docs/adr/0033-insured-access.md).

They are not derived from the events, so they never live in the read-model database, which a
rebuild may drop: on PostgreSQL they are tables of the event store's database; beside a SQLite
event store they are a private file of their own (`<store>_private.db`, 0600), so that nothing
contends with the event store's own write lock.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from infra.files import private_sqlite_file
from projections.store import ReadStore, sqlite_path


def private_store_url(database_url: str) -> str:
    """Where the private tables live for an event store at `database_url`."""
    if urlsplit(database_url).scheme == "sqlite":
        store = Path(sqlite_path(database_url))
        return f"sqlite:///{store.with_name(store.stem + '_private.db')}"
    return database_url


def open_private_store(database_url: str) -> ReadStore:
    """A connection pool (per thread) to the private tables of the store at `database_url`."""
    url = private_store_url(database_url)
    if urlsplit(url).scheme == "sqlite":
        private_sqlite_file(sqlite_path(url))  # before SQLite creates it with the umask's mode
    return ReadStore(url)
