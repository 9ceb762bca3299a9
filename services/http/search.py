"""Search claims by claim number, subscription number or insured name (GET
/api/v1/claims/search; the page: services/http/search_pages.py).

Names are compared through their keyed hashes only (projections/search,
docs/adr/0030-claim-search.md): the query's name is hashed with the same key, and no name is
kept or logged. Staff only: handlers, managers, auditors (and admins).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from projections.search.queries import search_claims
from projections.store import ReadStore
from services.http.auth import Principal, Role
from services.http.deps import require
from services.http.read_models import RESPONSES, Runner
from services.http.schemas import Text

router = APIRouter(prefix="/api/v1/claims", tags=["read models"])
# The staff who read claims (the medical adviser reads as an auditor does: api.md v2).
Staff = Annotated[
    Principal,
    Depends(require(Role.HANDLER, Role.MANAGER, Role.AUDITOR, Role.MEDICAL_ADVISER)),
]
MAX_RESULTS = 100


class SearchHit(BaseModel):
    claim_id: UUID
    claim_number: str
    contract: str
    status: str
    declared_on: date


class SearchResults(BaseModel):
    items: list[SearchHit]
    names_searched: bool  # false when no search key is configured (CLAIMS_SEARCH_KEY)


def find(
    request: Request, store: ReadStore, query: str, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """The claims matching `query`, most recently declared first, and whether insured names
    were searched (with the app's name hasher: services/wiring.py)."""
    hasher = getattr(request.app.state, "name_hasher", None)
    return search_claims(store, query, hasher=hasher, limit=limit)


@router.get("/search", response_model=SearchResults, responses=RESPONSES)
def search(
    request: Request,
    runner: Runner,
    _who: Staff,
    q: Annotated[
        Text,
        Query(
            description="a claim number or a subscription number (exact, any case), or an "
            "insured person's name: whole, or some of its words (case and accents ignored)"
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 20,
) -> SearchResults:
    """Claims by claim number, subscription number or insured name, most recently declared
    first. Names are searched through keyed hashes, never stored in clear; no name in the
    answer (read the claim for it)."""
    rows, searched = find(request, runner.store, q, limit)
    return SearchResults(items=[SearchHit(**row) for row in rows], names_searched=searched)
