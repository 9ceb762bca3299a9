"""What an erasure removes besides the keys (docs/adr/0037-erasure-and-retention.md): the
claim's snapshots (they hold its state in plain text under the application key; the next one
is taken from the opened events) and its documents' contents (files, or rows of PostgreSQL)."""

from __future__ import annotations

import shutil
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from infra.documents import DatabaseDocumentStore, FileDocumentStore


def delete_snapshots(recorder: Any, claim_id: UUID) -> None:
    """Delete every snapshot of the claim from the application's snapshot recorder."""
    table = recorder.events_table_name
    datastore = recorder.datastore
    if isinstance(datastore, PostgresDatastore):
        statement = sql.SQL("DELETE FROM {} WHERE originator_id = %s").format(
            sql.Identifier(*table.split("."))
        )
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, (claim_id,))
        return
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE originator_id = ?", (claim_id.hex,))  # noqa: S608


def delete_documents(store: Any, claim_id: UUID) -> None:
    """Delete the contents of every document of the claim."""
    if isinstance(store, FileDocumentStore):
        shutil.rmtree(store.root / str(claim_id), ignore_errors=True)
    elif isinstance(store, DatabaseDocumentStore):
        with store.store.transaction() as tx:
            tx.execute("DELETE FROM document_contents WHERE claim_id = ?", (str(claim_id),))
