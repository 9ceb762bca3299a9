"""The declarant: who declared the claim and how to reach them (api.md v2 §3, §5).

The checks are here, once; the values the `Declared` event records come sealed by the service
layer (the field cipher: the domain never sees a key), each with the subject id the service
layer drew for the person (api.md v2 §6: a subject per person of a claim).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from uuid import UUID

from domain.errors import InvalidClaimData

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_MOBILE_SEPARATORS = re.compile(r"[\s.()/-]")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_FRENCH_NATIONAL = re.compile(r"^0[67][0-9]{8}$")


@dataclass(frozen=True)
class Declarant:
    """The declarant as recorded: the subject id and the sealed name and contacts."""

    subject_id: UUID
    name: str
    email: str | None
    mobile: str | None


def normalise_email(value: str, field: str = "declarant.email") -> str:
    """The address with its domain in lower case, if it has the form local@domain.tld."""
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) > MAX_EMAIL_LENGTH or not _EMAIL.match(text):
        raise InvalidClaimData(field, "not an e-mail address such as jeanne.martin@example.fr")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_mobile(value: str, field: str = "declarant.mobile") -> str:
    """The number in E.164 (`+33612345678`): a French mobile written nationally (06 or 07 and
    8 digits), or an international number (`+` or `00`, a country code and 8 to 15 digits in
    all); a French number given internationally must be a mobile (+33 6 or +33 7)."""
    compact = _MOBILE_SEPARATORS.sub("", value.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if _FRENCH_NATIONAL.match(compact):
        compact = "+33" + compact[1:]
    if not _E164.match(compact):
        raise InvalidClaimData(
            field, "not a mobile number such as 06 12 34 56 78 or +33 6 12 34 56 78"
        )
    if compact.startswith("+33") and not re.match(r"^\+33[67][0-9]{8}$", compact):
        raise InvalidClaimData(field, "a French mobile number starts with 06 or 07 (+33 6, +33 7)")
    return compact


def validated_contacts(
    name: str, email: str | None, mobile: str | None
) -> tuple[str, str | None, str | None]:
    """The declarant's name (trimmed, NFC) and normalised contacts: at least one of them, to
    reach the declarant (the receipt, the reminders)."""
    clean_name = unicodedata.normalize("NFC", name.strip())
    if not clean_name:
        raise InvalidClaimData("declarant.name", "must not be empty")
    clean_email = normalise_email(email) if email is not None and email.strip() else None
    clean_mobile = normalise_mobile(mobile) if mobile is not None and mobile.strip() else None
    if clean_email is None and clean_mobile is None:
        raise InvalidClaimData("declarant.email", "give an e-mail address or a mobile number")
    return clean_name, clean_email, clean_mobile
