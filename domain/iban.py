"""IBANs: validated with `schwifty` (a maintained library: country lengths, formats, mod-97),
and masked for display (docs/rules.md "Money on a claim"). Encryption is the application's:
the domain never sees a key."""

from __future__ import annotations

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from domain.errors import InvalidClaimData


def normalise_iban(value: str, field: str = "iban") -> str:
    """The IBAN in its compact form (spaces stripped, upper case), or 422 naming `field`
    when it is not a valid IBAN (mod-97 = 1, and the country's length and format)."""
    compact = "".join(value.split()).upper()
    try:
        return str(IBAN(compact).compact)
    except (SchwiftyException, ValueError) as exc:
        # The message names the fault, never the value (it must not reach a log).
        raise InvalidClaimData(field, f"not a valid IBAN: {_fault(exc)}") from None


def mask_iban(iban: str) -> str:
    """What anyone may see of an IBAN: its first 4 characters, `*`, its last 4."""
    return f"{iban[:4]}*{iban[-4:]}"


def _fault(exc: Exception) -> str:
    name = type(exc).__name__  # InvalidChecksumDigits -> "invalid checksum digits"
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
