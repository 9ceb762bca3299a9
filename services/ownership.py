"""Claim ownership: a claim assigned to a handler takes handler commands only from that handler.

Admins may act on any claim; an unassigned claim takes handler commands from any handler
(docs/adr/0020-claim-ownership.md). The check runs on the claim the command loaded, in the
same attempt as its save, so a reassignment saved in between fails the save (the claim's
version moved on) and the command is retried, and checked again, on the new state.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.claim import Claim
from domain.errors import ClaimError


class NotYourClaim(ClaimError):  # noqa: N818 - named like the rules of domain/errors.py
    """The claim is assigned to another handler (403 `/problems/not-your-claim`)."""

    rule = "not-your-claim"


@dataclass(frozen=True)
class ClaimAccess:
    """Who runs a handler command, and whether they may act on any claim (admins)."""

    user_id: str
    any_claim: bool = False

    def check(self, claim: Claim) -> None:
        """Raise `NotYourClaim` unless the caller may run a handler command on `claim`."""
        if self.any_claim or claim.handler is None or claim.handler == self.user_id:
            return
        # The assignee is a staff user id, not personal data of the insured.
        raise NotYourClaim(
            f"claim {claim.claim_number} is assigned to {claim.handler}; only that handler "
            "(or an admin) may act on it",
            claim_id=claim.id,
        )
