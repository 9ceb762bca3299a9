"""For auditors: a claim's history, the claim as of a version or a recorded time, what
changed between two versions, and the audit trail as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.errors import ClaimError
from services.http import audit_labels
from services.http.pages import (
    _guard,
    _invalid,
    _language,
    _t,
    templates,
)
from services.http.views import claim_body

router = APIRouter(include_in_schema=False)


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A claim body as `field: value` lines, nested keys dotted, list items numbered."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return {prefix: "" if value is None else str(value)}
    lines: dict[str, str] = {}
    for key, item in items:
        lines.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    if not items and prefix:
        lines[prefix] = ""
    return lines


def _body_lines(claim: Any) -> dict[str, str]:
    return flatten(claim_body(claim).model_dump(mode="json"))


@router.get("/claims/{claim_number}/audit", response_class=HTMLResponse)
def audit_page(request: Request, claim_number: str) -> Response:
    """For auditors: the claim's history, the claim as of a version or a recorded time, and
    what changed between two versions (each field of the claim's body, old -> new)."""
    who = _guard(request, "audit")
    if isinstance(who, Response):
        return who
    app = request.app.state.claims
    try:
        current = app.find_by_number(claim_number)
    except ClaimError:
        return templates.TemplateResponse(
            request, "not_found.html", {"claim_number": claim_number}, status_code=404
        )
    history = app.history(current.id)
    params = request.query_params

    def version_of(name: str, default: int) -> int | Response:
        given = params.get(name, "")
        if not given:
            return default
        if not given.isdigit() or not 1 <= int(given) <= current.version:
            return _invalid(
                request, name, _t(request, "a version of this claim, 1 to %(n)s", n=current.version)
            )
        return int(given)

    at_text = params.get("at", "")
    if at_text:
        try:
            at = datetime.fromisoformat(at_text)
        except ValueError:
            return _invalid(request, "at", _t(request, "a recorded time such as 2026-03-04T10:00Z"))
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        try:
            shown = app.claim_as_of(current.id, at)
        except ClaimError:
            return _invalid(request, "at", _t(request, "the claim did not exist yet"))
        version = shown.version
    else:
        asked = version_of("version", current.version)
        if isinstance(asked, Response):
            return asked
        version = asked
        shown = app.get_claim(current.id, version=version)
    compare = version_of("compare", max(version - 1, 1))
    if isinstance(compare, Response):
        return compare
    before = _body_lines(app.get_claim(current.id, version=compare))
    after = _body_lines(shown)
    lang = _language(request)
    # Each changed field: its key (kept as data-code), its words, old -> new as shown.
    changes = [
        (
            name,
            audit_labels.field_label(lang, name),
            audit_labels.field_value(lang, name, before.get(name, "")),
            audit_labels.field_value(lang, name, after.get(name, "")),
        )
        for name in sorted(set(before) | set(after))
        if before.get(name, "") != after.get(name, "")
    ]
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "claim": shown,
            "current": current,
            "history": history,
            "lines": audit_labels.labelled(lang, after),
            "compare": compare,
            "changes": changes,
            "at": at_text,
        },
    )


@router.get("/claims/{claim_number}/audit.csv")
def audit_csv(request: Request, claim_number: str) -> Response:
    """The audit trail as CSV: version, event, actor, business date, recorded time (UTC)."""
    who = _guard(request, "audit")
    if isinstance(who, Response):
        return who
    app = request.app.state.claims
    try:
        claim = app.find_by_number(claim_number)
    except ClaimError:
        return templates.TemplateResponse(
            request, "not_found.html", {"claim_number": claim_number}, status_code=404
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["version", "event", "actor", "business_date", "recorded_at"])
    for entry in app.history(claim.id):
        writer.writerow(
            [
                entry.version,
                entry.type,
                entry.actor,
                entry.business_date.isoformat(),
                entry.recorded_at.astimezone(UTC).isoformat(),
            ]
        )
    name = f"audit-{claim.claim_number}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
