"""The handler's worklist page: what to do next on their claims, earliest due first."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from projections.paging import BadCursor
from projections.worklist.queries import worklist
from services.http.auth import Role
from services.http.deps import today_in_paris
from services.http.pages import (
    PAGE_SIZE,
    _guard,
    _invalid,
    _t,
    templates,
)

router = APIRouter(include_in_schema=False)


@router.get("/worklist", response_class=HTMLResponse)
def worklist_page(request: Request) -> Response:
    """What to do next on the handler's claims (an admin: everybody's), earliest due first,
    paged through the worklist read model."""
    who = _guard(request, "worklist")
    if isinstance(who, Response):
        return who
    today = today_in_paris()
    cursor = request.query_params.get("after") or None
    handler = None if who.role == Role.ADMIN else who.user_id
    try:
        rows, next_cursor = worklist(
            request.app.state.runner.store, handler=handler, limit=PAGE_SIZE, cursor=cursor
        )
    except BadCursor:
        return _invalid(request, "after", _t(request, "not a cursor of this list"))
    soon = today + timedelta(days=3)
    items = []
    for row in rows:
        due = date.fromisoformat(str(row["due_on"])[:10]) if row["due_on"] else None
        urgency = "" if due is None else "breached" if due < today else ""
        if due is not None and not urgency and due <= soon:
            urgency = "at_risk"
        items.append({**row, "due_on": due, "urgency": urgency})
    return templates.TemplateResponse(
        request,
        "worklist.html",
        {
            "items": items,
            "next_url": f"/worklist?{urlencode({'after': next_cursor})}" if next_cursor else None,
            "everybody": handler is None,
            "today": today,
        },
    )
