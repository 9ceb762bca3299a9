"""What every claim command takes besides its own arguments: the caller's preconditions."""

from __future__ import annotations

from typing import TypedDict

from services.idempotency import IdempotencyKey
from services.ownership import ClaimAccess


class CommandOptions(TypedDict, total=False):
    """The caller's preconditions of a claim command (the HTTP layer passes them through)."""

    expected_version: int | None  # If-Match
    idempotency: IdempotencyKey | None  # Idempotency-Key
    access: ClaimAccess | None  # whose claim it is (docs/adr/0020-claim-ownership.md)
