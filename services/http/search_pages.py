"""The search page for staff: claims by claim number, subscription number or insured name
(services/http/search.py, docs/adr/0030-claim-search.md). The names shown are read from each
claim found, as the claim page reads them; the search itself compares keyed hashes only."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.plausibility import LINE, ImplausibleInputError, plausible_text
from services.http.pages import _guard, _invalid, _t, templates
from services.http.search import find

router = APIRouter(include_in_schema=False)
PAGE_RESULTS = 50


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    who = _guard(request, "search")
    if isinstance(who, Response):
        return who
    given = request.query_params.get("q", "")
    try:
        query = plausible_text(given, LINE).strip() if given else ""
    except ImplausibleInputError:
        return _invalid(
            request, "q", _t(request, "a claim number, a subscription number or a name")
        )
    results = []
    searched = True
    if query:
        rows, searched = find(request, request.app.state.runner.store, query, PAGE_RESULTS)
        app = request.app.state.claims
        for row in rows:
            claim = app.get_claim(UUID(str(row["claim_id"])))
            results.append({**row, "insured": [person.name for person in claim.insured]})
    return templates.TemplateResponse(
        request,
        "search.html",
        {"query": query, "results": results, "names_searched": searched, "limit": PAGE_RESULTS},
    )
