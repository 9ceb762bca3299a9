"""The register of medical reads: who read which medical document of which claim, and when
(UTC). Written before the content is served, in its own transaction: no medical content leaves
the server unrecorded (api.md v2 §4; docs/adr/0032-documents-store.md). Never erased by a
rebuild: it lives in the private store (infra/private_store.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from projections.store import ReadStore

DDL = (
    "CREATE TABLE IF NOT EXISTS medical_reads (claim_id TEXT NOT NULL, "
    "document_id TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, "
    "read_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_medical_reads_read_at ON medical_reads (read_at)",
    "CREATE INDEX IF NOT EXISTS ix_medical_reads_claim ON medical_reads (claim_id, read_at)",
)
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: compares as text on both databases


@dataclass(frozen=True)
class MedicalRead:
    claim_id: UUID
    document_id: str
    actor: str
    role: str
    read_at: datetime


class AccessRegister:
    """Appends and lists the reads of medical documents."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store

    def setup(self) -> None:
        with self.store.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)

    def record(
        self, claim_id: UUID, document_id: str, *, actor: str, role: str, at: datetime
    ) -> None:
        with self.store.transaction() as tx:
            if tx.postgres:
                tx.execute("SET LOCAL synchronous_commit TO on")
            tx.execute(
                "INSERT INTO medical_reads (claim_id, document_id, actor, role, read_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(claim_id), document_id, actor, role, at.astimezone(UTC).strftime(_STAMP)),
            )

    def reads(
        self, *, claim_id: UUID | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[MedicalRead]:
        """The reads, latest first, of one claim or all, from a time on."""
        sql = "SELECT claim_id, document_id, actor, role, read_at FROM medical_reads WHERE 1 = 1"
        params: list[object] = []
        if claim_id is not None:
            sql += " AND claim_id = ?"
            params.append(str(claim_id))
        if since is not None:
            sql += " AND read_at >= ?"
            params.append(since.astimezone(UTC).strftime(_STAMP))
        sql += " ORDER BY read_at DESC LIMIT ?"
        params.append(limit)
        return [
            MedicalRead(
                UUID(str(c)),
                str(d),
                str(a),
                str(r),
                datetime.strptime(str(t), _STAMP).replace(tzinfo=UTC),
            )
            for c, d, a, r, t in self.store.query(sql, params)
        ]
