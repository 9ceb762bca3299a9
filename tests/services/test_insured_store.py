"""The private tables of the insured's side, on SQLite and PostgreSQL: the access-code outbox,
the documents' contents, the register of medical reads, the insured's sessions and their
log-in throttle (docs/adr/0032-documents-store.md, docs/adr/0033-insured-access.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.access_code_outbox import AccessCodeOutbox
from infra.access_register import AccessRegister
from infra.documents import (
    ContentCipher,
    DatabaseDocumentStore,
    DocumentContentError,
    FileDocumentStore,
)
from infra.private_store import open_private_store
from projections.store import ReadStore
from services.http.insured_sessions import (
    MAX_FAILURES,
    InsuredSessions,
    OpenedSession,
    TooManyAttempts,
)

CLAIM = uuid.UUID("00000000-0000-0000-0000-00000000c1a1")
SHA = "a" * 64


@pytest.fixture
def private(database_url: str) -> Iterator[ReadStore]:
    store = open_private_store(database_url)
    try:
        yield store
    finally:
        store.close()


def _all_text(store: ReadStore, table: str) -> str:
    return repr(store.query(f"SELECT * FROM {table}"))


def test_the_outbox_keeps_a_code_sealed_until_removed(private: ReadStore) -> None:
    outbox = AccessCodeOutbox.from_encryption_key(private, None)
    outbox.put(CLAIM, "scrypt$h1", "ABCD6789")
    outbox.put(CLAIM, "scrypt$h1", "ABCD6789")  # idempotent
    assert outbox.get(CLAIM, "scrypt$h1") == "ABCD6789"
    assert outbox.get(CLAIM, "scrypt$other") is None
    assert "ABCD6789" not in _all_text(private, "access_code_outbox")
    outbox.remove(CLAIM, "scrypt$h1")
    assert outbox.get(CLAIM, "scrypt$h1") is None


def test_document_contents_are_sealed_and_bound_to_their_claim(
    database_url: str, private: ReadStore, tmp_path: Path
) -> None:
    cipher = ContentCipher(None)
    if database_url.startswith("sqlite"):
        store: FileDocumentStore | DatabaseDocumentStore = FileDocumentStore(
            tmp_path / "documents", cipher
        )
    else:
        store = DatabaseDocumentStore(private, cipher)
        store.setup()
    content = b"%PDF-1.4 Jeanne Martin hospitalised"
    store.put(CLAIM, SHA, content)
    store.put(CLAIM, SHA, content)  # addressed by content: once
    assert store.get(CLAIM, SHA) == content
    assert store.get(uuid.uuid4(), SHA) is None
    if isinstance(store, FileDocumentStore):
        stored = (tmp_path / "documents" / str(CLAIM) / SHA).read_bytes()
        assert b"Jeanne" not in stored
        assert oct((tmp_path / "documents" / str(CLAIM) / SHA).stat().st_mode & 0o777) == "0o600"
    else:
        assert "Jeanne" not in _all_text(private, "document_contents")
    with pytest.raises(DocumentContentError):
        ContentCipher(b"another key of 32 bytes........").open(
            CLAIM, SHA, cipher.seal(CLAIM, SHA, content)
        )
    with pytest.raises(DocumentContentError):  # moved to another claim: does not open
        cipher.open(uuid.uuid4(), SHA, cipher.seal(CLAIM, SHA, content))


def test_the_register_lists_medical_reads_latest_first(private: ReadStore) -> None:
    register = AccessRegister(private)
    register.setup()
    at = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    register.record(CLAIM, "S20000001-D1", actor="dr.house", role="medical_adviser", at=at)
    register.record(
        CLAIM, "S20000001-D2", actor="admin.dev", role="admin", at=at + timedelta(seconds=1)
    )
    reads = register.reads(claim_id=CLAIM)
    assert [(r.document_id, r.actor) for r in reads] == [
        ("S20000001-D2", "admin.dev"),
        ("S20000001-D1", "dr.house"),
    ]
    assert reads[1].read_at == at
    assert register.reads(claim_id=uuid.uuid4()) == []


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_session_opens_one_claim_for_thirty_minutes(private: ReadStore) -> None:
    clock = Clock()
    sessions = InsuredSessions(private, clock=clock)
    sessions.setup()
    opened = sessions.log_in(
        claim_number="S20000001", address="10.0.0.1", authenticate=lambda: (CLAIM, "h1")
    )
    assert isinstance(opened, OpenedSession)
    assert opened.expires_at == clock.now + timedelta(minutes=30)
    found = sessions.find(opened.token)
    assert found is not None
    assert (found.claim_id, found.code_hash) == (CLAIM, "h1")
    assert sessions.find(opened.token + "x") is None
    clock.now += timedelta(minutes=30)
    assert sessions.find(opened.token) is None
    # Ended with every session of the claim (a new access code).
    clock.now += timedelta(minutes=-29)
    assert sessions.find(opened.token) is not None
    sessions.end_all(CLAIM)
    assert sessions.find(opened.token) is None


def test_five_failures_for_a_claim_number_block_it_from_any_address(private: ReadStore) -> None:
    clock = Clock()
    sessions = InsuredSessions(private, clock=clock)
    sessions.setup()
    for n in range(MAX_FAILURES):
        assert (
            sessions.log_in(
                claim_number="S20000001", address=f"10.0.0.{n}", authenticate=lambda: None
            )
            is None
        )
    blocked = sessions.log_in(
        claim_number="S20000001", address="10.9.9.9", authenticate=lambda: (CLAIM, "h1")
    )
    assert isinstance(blocked, TooManyAttempts)
    assert 0 < blocked.retry_after <= 15 * 60
    # Another claim from a new address is not blocked; the window frees the first.
    other = sessions.log_in(
        claim_number="S20000002", address="10.8.8.8", authenticate=lambda: (CLAIM, "h1")
    )
    assert isinstance(other, OpenedSession)
    clock.now += timedelta(minutes=15, seconds=1)
    assert isinstance(
        sessions.log_in(
            claim_number="S20000001", address="10.9.9.9", authenticate=lambda: (CLAIM, "h1")
        ),
        OpenedSession,
    )


def test_five_failures_from_an_address_block_it_for_every_claim(private: ReadStore) -> None:
    sessions = InsuredSessions(private, clock=Clock())
    sessions.setup()
    for n in range(MAX_FAILURES):
        sessions.log_in(claim_number=f"S2000000{n}", address="10.0.0.1", authenticate=lambda: None)
    assert isinstance(
        sessions.log_in(
            claim_number="S20000009", address="10.0.0.1", authenticate=lambda: (CLAIM, "h")
        ),
        TooManyAttempts,
    )
    # Nothing of the claim numbers or the address is stored in clear.
    stored = _all_text(private, "insured_login_failures") + _all_text(private, "insured_login_keys")
    assert "S2000000" not in stored
    assert "10.0.0.1" not in stored


def test_two_processes_share_the_count_and_the_secret(database_url: str) -> None:
    first, second = open_private_store(database_url), open_private_store(database_url)
    try:
        a, b = InsuredSessions(first, clock=Clock()), InsuredSessions(second, clock=Clock())
        a.setup()
        b.setup()
        for _ in range(MAX_FAILURES):
            (a if _ % 2 else b).log_in(
                claim_number="S20000001", address="10.0.0.1", authenticate=lambda: None
            )
        assert isinstance(
            b.log_in(claim_number="S20000001", address="10.0.0.2", authenticate=lambda: None),
            TooManyAttempts,
        )
        opened = a.log_in(
            claim_number="S20000003", address="10.0.0.3", authenticate=lambda: (CLAIM, "h")
        )
        assert isinstance(opened, OpenedSession)
        assert b.find(opened.token) is not None
    finally:
        first.close()
        second.close()
