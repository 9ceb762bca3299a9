"""Bearer tokens and roles.

Tokens come from `CLAIMS_API_TOKENS` (`token=user_id:role,...`). Only their SHA-256 digests are
kept after start-up, and a presented token is compared with every digest in constant time.
The pages never put a token in a cookie: a login opens a page session (services/http/sessions.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    HANDLER = "handler"
    MANAGER = "manager"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # Reads like an auditor, and the content of medical documents (api.md v2 §4).
    MEDICAL_ADVISER = "medical_adviser"
    # The insured's web portal: declares claims online (api.md v2 §3).
    PORTAL = "portal"
    # An insured person's session (never a configured token: POST /insured/sessions).
    INSURED = "insured"


# The back office's own people (api.md v2: "staff"); the other roles reach only their paths.
STAFF_ROLES = frozenset(
    {Role.HANDLER, Role.MANAGER, Role.AUDITOR, Role.ADMIN, Role.MEDICAL_ADVISER}
)
# Roles a configured token may have (an insured's access comes from a session only).
TOKEN_ROLES = frozenset(Role) - {Role.INSURED}


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role


DEV_TOKENS = (
    "dev-handler-token=handler.dev:handler,"
    "dev-manager-token=manager.dev:manager,"
    "dev-auditor-token=auditor.dev:auditor,"
    "dev-admin-token=admin.dev:admin,"
    "dev-medical-adviser-token=medical.dev:medical_adviser,"
    "dev-portal-token=portal.dev:portal"
)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class TokenRegistry:
    """Who a bearer token belongs to."""

    def __init__(self, spec: str) -> None:
        self._entries: list[tuple[bytes, Principal]] = []
        for index, item in enumerate(part.strip() for part in spec.split(",")):
            if not item:
                continue
            token, sep, identity = item.partition("=")
            user_id, sep2, role = identity.partition(":")
            if not (sep and sep2 and token.strip() and user_id.strip()):
                msg = f"CLAIMS_API_TOKENS item {index + 1} is not token=user_id:role"
                raise ValueError(msg)
            try:
                parsed_role = Role(role.strip())
                if parsed_role not in TOKEN_ROLES:
                    raise ValueError(parsed_role)
            except ValueError:
                roles = ", ".join(sorted(TOKEN_ROLES))
                msg = f"CLAIMS_API_TOKENS item {index + 1}: unknown role (roles: {roles})"
                raise ValueError(msg) from None
            if len(token.strip()) < 12:
                msg = f"CLAIMS_API_TOKENS item {index + 1}: tokens need at least 12 characters"
                raise ValueError(msg)
            self._entries.append((_digest(token.strip()), Principal(user_id.strip(), parsed_role)))

    def __len__(self) -> int:
        return len(self._entries)

    def knows(self, principal: Principal) -> bool:
        """True while some configured token still belongs to this user with this role (a page
        session of a removed token ends at its next request)."""
        return any(known == principal for _, known in self._entries)

    def has_role(self, user_id: str, role: Role) -> bool:
        """Whether a configured token gives `user_id` this role (a claim is assigned only to a
        user who may act on it as its handler)."""
        return any(p.user_id == user_id and p.role == role for _, p in self._entries)

    def authenticate(self, token: str) -> Principal | None:
        presented = _digest(token)
        found: Principal | None = None
        for digest, principal in self._entries:  # no early exit: same work for every token
            if hmac.compare_digest(digest, presented):
                found = principal
        return found
