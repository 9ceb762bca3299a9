"""Finding claims by number, subscription number or insured name; forgetting a claim's names."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from projections.search.fold import NAME_KINDS, SEARCH, NameHasher, normalise, number_term, words
from projections.store import ReadStore

COLUMNS = ("claim_id", "claim_number", "contract", "status", "declared_on")
MAX_WORDS = 8  # of a name searched


def search_claims(
    store: ReadStore, query: str, *, hasher: NameHasher | None, limit: int = 50
) -> tuple[list[dict[str, Any]], bool]:
    """The claims whose claim number or subscription number is `query` (exactly, whatever
    the case), or one of whose insured has `query` as whole name or has each of its words in
    their name (compared by keyed hash), most recently declared first; and whether names were
    searched (not without a hasher). Status, contract and date: the claims list's."""
    number = number_term(query)
    conditions = ["(kind = 'claim' AND term = ?)", "(kind = 'subscription' AND term = ?)"]
    params: list[Any] = [number, number]
    searched = hasher is not None and bool(words(query))
    if hasher is not None and searched:
        given = sorted(set(words(query)))[:MAX_WORDS]
        conditions.append("(kind = 'name' AND term = ?)")
        params.append(hasher("name:" + normalise(query)))
        marks = ", ".join("?" for _ in given)
        word_match = (
            f"SELECT claim_id FROM {SEARCH.name} WHERE kind = 'word' AND term IN ({marks}) "
            "GROUP BY claim_id HAVING COUNT(DISTINCT term) = ?"
        )
        params_words: list[Any] = [*(hasher("word:" + word) for word in given), len(given)]
    else:
        word_match, params_words = "", []
    matching = f"SELECT claim_id FROM {SEARCH.name} WHERE " + " OR ".join(conditions)
    if word_match:
        matching += " UNION " + word_match
    rows = store.query(
        f"SELECT {', '.join('c.' + c for c in COLUMNS)} FROM claims c "
        f"WHERE c.claim_id IN ({matching}) "
        "ORDER BY c.declared_on DESC, c.claim_number LIMIT ?",
        [*params, *params_words, limit],
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows], searched


def forget(store: ReadStore, claim_id: UUID | str) -> int:
    """Erase a claim's names from the search read model (its rows and its kept state), for
    the personal-data erasure; its numbers stay searchable. The number of rows removed.

    The names come back if the read model is rebuilt from events that still hold them: the
    erasure must erase them from the events too (docs/adr/0030-claim-search.md)."""
    key = str(claim_id)
    marks = ", ".join("?" for _ in NAME_KINDS)
    with store.transaction() as tx:
        found = tx.query(
            f"SELECT COUNT(*) FROM {SEARCH.name} WHERE claim_id = ? AND kind IN ({marks})",
            (key, *NAME_KINDS),
        )
        tx.execute(
            f"DELETE FROM {SEARCH.name} WHERE claim_id = ? AND kind IN ({marks})",
            (key, *NAME_KINDS),
        )
        for (state,) in tx.query(
            f"SELECT state FROM {SEARCH.name}_state WHERE claim_id = ?", (key,)
        ):
            kept = json.loads(state)
            kept["terms"] = [t for t in kept["terms"] if t[0] not in NAME_KINDS]
            tx.execute(
                f"UPDATE {SEARCH.name}_state SET state = ? WHERE claim_id = ?",
                (json.dumps(kept, sort_keys=True), key),
            )
    return int(found[0][0])
