"""Per-person and per-claim data keys, wrapped by the master key, in their own table, and
crypto-shredding (docs/adr/0036-per-person-keys.md). On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import psycopg
import pytest

from infra.field_cipher import FieldCipher, FieldCipherError
from infra.keys import (
    ERASED,
    KeyErasedError,
    KeyExistsError,
    KeyStore,
    PersonalDataCipher,
    UnknownKeyError,
)
from infra.settings import Settings
from services.application import ClaimsApplication
from services.wiring import build_application

MASTER = base64.b64encode(bytes(range(32))).decode()
OTHER_MASTER = base64.b64encode(bytes(range(1, 33))).decode()
NAME = "Zoé Marchand"


def _rows(url: str) -> list[tuple[object, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return list(connection.execute("SELECT key_id, wrapped, destroyed_at FROM data_keys"))
    with psycopg.connect(url) as connection:
        return list(connection.execute("SELECT key_id, wrapped, destroyed_at FROM data_keys"))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys(database_url: str) -> Iterator[KeyStore]:
    store = KeyStore(database_url, MASTER)
    try:
        yield store
    finally:
        store.close()


def test_a_field_sealed_with_a_subject_key_opens_until_the_key_is_destroyed(
    keys: KeyStore, database_url: str
) -> None:
    subject, claim = f"subject:{uuid4()}", f"claim:{uuid4()}"
    keys.create(subject)
    assert keys.ensure(claim) == "active"
    cipher = PersonalDataCipher(keys)
    name = cipher.seal(NAME, key_id=subject, purpose="insured.name")
    note = cipher.seal("hospitalised", key_id=claim, purpose="note")
    assert NAME not in name
    assert PersonalDataCipher.key_id(name) == subject
    # Another process (a new key store on the same database) reads the same.
    other = KeyStore(database_url, MASTER)
    try:
        assert PersonalDataCipher(other).open(name, purpose="insured.name") == NAME
        assert keys.destroy(subject) is True
        assert keys.destroy(subject) is False  # idempotent
        assert cipher.open(name, purpose="insured.name") == ERASED
        assert cipher.open(note, purpose="note") == "hospitalised"  # another key
        assert keys.state(subject) == "destroyed"
        assert keys.ensure(subject) == "destroyed"  # an erased id stays erased
        with pytest.raises(KeyExistsError):
            keys.create(subject)
        with pytest.raises(KeyErasedError):
            cipher.seal(NAME, key_id=subject, purpose="insured.name")
    finally:
        other.close()
    later = KeyStore(database_url, MASTER)  # a process started after the erasure
    try:
        assert PersonalDataCipher(later).open(name, purpose="insured.name") == ERASED
    finally:
        later.close()
    rows = {row[0]: row for row in _rows(database_url)}
    assert rows[subject][1] is None  # the wrapped key is gone, the tombstone stays
    assert rows[subject][2] is not None
    assert rows[claim][1] is not None


def test_keys_are_random_wrapped_by_the_master_key_and_bound_to_their_id(
    keys: KeyStore, database_url: str
) -> None:
    first, second = f"subject:{uuid4()}", f"subject:{uuid4()}"
    keys.create(first)
    keys.create(second)
    key = keys.key(first)
    assert key is not None
    assert len(key) == 32
    assert key != keys.key(second)
    rows = {row[0]: row for row in _rows(database_url)}
    assert base64.b64encode(key).decode() not in str(rows[first][1])
    # Another master key cannot unwrap it.
    stranger = KeyStore(database_url, OTHER_MASTER)
    try:
        with pytest.raises(FieldCipherError):
            stranger.key(first)
    finally:
        stranger.close()
    # A wrapped key copied onto another id does not open (the id is in the AAD).
    wrapped = FieldCipher.from_encryption_key(MASTER, purpose="data-key")
    plain = wrapped.open(str(rows[first][1]), context=first)
    with pytest.raises(FieldCipherError):
        wrapped.open(str(rows[first][1]), context=second)
    assert base64.b64decode(plain) == key


def test_sealed_values_refuse_tampering_another_purpose_and_unknown_keys(keys: KeyStore) -> None:
    subject = f"subject:{uuid4()}"
    keys.create(subject)
    cipher = PersonalDataCipher(keys)
    sealed = cipher.seal(NAME, key_id=subject, purpose="insured.name")
    with pytest.raises(FieldCipherError):
        cipher.open(sealed, purpose="declarant.email")
    with pytest.raises(FieldCipherError):
        cipher.open(sealed[:-4] + "AAAA", purpose="insured.name")
    with pytest.raises(FieldCipherError):
        cipher.open("plain text", purpose="insured.name")
    with pytest.raises(UnknownKeyError):
        cipher.open(f"k1:subject:{uuid4()}:AAAA", purpose="insured.name")
    with pytest.raises(UnknownKeyError):
        keys.destroy(f"subject:{uuid4()}")
    assert keys.state(f"claim:{uuid4()}") is None


def test_values_of_the_application_wide_key_still_open(keys: KeyStore) -> None:
    """The IBANs sealed before per-person keys (docs/adr/0027) keep opening."""
    legacy = FieldCipher.from_encryption_key(MASTER)
    sealed = legacy.seal("FR7630006000011234567890189")
    assert PersonalDataCipher(keys, legacy=legacy).open(sealed, purpose="iban") == (
        "FR7630006000011234567890189"
    )
    with pytest.raises(FieldCipherError):
        PersonalDataCipher(keys).open(sealed, purpose="iban")


def test_keys_are_cached_and_a_destroyed_key_leaves_the_cache_at_once(
    database_url: str,
) -> None:
    clock = Clock()
    keys = KeyStore(database_url, MASTER, ttl=60, monotonic=clock)
    other = KeyStore(database_url, MASTER, ttl=60, monotonic=clock)
    try:
        subject = f"subject:{uuid4()}"
        keys.create(subject)
        assert other.key(subject) is not None  # cached in `other` for 60 s
        keys.destroy(subject)
        assert keys.key(subject) is None  # at once in the process that destroyed it
        assert other.key(subject) is not None  # another process: until its entry expires
        clock.now += 61
        assert other.key(subject) is None
    finally:
        keys.close()
        other.close()


def test_the_key_table_lives_beside_the_event_store_and_holds_no_event(
    database_url: str,
) -> None:
    """The keys share the store's database (one backup, one URL) in a table of their own;
    the event store works as before."""
    app: ClaimsApplication = build_application(Settings(database_url=database_url))
    keys = KeyStore(database_url, None, clock=lambda: datetime(2026, 11, 30, tzinfo=UTC))
    try:
        keys.create("claim:x")
        assert app.recorder.max_notification_id() in (None, 0)
        assert [row[0] for row in _rows(database_url)] == ["claim:x"]
    finally:
        keys.close()
        app.close()
