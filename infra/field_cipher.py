"""Field encryption: one value of an event (an IBAN) sealed with AES-GCM, on top of the store's
own encryption when `CLAIMS_ENCRYPTION_KEY` is set (docs/adr/0027-money-ledger.md).

The field key is derived (HKDF-SHA256) from `CLAIMS_ENCRYPTION_KEY`, so one secret keeps both;
without it the key is derived from a fixed development secret, which protects nothing against
someone who reads this file, exactly as an unencrypted store protects nothing: production sets
the key. The personal-data work moves these fields to per-person keys: `with_data_key` seals
with a data key of `infra/keys.py` as it is (no derivation), and `context` binds a sealed value
to what it belongs to (a key id) through the AAD (docs/adr/0036-per-person-keys.md).
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"
_DEVELOPMENT_SECRET = b"claims-backoffice development field key (set CLAIMS_ENCRYPTION_KEY)"
_NONCE_BYTES = 12


class FieldCipherError(ValueError):
    """A sealed value that this key cannot open (another key, or altered)."""


class FieldCipher:
    """Seals and opens short text values; each sealed value names its purpose (the AAD)."""

    def __init__(self, secret: bytes | None, *, purpose: str = "iban") -> None:
        self.purpose = purpose.encode()
        self.from_store_key = secret is not None
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"claims-backoffice field cipher",
            info=b"field:" + self.purpose,
        ).derive(secret if secret is not None else _DEVELOPMENT_SECRET)
        self._aead = AESGCM(key)

    @classmethod
    def from_encryption_key(
        cls, encryption_key: str | None, *, purpose: str = "iban"
    ) -> FieldCipher:
        """From the base64 `CLAIMS_ENCRYPTION_KEY` (validated by the settings), or None."""
        secret = base64.b64decode(encryption_key) if encryption_key else None
        return cls(secret, purpose=purpose)

    @classmethod
    def with_data_key(cls, key: bytes, *, purpose: str) -> FieldCipher:
        """Seals with `key` itself (a random 256-bit data key), not a key derived from it."""
        cipher = cls.__new__(cls)
        cipher.purpose = purpose.encode()
        cipher.from_store_key = True
        cipher._aead = AESGCM(key)
        return cipher

    def _aad(self, context: str) -> bytes:
        return self.purpose + b"|" + context.encode() if context else self.purpose

    def seal(self, value: str, *, context: str = "") -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), self._aad(context))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, *, context: str = "") -> str:
        if not sealed.startswith(PREFIX):
            raise FieldCipherError("not a sealed value")
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix(PREFIX))
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._aad(context))
        except (InvalidTag, ValueError) as exc:
            raise FieldCipherError("this key cannot open the value") from exc
        return plain.decode("utf-8")
