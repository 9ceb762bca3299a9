"""The search read model: one row per searchable term of a claim, from its declaration.

A claim is found by its claim number, its subscription number (neither is personal: kept as
they are) or an insured person's name, which is personal data: the table keeps only a keyed
hash (HMAC-SHA256, the key from the settings, docs/adr/0030-claim-search.md) of the normalised
name, whole and word by word. The hasher is given by services/wiring.py (projections import
no key and no infra). Without a hasher no name is kept, and names are not searchable.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar, Protocol
from uuid import UUID

from domain.claim import Claim
from projections.base import Projection, Row, State, Table


class NameHasher(Protocol):
    """A normalised name or word -> its keyed hash (hex); given by services/wiring.py."""

    @property
    def key_id(self) -> int:
        """A number that changes with the key (never the key): another key, other hashes."""

    def __call__(self, text: str) -> str: ...


SEARCH = Table(
    "claim_search",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("kind", "TEXT NOT NULL"),  # claim, subscription, name (whole), word (one word of it)
        ("term", "TEXT NOT NULL"),  # the number as declared; a name's keyed hash
    ),
    ("claim_id", "kind", "term"),
    (("kind", "term"),),
)
NUMBER_KINDS = ("claim", "subscription")
NAME_KINDS = ("name", "word")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Pure: the words of a name as searched: case-folded, accents stripped (NFKD, combining
    marks dropped), split on spaces and punctuation. `words("  Hélène  O'Brien ")` is
    ["helene", "o", "brien"]."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(bare)


def normalise(text: str) -> str:
    """Pure: the whole name as searched, its words joined by one space."""
    return " ".join(words(text))


def number_term(text: str) -> str:
    """A claim or subscription number as searched: trimmed, upper case."""
    return text.strip().upper()


def name_terms(name: str, hasher: NameHasher) -> list[list[str]]:
    """The (kind, keyed hash) terms of one name: the whole name and each of its words."""
    whole = normalise(name)
    if not whole:
        return []
    terms = [["name", hasher("name:" + whole)]]
    terms += [["word", hasher("word:" + word)] for word in sorted(set(words(name)))]
    return terms


class SearchProjection(Projection):
    """The claim's search terms, from its Declared event; an erasure of its personal data
    drops its names' terms (no other event changes them). Its state holds the same terms:
    hashes, never a name."""

    name: ClassVar[str] = "claim_search"
    tables: ClassVar[tuple[Table, ...]] = (SEARCH,)

    def __init__(self, hasher: NameHasher | None = None) -> None:
        self.hasher = hasher
        # Another key gives other hashes: the tables' fingerprint changes with the key's id
        # (a number derived from the key, not the key), so a new key rebuilds them from zero.
        # (An instance's own rules version: set past the class's declaration on purpose.)
        object.__setattr__(self, "rules_version", 1 if hasher is None else 2 + hasher.key_id)

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        if isinstance(event, Claim.PersonalDataErased) and state is not None:
            # Erased (docs/adr/0037): the claim is no longer found by any name.
            return {"terms": [t for t in state["terms"] if t[0] not in NAME_KINDS]}
        if not isinstance(event, Claim.Declared):
            return None
        terms = [
            ["claim", number_term(event.claim_number)],
            ["subscription", number_term(event.subscription_number)],
        ]
        if self.hasher is not None:
            for insured in event.insured:
                terms += name_terms(insured.name, self.hasher)
        unique = sorted({(kind, term) for kind, term in terms})
        return {"terms": [list(term) for term in unique]}

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        return {SEARCH.name: [(str(claim_id), kind, term) for kind, term in state["terms"]]}
