"""The management pages: log in, the dashboard as of any day, and a claim's page.

Server-rendered with Jinja2; charts with plotly.js served from the installed `plotly` package
(no CDN: the pages work offline). Managers and admins only; the session cookie holds the
bearer token (HttpOnly, SameSite=Strict). No health data on the dashboard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
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
from domain.values import ClaimStatus
from projections.dashboard.queries import dashboard
from projections.paging import BadCursor
from projections.sla.queries import ClockPage, count_states_on, page_clocks
from services.application import HistoryEntry
from services.http.auth import Principal, Role, TokenRegistry
from services.http.deps import horizon_days, today_in_paris

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
COOKIE = "claims_session"
PAGE_ROLES = {Role.MANAGER, Role.ADMIN}
PAGE_SIZE = 50  # clocks per page of the breached and at-risk lists
ZERO = Decimal("0.00")
CLOCK_LISTS = {"breached": ClockState.BREACHED, "at_risk": ClockState.AT_RISK}


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


def static_files() -> StaticFiles:
    """The pages' scripts and styles (services/http/static): files, never inline, under the
    pages' Content-Security-Policy (services/http/security_headers.py)."""
    return StaticFiles(directory=str(Path(__file__).with_name("static")))


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


def _invalid(request: Request, field: str, detail: str) -> Response:
    return templates.TemplateResponse(
        request, "invalid.html", {"field": field, "detail": detail}, status_code=422
    )


@dataclass(frozen=True)
class ClockList:
    """One of the dashboard's clock lists: a page of it, its true size and links around it."""

    total: int
    page: ClockPage
    next_url: str | None
    previous_url: str | None


def _clock_lists(request: Request, as_of: date, figures: dict[str, Any]) -> dict[str, ClockList]:
    """The breached and at-risk lists, each paged by its own `<list>_after` or `<list>_before`
    cursor (the other list's stays in the links). BadCursor names the bad parameter."""
    runner = request.app.state.runner
    calendar = request.app.state.claims.calendar
    cursors = {
        f"{name}_{side}": request.query_params[f"{name}_{side}"]
        for name in CLOCK_LISTS
        for side in ("after", "before")
        if f"{name}_{side}" in request.query_params
    }

    def link(name: str, side: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        kept = {k: v for k, v in cursors.items() if not k.startswith(f"{name}_")}
        query = urlencode({"as_of": as_of.isoformat(), **kept, f"{name}_{side}": cursor})
        return f"/dashboard?{query}#{name.replace('_', '-')}"

    lists = {}
    for name, state in CLOCK_LISTS.items():
        after, before = cursors.get(f"{name}_after"), cursors.get(f"{name}_before")
        try:
            page = page_clocks(
                runner.store,
                calendar,
                as_of=as_of,
                state=state,
                limit=PAGE_SIZE,
                after=after,
                before=before,
            )
        except BadCursor as exc:
            raise BadCursor(f"{name}_after" if after else f"{name}_before") from exc
        lists[name] = ClockList(
            total=figures[f"{name}_clocks"],
            page=page,
            next_url=link(name, "after", page.next_cursor),
            previous_url=link(name, "before", page.previous_cursor),
        )
    return lists


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    if _principal(request) is None:
        return _login_redirect(request)
    try:
        as_of = _as_of(request)
    except _BadAsOfError as bad:
        return _bad_as_of_page(request, bad)
    runner = request.app.state.runner
    figures = dashboard(runner.store, as_of)
    try:
        clock_lists = _clock_lists(request, as_of, figures)
    except BadCursor as exc:
        return _invalid(request, str(exc), "not a cursor of this list; start from its first page")
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
    ages = figures["ageing"]
    context = {
        "as_of": as_of,
        "figures": figures,
        "definitions": figures["definitions"],
        "breached": clock_lists["breached"],
        "at_risk": clock_lists["at_risk"],
        "page_size": PAGE_SIZE,
        "over_30": ages["31-60"] + ages["61-90"] + ages["over-90"],
        "over_60": ages["61-90"] + ages["over-90"],
        "over_90": ages["over-90"],
        "charts": json.dumps(
            {
                "history": history,
                "complaint_stages": figures["complaint_stages"],
                "by_status": {
                    status.value: figures["by_status"].get(status.value, 0)
                    for status in ClaimStatus
                },
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
    steps = indemnity_history(history)
    return templates.TemplateResponse(
        request,
        "claim.html",
        {
            "claim": claim,
            "clocks": clocks,
            "history": history,
            "as_of": as_of,
            "indemnity_history": steps,
            "paid_before_reopening": sum(
                (step.amount for step in steps if step.what == "paid" and step.set_aside),
                ZERO,
            ),
        },
    )


@dataclass(frozen=True)
class IndemnityStep:
    """One decision or payment on the claim's indemnity, as its events tell it."""

    version: int
    on: date
    what: str  # accepted, refused, reopened, paid
    amount: Decimal  # the indemnity accepted, or the money paid (0 for the others)
    actor: str
    reference: str | None = None  # a payment's
    set_aside: bool = False  # an acceptance or payment before a later reopening


def indemnity_history(history: list[HistoryEntry]) -> list[IndemnityStep]:
    """Every acceptance (date, amount), refusal, reopening and payment, in order. Reasons are
    free text and stay in the event store (no health data on the pages)."""
    steps: list[IndemnityStep] = []
    for entry in history:
        data = entry.data
        if entry.type == "Accepted":
            amount = data["indemnity"].total
            steps.append(
                IndemnityStep(entry.version, data["decided_on"], "accepted", amount, entry.actor)
            )
        elif entry.type == "Refused":
            steps.append(
                IndemnityStep(entry.version, data["decided_on"], "refused", ZERO, entry.actor)
            )
        elif entry.type == "Settled":
            steps.append(
                IndemnityStep(
                    entry.version,
                    data["paid_on"],
                    "paid",
                    data["amount"],
                    entry.actor,
                    data["reference"],
                )
            )
        elif entry.type == "Reopened":
            steps = [replace(step, set_aside=True) for step in steps]
            steps.append(
                IndemnityStep(entry.version, data["reopened_on"], "reopened", ZERO, entry.actor)
            )
    return steps
