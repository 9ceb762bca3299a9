"""The reports downloaded from the dashboard (docs/adr/0029): the same reports as
`/api/v1/reports/*`, for a browser that holds a page session rather than a bearer token.

GETs that change nothing (no CSRF token needed), for the API's report readers (managers,
auditors, admins); not in the OpenAPI document, like the pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from domain.reporting import Basis, Origin, Period, Step
from projections.runner import ProjectionRunner
from services.application import ClaimsApplication
from services.http import reports
from services.http.auth import Principal, Role
from services.http.deps import as_of_day, today_in_paris
from services.http.problems import HTTPProblem
from services.http.read_models import consistent_runner
from services.http.schemas import Day
from services.http.sessions import PageSessions
from services.reports.output import ReportFormat

router = APIRouter(prefix="/reports", include_in_schema=False)
READERS = frozenset({Role.MANAGER, Role.AUDITOR, Role.ADMIN})


def session_reader(request: Request) -> Principal:
    """The page session's user, if they read reports."""
    sessions = cast("PageSessions", request.app.state.sessions)
    session_id = request.cookies.get(sessions.session_cookie, "")
    principal = sessions.find(session_id) if session_id else None
    if principal is None:
        raise HTTPProblem(401, "unauthenticated", "Unauthenticated", "log in to the pages first")
    if principal.role not in READERS:
        raise HTTPProblem(403, "forbidden", "Forbidden", f"role {principal.role} may not do this")
    request.state.actor = principal.user_id
    return principal


Reader = Annotated[Principal, Depends(session_reader)]


def _app(request: Request) -> ClaimsApplication:
    return cast("ClaimsApplication", request.app.state.claims)


def _runner(request: Request) -> ProjectionRunner:
    return consistent_runner(request, None)


@router.get("/bordereau")
def bordereau_download(
    request: Request,
    principal: Reader,
    period: Annotated[str | None, Query(description="default: the current month")] = None,
    format: ReportFormat = ReportFormat.XLSX,
) -> Response:
    month = period if period is not None else str(Period.of(today_in_paris()))
    return reports.claims_bordereau(
        _app(request), _runner(request), principal, month, None, format, None
    )


@router.get("/triangles")
def triangles_download(
    request: Request,
    principal: Reader,
    day: Annotated[date, Depends(as_of_day)],
    basis: Basis = Basis.PAID,
    origin: Origin = Origin.ACCIDENT,
    step: Step = Step.QUARTER,
) -> Response:
    body = reports.loss_triangles(_runner(request), principal, day, basis, origin, step)
    return JSONResponse(body)


@router.get("/complaints-register")
def complaints_register_download(
    request: Request,
    principal: Reader,
    received_from: Annotated[Day | None, Query(alias="from")] = None,
    received_to: Annotated[Day | None, Query(alias="to")] = None,
    as_of: Day | None = None,
    format: ReportFormat = ReportFormat.XLSX,
) -> Response:
    """Default: the current month to date."""
    today = today_in_paris()
    return reports.complaints_register(
        _app(request),
        principal,
        received_from or today.replace(day=1),
        received_to or today,
        as_of,
        format,
        None,
    )
