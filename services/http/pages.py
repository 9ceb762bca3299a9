"""The management pages: log in, the dashboard as of any day, and a claim's page.

Server-rendered with Jinja2; charts with plotly.js served from the installed `plotly` package
(no CDN: the pages work offline). Managers and admins only; the session cookie holds the
bearer token (HttpOnly, SameSite=Strict). No health data on the dashboard.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from domain.errors import ClaimError
from domain.plausibility import (
    EARLIEST_DATE,
    DateKind,
    ImplausibleInputError,
    check_business_date,
    latest_date,
    parse_business_date,
)
from domain.sla import ClockKind, ClockState
from projections.audit_trail.queries import event_counts
from projections.dashboard.queries import dashboard
from projections.sla.queries import count_states_on, list_clocks
from services.http.auth import Principal, Role, TokenRegistry
from services.http.deps import horizon_days, today_in_paris

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
COOKIE = "claims_session"
PAGE_ROLES = {Role.MANAGER, Role.ADMIN}
FUNNEL = (
    "ComplaintOpened",
    "ComplaintAcknowledged",
    "ComplaintAnswered",
    "ComplaintEscalated",
    "MediationReferred",
    "MediationConcluded",
)


def _principal(request: Request) -> Principal | None:
    token = request.cookies.get(COOKIE)
    registry: TokenRegistry = request.app.state.tokens
    principal = registry.authenticate(token) if token else None
    if principal is not None and principal.role in PAGE_ROLES:
        request.state.actor = principal.user_id
        return principal
    return None


def _login_redirect(request: Request) -> RedirectResponse:
    target = quote(str(request.url.path) + ("?" + request.url.query if request.url.query else ""))
    return RedirectResponse(f"/login?next={target}", status_code=303)


class _BadAsOfError(Exception):
    """A page's as_of that is malformed or outside the window: answered with a page."""

    def __init__(self, given: str, earliest: date, latest: date) -> None:
        super().__init__(given)
        self.given = given
        self.earliest = earliest
        self.latest = latest


def _as_of(request: Request) -> date:
    """The day a page shows: today in Paris unless `as_of` is given (an empty one counts as
    not given); a malformed or implausible one raises _BadAsOfError, never falls back to today."""
    today = today_in_paris()
    given = request.query_params.get("as_of", "")
    if not given:
        return today
    horizon = horizon_days(request)
    try:
        day = parse_business_date(given)
        return check_business_date(day, DateKind.PLANNED, today=today, horizon_days=horizon)
    except ImplausibleInputError:
        latest = latest_date(DateKind.PLANNED, today=today, horizon_days=horizon)
        raise _BadAsOfError(given, EARLIEST_DATE, latest) from None


def _bad_as_of_page(request: Request, bad: _BadAsOfError) -> Response:
    """422: the date refused, the dates accepted, and a form to pick another."""
    return templates.TemplateResponse(
        request,
        "invalid_date.html",
        {"given": bad.given, "earliest": bad.earliest, "latest": bad.latest},
        status_code=422,
    )


@router.get("/login")
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"next": request.query_params.get("next", "/dashboard")}
    )


@router.post("/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    target = (form.get("next") or ["/dashboard"])[0]
    if not target.startswith("/") or target.startswith("//"):
        target = "/dashboard"  # never redirect off-site
    principal = request.app.state.tokens.authenticate(token) if token else None
    if principal is None or principal.role not in PAGE_ROLES:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": target, "error": "Unknown token, or not a manager's"},
            status_code=401,
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=8 * 3600)
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    path = resources.files("plotly").joinpath("package_data/plotly.min.js")
    return FileResponse(
        str(path),
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _month_ends(as_of: date, months: int = 12) -> list[date]:
    ends = []
    for back in range(months - 1, 0, -1):
        first = as_of.replace(day=1) - relativedelta(months=back - 1)
        ends.append(first - timedelta(days=1))
    return [*ends, as_of]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    if _principal(request) is None:
        return _login_redirect(request)
    try:
        as_of = _as_of(request)
    except _BadAsOfError as bad:
        return _bad_as_of_page(request, bad)
    runner = request.app.state.runner
    calendar = request.app.state.claims.calendar
    figures = dashboard(runner.store, as_of)
    breached, _ = list_clocks(
        runner.store, calendar, as_of=as_of, state=ClockState.BREACHED, limit=50
    )
    at_risk, _ = list_clocks(
        runner.store, calendar, as_of=as_of, state=ClockState.AT_RISK, limit=50
    )
    insurer_clocks = [
        k.value
        for k in ClockKind
        if k not in (ClockKind.MEDIATION_REFERRAL, ClockKind.PRESCRIPTION)
    ]
    history: dict[str, list[Any]] = {"months": [], **{k: [] for k in insurer_clocks}}
    month_ends = _month_ends(as_of)
    by_month = count_states_on(runner.store, month_ends)
    for day in month_ends:
        states = by_month[day]
        history["months"].append(day.isoformat())
        for kind in insurer_clocks:
            done = states[kind]["met"] + states[kind]["missed"]
            history[kind].append(round(100 * states[kind]["met"] / done, 1) if done else None)
    funnel = list(event_counts(runner.store, FUNNEL, as_of.isoformat()).items())
    ages = figures["ageing"]
    context = {
        "as_of": as_of,
        "figures": figures,
        "breached": breached,
        "at_risk": at_risk,
        "over_30": ages["31-60"] + ages["61-90"] + ages["over-90"],
        "over_60": ages["61-90"] + ages["over-90"],
        "over_90": ages["over-90"],
        "charts": json.dumps(
            {
                "history": history,
                "funnel": funnel,
                "by_status": figures["by_status"],
                "by_contract": figures["by_contract"],
            }
        ),
    }
    return templates.TemplateResponse(request, "dashboard.html", context)


@router.get("/claims/{claim_number}", response_class=HTMLResponse)
def claim_page(request: Request, claim_number: str) -> Response:
    if _principal(request) is None:
        return _login_redirect(request)
    app = request.app.state.claims
    try:
        as_of = _as_of(request)
    except _BadAsOfError as bad:
        return _bad_as_of_page(request, bad)
    try:
        claim = app.find_by_number(claim_number)
    except ClaimError:
        return templates.TemplateResponse(
            request, "not_found.html", {"claim_number": claim_number}, status_code=404
        )
    clocks = sorted(app.sla_clocks(claim.id, as_of=as_of), key=lambda s: s.clock.due_on)
    history = app.history(claim.id)
    return templates.TemplateResponse(
        request,
        "claim.html",
        {"claim": claim, "clocks": clocks, "history": history, "as_of": as_of},
    )
