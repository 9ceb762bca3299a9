"""What every claim command takes besides its own arguments: the caller's preconditions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict, TypeVar, Unpack
from uuid import UUID

from domain.claim import Claim
from services.idempotency import IdempotencyKey
from services.ownership import ClaimAccess

T = TypeVar("T")


class CommandOptions(TypedDict, total=False):
    """The caller's preconditions of a claim command (the HTTP layer passes them through)."""

    expected_version: int | None  # If-Match
    idempotency: IdempotencyKey | None  # Idempotency-Key
    access: ClaimAccess | None  # whose claim it is (docs/adr/0020-claim-ownership.md)


class CommandPath:
    """The application's one command path, as the command mixins (services/money.py,
    services/insured.py) see it: `ClaimsApplication` defines both methods."""

    if TYPE_CHECKING:

        def _decide(
            self, claim_id: UUID, decide: Callable[[Claim], T], **options: Unpack[CommandOptions]
        ) -> tuple[Claim, T]: ...

        def _on_claim(
            self,
            claim_id: UUID,
            decide: Callable[[Claim], object],
            **options: Unpack[CommandOptions],
        ) -> Claim: ...
