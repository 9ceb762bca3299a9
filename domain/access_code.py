"""The insured's access code (api.md v2 §3; docs/adr/0033-insured-access.md).

Eight characters from an alphabet without the look-alikes I, L, O, 0 and 1, so that a code read
from an e-mail or an SMS is typed without doubt. Only a salted, slow hash of it is recorded
(scrypt from hashlib): whoever reads the store cannot log in, and guessing a code offline costs
scrypt's work per guess on top of the 32^8 (about 10^12) possible codes.

Pure: the random choice of the characters and of the salt are arguments (the service layer
draws them with `secrets`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
SALT_BYTES = 16
# scrypt's cost: 2^14 * 8 * 128 bytes = 16 MiB and some 50 ms per hash, per log-in attempt.
_N, _R, _P = 2**14, 8, 1
_PREFIX = "scrypt"
_HASH = re.compile(r"^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_=-]+)\$([A-Za-z0-9_=-]+)$")


def new_access_code(random_index: list[int]) -> str:
    """The code made of the alphabet's characters at the given indexes (each below the
    alphabet's length: the caller draws them with `secrets.randbelow(len(ALPHABET))`)."""
    if len(random_index) != LENGTH or any(not 0 <= i < len(ALPHABET) for i in random_index):
        msg = f"give {LENGTH} indexes below {len(ALPHABET)}"
        raise ValueError(msg)
    return "".join(ALPHABET[i] for i in random_index)


def normalise_access_code(text: str) -> str | None:
    """The code as typed, upper-cased, without spaces or dashes; None if it cannot be a code
    (another length or a character outside the alphabet)."""
    compact = re.sub(r"[\s-]", "", text).upper()
    if len(compact) != LENGTH or any(c not in ALPHABET for c in compact):
        return None
    return compact


def hash_access_code(code: str, salt: bytes) -> str:
    """`scrypt$n$r$p$salt$digest` (URL-safe base64) of a normalised code."""
    digest = hashlib.scrypt(code.encode("ascii"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.urlsafe_b64encode
    return f"{_PREFIX}${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def is_code_hash(value: str) -> bool:
    return _HASH.match(value) is not None


def access_code_matches(code: str, code_hash: str) -> bool:
    """Whether `code` (as typed) is the one `code_hash` was made of; compared in constant
    time. A malformed hash or code matches nothing."""
    found = _HASH.match(code_hash)
    compact = normalise_access_code(code)
    if found is None or compact is None:
        return False
    n, r, p = (int(found.group(i)) for i in (1, 2, 3))
    if (n, r, p) != (_N, _R, _P):
        return False  # only our own parameters: a stored hash cannot make us work harder
    salt = base64.urlsafe_b64decode(found.group(4))
    expected = base64.urlsafe_b64decode(found.group(5))
    digest = hashlib.scrypt(compact.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=32)
    return hmac.compare_digest(digest, expected)
