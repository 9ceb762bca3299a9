"""Idempotent commands: a retried request returns the first response and writes nothing.

The outcome of a command sent with an `Idempotency-Key` is an aggregate of its own, whose id is
derived from the caller and the key, saved in the same transaction as the claim's new events.
So the key is remembered exactly when the command's effect is, it survives restarts, and two
concurrent requests with the same key cannot both write: the second collides on the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import ClaimError

_NAMESPACE = uuid5(NAMESPACE_URL, "urn:claims-backoffice:idempotency")
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class IdempotencyKey:
    """A caller's key for one request, with a fingerprint of what was asked (the one recorded)
    and the other fingerprints the same request had under earlier versions (accepted when an
    earlier record is compared, never recorded)."""

    caller: str
    key: str
    fingerprint: str
    status_code: int
    earlier_fingerprints: tuple[str, ...] = ()

    def same_request(self, recorded_fingerprint: str) -> bool:
        return recorded_fingerprint in (self.fingerprint, *self.earlier_fingerprints)

    @property
    def record_id(self) -> UUID:
        return IdempotentRequest.create_id(self.caller, self.key)


@dataclass(frozen=True)
class CommandOutcome:
    """What the first request did: the claim and the version it left it at."""

    claim_id: UUID
    version: int
    status_code: int
    result: str | None


class IdempotencyKeyReused(ClaimError):  # noqa: N818 - named after the rule, like the others
    """The key was used before for a different request."""

    rule = "idempotency-key-reused"


class DuplicateRequest(Exception):  # noqa: N818 - it is not an error: the answer is known
    """A concurrent request with the same key completed first; answer with its outcome."""

    def __init__(self, outcome: CommandOutcome) -> None:
        super().__init__("request already processed")
        self.outcome = outcome


class IdempotentRequest(Aggregate):
    @staticmethod
    def create_id(caller: str, key: str) -> UUID:
        return uuid5(_NAMESPACE, f"{caller}\x00{key}")

    class Recorded(Aggregate.Created):
        caller: str
        key: str
        fingerprint: str
        claim_id: UUID
        version: int
        status_code: int
        result: str | None

    @event(Recorded)
    def __init__(
        self,
        *,
        caller: str,
        key: str,
        fingerprint: str,
        claim_id: UUID,
        version: int,
        status_code: int,
        result: str | None,
    ) -> None:
        self.caller = caller
        self.key = key
        self.fingerprint = fingerprint
        self.outcome = CommandOutcome(claim_id, version, status_code, result)

    @classmethod
    def record(
        cls, key: IdempotencyKey, *, claim_id: UUID, version: int, result: str | None
    ) -> IdempotentRequest:
        return cls(
            caller=key.caller,
            key=key.key,
            fingerprint=key.fingerprint,
            claim_id=claim_id,
            version=version,
            status_code=key.status_code,
            result=result,
        )
