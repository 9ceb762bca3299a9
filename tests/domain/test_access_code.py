"""The access code and the declarant's contacts (api.md v2 §3; docs/adr/0033)."""

from __future__ import annotations

import pytest

from domain.access_code import (
    ALPHABET,
    LENGTH,
    access_code_matches,
    hash_access_code,
    is_code_hash,
    new_access_code,
    normalise_access_code,
)
from domain.declarant import normalise_email, normalise_mobile, validated_contacts
from domain.errors import InvalidClaimData

SALT = b"0123456789abcdef"


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set("ILO01") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


def test_a_code_is_eight_characters_of_the_alphabet() -> None:
    code = new_access_code([0, 1, 2, 3, 27, 28, 29, 30])
    assert code == "ABCD6789"
    assert len(code) == LENGTH
    with pytest.raises(ValueError, match="indexes"):
        new_access_code([0] * 7)
    with pytest.raises(ValueError, match="indexes"):
        new_access_code([31] * 8)


def test_a_code_matches_its_hash_only_and_is_typed_loosely() -> None:
    code_hash = hash_access_code("ABCD6789", SALT)
    assert is_code_hash(code_hash)
    assert "ABCD6789" not in code_hash
    assert access_code_matches("ABCD6789", code_hash)
    assert access_code_matches("abcd-6789", code_hash)
    assert access_code_matches(" abcd 6789 ", code_hash)
    assert not access_code_matches("ABCD6788", code_hash)
    assert not access_code_matches("", code_hash)
    assert not access_code_matches("ABCD6789", "plain")


def test_the_same_code_hashes_differently_with_another_salt() -> None:
    assert hash_access_code("ABCD6789", SALT) != hash_access_code("ABCD6789", b"f" * 16)


def test_codes_outside_the_alphabet_are_not_codes() -> None:
    assert normalise_access_code("ABCDEFG1") is None  # 1 is not in the alphabet
    assert normalise_access_code("ABCDEFGHJ") is None  # nine characters
    assert normalise_access_code("abcdefgh") == "ABCDEFGH"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("07.12.34.56.78", "+33712345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_mobiles_are_kept_in_e164(given: str, expected: str) -> None:
    assert normalise_mobile(given) == expected


@pytest.mark.parametrize("given", ["01 23 45 67 89", "+33 1 23 45 67 89", "12345", "06 12 34"])
def test_implausible_mobiles_are_refused_naming_the_field(given: str) -> None:
    with pytest.raises(InvalidClaimData) as refused:
        normalise_mobile(given)
    assert refused.value.field == "declarant.mobile"


def test_emails_are_checked_and_their_domain_lowered() -> None:
    assert normalise_email(" Jeanne.Martin@Example.FR ") == "Jeanne.Martin@example.fr"
    for bad in ("jeanne", "jeanne@", "@example.fr", "jeanne@example", "a b@example.fr"):
        with pytest.raises(InvalidClaimData):
            normalise_email(bad)


def test_a_declarant_needs_a_name_and_a_way_to_be_reached() -> None:
    assert validated_contacts("Jeanne\u0301", "j@example.fr", None)[0] == "Jeanne\u0301".replace(
        "e\u0301", "é"
    )
    with pytest.raises(InvalidClaimData, match=r"declarant\.email"):
        validated_contacts("Jeanne", None, " ")
    with pytest.raises(InvalidClaimData, match=r"declarant\.name"):
        validated_contacts(" ", "j@example.fr", None)
