"""Reports (api.md v2 §2): the complaints register, as JSON, CSV or XLSX.

Computed from the event store when asked (services/reports); written by the shared
`services.reports.output` (docs/adr/0025), which the bordereau and triangles will use too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from services.http.auth import Principal, Role
from services.http.deps import Claims, require, today_in_paris
from services.http.problems import PROBLEM_RESPONSES, invalid_input
from services.http.schemas import Day
from services.reports.complaints import COLUMNS
from services.reports.output import ReportFormat, negotiate, render

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Readers = Annotated[Principal, Depends(require(Role.MANAGER, Role.AUDITOR))]
REPORT_RESPONSES = {
    **PROBLEM_RESPONSES,
    200: {
        "description": "The report (`format=` or Accept: JSON, CSV or XLSX; CSV and XLSX as an "
        "attachment)",
        "content": {
            "application/json": {},
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
        },
    },
}


def _period(received_from: date, received_to: date, as_of: date | None) -> date:
    """Checks the period (not in the future, in order); returns the day the report is as of."""
    today = today_in_paris()
    if received_to > today:
        raise invalid_input(
            "to", "the period is in the future", received_to.isoformat(), where="query"
        )
    if received_from > received_to:
        raise invalid_input("from", "is after to", received_from.isoformat(), where="query")
    if as_of is None:
        return today
    if as_of > today:
        raise invalid_input("as_of", "is in the future", as_of.isoformat(), where="query")
    if as_of < received_to:
        raise invalid_input("as_of", "is before to", as_of.isoformat(), where="query")
    return as_of


@router.get("/complaints-register", responses=REPORT_RESPONSES)
def complaints_register(
    app: Claims,
    _principal: Readers,
    received_from: Annotated[Day, Query(alias="from", description="received on or after")],
    received_to: Annotated[Day, Query(alias="to", description="received on or before")],
    as_of: Annotated[
        Day | None,
        Query(description="facts dated up to this day (default: today in Paris; not before to)"),
    ] = None,
    format: Annotated[
        ReportFormat | None, Query(description="default: from Accept, else json")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The register of complaints received in [from, to]: motive, root cause, delays, clocks
    breached, mediation and corrective actions (ACPR recommendation 2024-R-02). Not paged."""
    day = _period(received_from, received_to, as_of)
    body = app.complaints_register(received_from=received_from, received_to=received_to, as_of=day)
    fmt = negotiate(None if format is None else format.value, accept)
    stem = f"complaints-register_{received_from.isoformat()}_{received_to.isoformat()}"
    rendered = render(fmt, stem=stem, body=body, columns=COLUMNS)
    headers = {}
    if fmt is not ReportFormat.JSON:
        headers["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)
