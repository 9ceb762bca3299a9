"""Claim numbers: `S2` + 7 digits (seed 000), unique and never reused.

Two small aggregates make numbers unique without a read model, saved in the same transaction
as the claim they number (eventsourcing's "unique username" pattern):

- `ClaimNumberSequence` (one, deterministic id) issues the next number; two concurrent
  declarations that read the same sequence version conflict on save, and one retries;
- `ClaimNumberReservation` (id derived from the number) maps the number to its claim, so a
  number can be found, and can never be stored twice, even by a buggy sequence.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import ClaimNumbersExhausted

CLAIM_NUMBER_PATTERN = re.compile(r"^S2\d{7}$")
_FIRST = 1
_LAST = 9_999_999
_NAMESPACE = uuid5(NAMESPACE_URL, "urn:claims-backoffice:claim-numbers")


def format_claim_number(serial: int) -> str:
    return f"S2{serial:07d}"


def is_claim_number(text: str) -> bool:
    return CLAIM_NUMBER_PATTERN.fullmatch(text) is not None


class ClaimNumberSequence(Aggregate):
    """The last serial issued. One per store."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(_NAMESPACE, "sequence")

    class Started(Aggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.last_serial = 0

    class NumbersIssued(Aggregate.Event):
        first: int
        count: int

    def issue(self, count: int = 1) -> list[str]:
        """Issue `count` consecutive numbers (a batch import may take many at once)."""
        if count < 1:
            msg = "count must be at least 1"
            raise ValueError(msg)
        first = self.last_serial + 1
        if first + count - 1 > _LAST:
            raise ClaimNumbersExhausted("no claim number left in S2 + 7 digits")
        self._numbers_issued(first=first, count=count)
        return [format_claim_number(serial) for serial in range(first, first + count)]

    @event(NumbersIssued)
    def _numbers_issued(self, *, first: int, count: int) -> None:
        self.last_serial = first + count - 1


class ClaimNumberReservation(Aggregate):
    """A claim number, held by one claim forever."""

    @staticmethod
    def create_id(claim_number: str) -> UUID:
        return uuid5(_NAMESPACE, claim_number)

    class Reserved(Aggregate.Created):
        claim_number: str
        claim_id: UUID

    @event(Reserved)
    def __init__(self, *, claim_number: str, claim_id: UUID) -> None:
        self.claim_number = claim_number
        self.claim_id = claim_id
