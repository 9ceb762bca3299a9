"""The access codes waiting to be sent (docs/adr/0033-insured-access.md).

An access code is recorded only hashed (the claim's `AccessCodeIssued` event); the insured
learns it from the declaration receipt or the notification of a new code. Until that message
is sent, its plain text waits here, sealed with the field cipher (purpose `access-code`), keyed
by the claim and the hash it belongs to; the sender takes it (`get`) and removes it once the
message is out (`remove`). A code replaced before it was sent is simply never asked for.
"""

from __future__ import annotations

from uuid import UUID

from infra.field_cipher import FieldCipher
from projections.store import ReadStore

DDL = (
    "CREATE TABLE IF NOT EXISTS access_code_outbox (claim_id TEXT NOT NULL, "
    "code_hash TEXT NOT NULL, sealed_code TEXT NOT NULL, PRIMARY KEY (claim_id, code_hash))",
)
PURPOSE = "access-code"


class AccessCodeOutbox:
    """Plain access codes, sealed, until their message is sent."""

    def __init__(self, store: ReadStore, cipher: FieldCipher) -> None:
        if cipher.purpose != PURPOSE.encode():
            msg = f"the outbox seals with a cipher of purpose {PURPOSE!r}"
            raise ValueError(msg)
        self.store = store
        self.cipher = cipher

    @classmethod
    def from_encryption_key(cls, store: ReadStore, encryption_key: str | None) -> AccessCodeOutbox:
        outbox = cls(store, FieldCipher.from_encryption_key(encryption_key, purpose=PURPOSE))
        outbox.setup()
        return outbox

    def setup(self) -> None:
        with self.store.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)

    def put(self, claim_id: UUID, code_hash: str, code: str) -> None:
        with self.store.transaction() as tx:
            if tx.postgres:
                tx.execute("SET LOCAL synchronous_commit TO on")
            tx.execute(
                "INSERT INTO access_code_outbox (claim_id, code_hash, sealed_code) "
                "VALUES (?, ?, ?) ON CONFLICT (claim_id, code_hash) DO NOTHING",
                (str(claim_id), code_hash, self.cipher.seal(code)),
            )

    def get(self, claim_id: UUID, code_hash: str) -> str | None:
        rows = self.store.query(
            "SELECT sealed_code FROM access_code_outbox WHERE claim_id = ? AND code_hash = ?",
            (str(claim_id), code_hash),
        )
        return self.cipher.open(str(rows[0][0])) if rows else None

    def remove(self, claim_id: UUID, code_hash: str) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                "DELETE FROM access_code_outbox WHERE claim_id = ? AND code_hash = ?",
                (str(claim_id), code_hash),
            )
