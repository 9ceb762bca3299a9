"""Claim events sealed field by field with per-person and per-claim keys (docs/adr/0036,
docs/adr/0037-erasure-and-retention.md).

`PersonalDataMapper` is eventsourcing's `Mapper` with one step more each way. On write, on a
copy of a claim event's state, before the library's transcoding and whole-event cipher, each
personal field is sealed with its data key (`infra/keys.PersonalDataCipher`): an insured
person's name with `subject:<subject id>`, the declarant's name and contacts with theirs, every
other personal field (the free text, the names repeated in an acceptance, payees, bank
references, the bank details) with `claim:<claim id>`. Which fields are personal is
`infra/event_privacy.WITHHELD`: the one judgement that keeps them out of Kafka seals them here.
On read, after upcasting, each sealed field opens to its text, or to `[erased]` once its key is
destroyed. A field stored in plain text before the keys (round 1, and until the wiring) reads
`[erased]` once the claim's key is destroyed.

A key is created the first time a field needs it, before the event is stored (a key's commit is
synchronous); once destroyed, a field that would need it is stored as `[erased]`: personal data
given after an erasure is not kept. The domain sees plain values, with the same types (a sealed
value is a `str`). Snapshots and events of other aggregates pass unchanged. Without a key store
(`attach` not called) the mapper is the library's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from infra.event_privacy import META, WITHHELD
from infra.field_cipher import FieldCipherError
from infra.keys import (
    ERASED,
    KeyErasedError,
    KeyStore,
    PersonalDataCipher,
    UnknownKeyError,
)

CLAIM_TOPIC = "domain.claim:Claim."
_SEALED = re.compile(r"^k1:(?:claim|subject):[0-9a-f-]{36}:")
UNREADABLE = "[unreadable]"  # altered, or sealed with a key this store never had
# Value classes whose fields belong to one person: sealed with that person's key.
_PERSON_CLASSES = frozenset({"Insured", "Declarant"})

Transform = Callable[[str, str, str], str]  # (text, key id, purpose) -> text


def claim_key(claim_id: UUID | str) -> str:
    return f"claim:{claim_id}"


def subject_key(subject_id: UUID | str) -> str:
    return f"subject:{subject_id}"


def _person_key(value: Any, default: str) -> str:
    subject = getattr(value, "subject_id", None)
    if type(value).__name__ in _PERSON_CLASSES and subject is not None:
        return subject_key(subject)
    return default


def _text(value: Any, key_id: str, purpose: str, transform: Transform) -> Any:
    if isinstance(value, str):
        return transform(value, key_id, purpose)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return type(value)(transform(v, key_id, purpose) for v in value)
    return value  # None, or a flag withheld from Kafka but not sealed (the medical cause)


def _value(value: Any, key_id: str, transform: Transform) -> Any:
    """A nested value with its personal fields transformed (the same object if none is)."""
    if isinstance(value, list | tuple):
        items = [_value(v, key_id, transform) for v in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        owner = type(value).__name__
        own_key = _person_key(value, key_id)
        changes = {
            f.name: new
            for f in dataclasses.fields(value)
            if f.init
            and (new := _field(owner, f.name, getattr(value, f.name), own_key, transform))
            is not getattr(value, f.name)
        }
        return dataclasses.replace(value, **changes) if changes else value
    return value


def _field(owner: str, name: str, value: Any, key_id: str, transform: Transform) -> Any:
    if name in WITHHELD.get(owner, frozenset()):
        return _text(value, key_id, f"{owner}.{name}", transform)
    return _value(value, key_id, transform)


def transform_state(
    event_type: str, state: dict[str, Any], claim_id: UUID | str, transform: Transform
) -> dict[str, Any]:
    """A claim event's state with each personal field transformed (sealed or opened)."""
    default = claim_key(claim_id)
    return {
        name: value if name in META else _field(event_type, name, value, default, transform)
        for name, value in state.items()
    }


class PersonalDataMapper(Mapper[UUID]):
    """The library's mapper, sealing and opening the claim events' personal fields."""

    personal: PersonalDataCipher | None = None

    def attach(self, keys: KeyStore) -> None:
        """Seal and open with this key store from now on (services/wiring.py)."""
        self.personal = PersonalDataCipher(keys)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        cls = type(domain_event)
        if self.personal is None or not cls.__qualname__.startswith("Claim."):
            return super().to_stored_event(domain_event)
        claim_id = domain_event.originator_id
        state = transform_state(cls.__name__, vars(domain_event), claim_id, self._sealer(claim_id))
        copy = object.__new__(cls)
        object.__setattr__(copy, "__dict__", state)
        return super().to_stored_event(copy)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        if self.personal is None or not stored_event.topic.startswith(CLAIM_TOPIC):
            return event
        claim_id = stored_event.originator_id
        opened = transform_state(
            type(event).__name__, vars(event), claim_id, self._opener(claim_id)
        )
        object.__setattr__(event, "__dict__", opened)
        return event

    def _sealer(self, claim_id: UUID) -> Transform:
        personal = self.personal
        assert personal is not None

        def seal(text: str, key_id: str, purpose: str) -> str:
            try:
                return personal.seal(text, key_id=key_id, purpose=purpose)
            except UnknownKeyError:
                personal.keys.ensure(key_id, owner=str(claim_id))
            except KeyErasedError:
                return ERASED
            try:
                return personal.seal(text, key_id=key_id, purpose=purpose)
            except KeyErasedError:
                return ERASED

        return seal

    def _opener(self, claim_id: UUID | str) -> Transform:
        personal = self.personal
        assert personal is not None

        def open_(text: str, key_id: str, purpose: str) -> str:
            del key_id  # a sealed value names its key; a plain one follows the claim's
            if not _SEALED.match(text):
                return ERASED if personal.keys.is_destroyed(claim_key(claim_id)) else text
            try:
                return personal.open(text, purpose=purpose)
            except (FieldCipherError, UnknownKeyError):
                return UNREADABLE

        return open_
