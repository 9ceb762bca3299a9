"""The documents' contents: encrypted, addressed by SHA-256, never in events, logs or Kafka
(api.md v2 §4 rule 3; docs/adr/0032-documents-store.md).

A content is sealed with AES-GCM under a key derived (HKDF-SHA256) from `CLAIMS_ENCRYPTION_KEY`
(without it, from the fixed development secret of infra/field_cipher.py, which protects
nothing: production sets the key), the claim id and the digest bound to it as associated data,
so that a content moved to another claim or address does not open. It is kept on the file
system (`<folder>/<claim id>/<sha256>`, files 0600 in folders 0700; by default `documents/`
beside a SQLite event store, i.e. under ./var/) or, when the event store is PostgreSQL, in its
table `document_contents`. The personal-data work replaces the derived key by a key per claim.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from infra.field_cipher import _DEVELOPMENT_SECRET
from infra.files import PRIVATE_FILE, private_folder
from projections.store import ReadStore

_NONCE_BYTES = 12
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DDL = (
    "CREATE TABLE IF NOT EXISTS document_contents (claim_id TEXT NOT NULL, "
    "sha256 TEXT NOT NULL, content BYTEA NOT NULL, PRIMARY KEY (claim_id, sha256))",
)


class DocumentContentError(ValueError):
    """A stored content that this key cannot open (another key, or altered)."""


class ContentCipher:
    """Seals and opens documents' bytes, bound to their claim and digest."""

    def __init__(self, secret: bytes | None) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"claims-backoffice field cipher",
            info=b"documents",
        ).derive(secret if secret is not None else _DEVELOPMENT_SECRET)
        self._aead = AESGCM(key)

    @classmethod
    def from_encryption_key(cls, encryption_key: str | None) -> ContentCipher:
        return cls(base64.b64decode(encryption_key) if encryption_key else None)

    @staticmethod
    def _aad(claim_id: UUID, sha256: str) -> bytes:
        return f"{claim_id}:{sha256}".encode("ascii")

    def seal(self, claim_id: UUID, sha256: str, content: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, content, self._aad(claim_id, sha256))

    def open(self, claim_id: UUID, sha256: str, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(
                sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], self._aad(claim_id, sha256)
            )
        except (InvalidTag, ValueError) as exc:
            raise DocumentContentError("this key cannot open the document") from exc


class DocumentStore(Protocol):
    """Where the sealed contents are kept."""

    def put(self, claim_id: UUID, sha256: str, content: bytes) -> None: ...

    def get(self, claim_id: UUID, sha256: str) -> bytes | None: ...

    def close(self) -> None: ...


def _checked(sha256: str) -> str:
    if not _SHA256.match(sha256):
        msg = "a document is addressed by the hex SHA-256 of its content"
        raise ValueError(msg)
    return sha256


class FileDocumentStore:
    """Contents as files `<root>/<claim id>/<sha256>`, sealed."""

    def __init__(self, root: Path, cipher: ContentCipher) -> None:
        self.root = root
        self.cipher = cipher

    def _path(self, claim_id: UUID, sha256: str) -> Path:
        return self.root / str(claim_id) / _checked(sha256)

    def put(self, claim_id: UUID, sha256: str, content: bytes) -> None:
        path = self._path(claim_id, sha256)
        if path.exists():
            return  # addressed by content: the same bytes are already there
        private_folder(path.parent)
        sealed = self.cipher.seal(claim_id, sha256, content)
        partial = path.with_name(f".{sha256}.{os.getpid()}.partial")
        descriptor = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(descriptor, "wb") as file:
            file.write(sealed)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)  # whole or absent, never half-written

    def get(self, claim_id: UUID, sha256: str) -> bytes | None:
        try:
            sealed = self._path(claim_id, sha256).read_bytes()
        except FileNotFoundError:
            return None
        return self.cipher.open(claim_id, sha256, sealed)

    def close(self) -> None:
        return None


class DatabaseDocumentStore:
    """Contents in the table `document_contents` of the store's database (PostgreSQL)."""

    def __init__(self, store: ReadStore, cipher: ContentCipher) -> None:
        self.store = store
        self.cipher = cipher

    def setup(self) -> None:
        with self.store.transaction() as tx:
            for statement in DDL:
                tx.execute(statement if tx.postgres else statement.replace("BYTEA", "BLOB"))

    def put(self, claim_id: UUID, sha256: str, content: bytes) -> None:
        sealed = self.cipher.seal(claim_id, _checked(sha256), content)
        with self.store.transaction() as tx:
            if tx.postgres:
                tx.execute("SET LOCAL synchronous_commit TO on")
            tx.execute(
                "INSERT INTO document_contents (claim_id, sha256, content) VALUES (?, ?, ?) "
                "ON CONFLICT (claim_id, sha256) DO NOTHING",
                (str(claim_id), sha256, sealed),
            )

    def get(self, claim_id: UUID, sha256: str) -> bytes | None:
        rows = self.store.query(
            "SELECT content FROM document_contents WHERE claim_id = ? AND sha256 = ?",
            (str(claim_id), _checked(sha256)),
        )
        if not rows:
            return None
        return self.cipher.open(claim_id, sha256, bytes(rows[0][0]))

    def close(self) -> None:
        return None  # the private store is closed by its owner
