"""The management pages: log in, the dashboard as of any day, and a claim's page.

Server-rendered with Jinja2; charts with plotly.js served from the installed `plotly` package
(no CDN: the pages work offline). Managers and admins only (PAGE_ROLES). A login through the
form (CSRF token, same origin, throttled) opens a server-side page session whose opaque id is
the cookie; logout is a POST that ends it (services/http/sessions.py, docs/adr/0018). No
health data on the dashboard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

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
from services.http.problems import problem_response
from services.http.sessions import (
    LOGIN_FORM_SECONDS,
    PageSessions,
    Throttled,
    client_address,
    form_media_type,
    new_random_id,
    parse_form,
    same_origin,
    well_formed,
)


def _page_context(request: Request) -> dict[str, Any]:
    """What every page's layout needs: the logout form's CSRF token when logged in."""
    return {"logout_csrf": getattr(request.state, "logout_csrf", None)}


router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    directory=str(Path(__file__).with_name("templates")), context_processors=[_page_context]
)
# Who may open each page; the login accepts the roles that have at least one page.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "dashboard": frozenset({Role.MANAGER, Role.ADMIN}),
    "claim": frozenset({Role.MANAGER, Role.ADMIN}),
}
LOGIN_ROLES: frozenset[Role] = frozenset().union(*PAGE_ROLES.values())
NO_STORE = {"Cache-Control": "no-store"}
PAGE_SIZE = 50  # clocks per page of the breached and at-risk lists
ZERO = Decimal("0.00")
CLOCK_LISTS = {"breached": ClockState.BREACHED, "at_risk": ClockState.AT_RISK}


def _sessions(request: Request) -> PageSessions:
    sessions: PageSessions = request.app.state.sessions
    return sessions


def _session(request: Request) -> tuple[str, Principal] | None:
    """The live page session of the request's cookie, with whom it belongs to. A session
    whose user and role no configured token has any more is ended."""
    sessions = _sessions(request)
    session_id = request.cookies.get(sessions.session_cookie, "")
    principal = sessions.find(session_id) if session_id else None
    if principal is None:
        return None
    registry: TokenRegistry = request.app.state.tokens
    if not registry.knows(principal):
        sessions.end(session_id)
        return None
    request.state.logout_csrf = sessions.csrf_token(session_id, "logout")
    return session_id, principal


def _principal(request: Request, page: str) -> Principal | None:
    """The logged-in user, if their role may open `page`."""
    found = _session(request)
    if found is None or found[1].role not in PAGE_ROLES[page]:
        return None
    request.state.actor = found[1].user_id
    return found[1]


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


def _safe_target(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"  # never redirect off-site
    return target


def _login_page(
    request: Request,
    target: str,
    *,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The login form, with a CSRF token bound to a pre-session cookie (kept if the browser
    has a well-formed one, so that a second tab's form stays good)."""
    sessions = _sessions(request)
    pre_session = request.cookies.get(sessions.login_cookie, "")
    if not well_formed(pre_session):
        pre_session = new_random_id()
    response = templates.TemplateResponse(
        request,
        "login.html",
        {
            "next": target,
            "error": error,
            "csrf": sessions.csrf_token(pre_session, "login"),
            "roles": sorted(role.value for role in LOGIN_ROLES),
        },
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )
    response.set_cookie(
        sessions.login_cookie,
        pre_session,
        max_age=LOGIN_FORM_SECONDS,
        path="/",
        secure=sessions.policy.secure,
        httponly=True,
        samesite="strict",
    )
    return response


def _refused(detail: str, status: int = 403) -> Response:
    rule, title = {
        403: ("cross-site-request", "Cross-site request refused"),
        415: ("unsupported-media-type", "Unsupported media type"),
    }[status]
    return problem_response(status, rule, title, detail)


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request, _safe_target(request.query_params.get("next")))


@router.post("/login")
async def login(request: Request) -> Response:
    if not form_media_type(request):
        return _refused("the login form is sent as application/x-www-form-urlencoded", 415)
    if not same_origin(request):
        return _refused("the login form is posted from this site's own pages")
    form = parse_form(await request.body())
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: dict[str, str]) -> Response:
    sessions = _sessions(request)
    target = _safe_target(form.get("next"))
    pre_session = request.cookies.get(sessions.login_cookie, "")
    if not (
        well_formed(pre_session)
        and sessions.csrf_valid(form.get("csrf", ""), pre_session, "login", LOGIN_FORM_SECONDS)
    ):
        error = "This form has expired or did not come from this site: log in again."
        return _login_page(request, target, error=error, status=403)
    token = form.get("token", "").strip()
    registry: TokenRegistry = request.app.state.tokens

    def authenticate() -> Principal | None:
        principal = registry.authenticate(token) if token else None
        return principal if principal is not None and principal.role in LOGIN_ROLES else None

    outcome = sessions.throttled_login(client_address(request), authenticate)
    if isinstance(outcome, Throttled):
        minutes = -(-outcome.retry_after // 60)
        error = f"Too many failed logins from your address: try again in {minutes} min."
        return _login_page(
            request,
            target,
            error=error,
            status=429,
            headers={"Retry-After": str(outcome.retry_after)},
        )
    if outcome is None:
        roles = " and ".join(f"{role.value}s" for role in sorted(LOGIN_ROLES))
        error = f"Unknown token, or not one of a role with pages ({roles})"
        return _login_page(request, target, error=error, status=401)
    previous = request.cookies.get(sessions.session_cookie, "")
    if previous:
        sessions.end(previous)  # a new id at every login
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        sessions.session_cookie,
        sessions.open(outcome),
        max_age=int(sessions.policy.absolute.total_seconds()),
        path="/",
        secure=sessions.policy.secure,
        httponly=True,
        samesite="strict",
    )
    response.delete_cookie(
        sessions.login_cookie,
        path="/",
        secure=sessions.policy.secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/logout")
def logout_page(request: Request) -> Response:
    """Logging out is a POST: a GET (an old link, a prefetch) shows the form and ends
    nothing."""
    if _session(request) is None:
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(request, "logout.html", {}, headers=NO_STORE)


@router.post("/logout")
async def logout(request: Request) -> Response:
    if not form_media_type(request):
        return _refused("the logout form is sent as application/x-www-form-urlencoded", 415)
    if not same_origin(request):
        return _refused("the logout form is posted from this site's own pages")
    form = parse_form(await request.body())
    return await run_in_threadpool(_logout, request, form)


def _logout(request: Request, form: dict[str, str]) -> Response:
    sessions = _sessions(request)
    found = _session(request)
    if found is not None:
        max_age = int(sessions.policy.absolute.total_seconds())
        if not sessions.csrf_valid(form.get("csrf", ""), found[0], "logout", max_age):
            error = "This form did not come from this session: log out here."
            return templates.TemplateResponse(
                request, "logout.html", {"error": error}, status_code=403, headers=NO_STORE
            )
        sessions.end(found[0])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        sessions.session_cookie,
        path="/",
        secure=sessions.policy.secure,
        httponly=True,
        samesite="strict",
    )
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
    if _principal(request, "dashboard") is None:
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
    if _principal(request, "claim") is None:
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
                (
                    step.amount if step.what == "paid" else -step.amount
                    for step in steps
                    if step.what in ("paid", "failed", "returned") and step.set_aside
                ),
                ZERO,
            ),
        },
    )


@dataclass(frozen=True)
class IndemnityStep:
    """One decision or payment on the claim's indemnity, as its events tell it."""

    version: int
    on: date
    what: str  # accepted, refused, reopened, paid, failed, returned
    amount: Decimal  # the indemnity accepted, the money paid or taken back (0 for the others)
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
        elif entry.type in ("Settled", "PaymentIssued"):
            # A round-1 settlement is an issued final payment (docs/adr/0022-money-ledger.md).
            settled = entry.type == "Settled"
            steps.append(
                IndemnityStep(
                    entry.version,
                    data["paid_on"] if settled else data["issued_on"],
                    "paid",
                    data["amount"],
                    entry.actor,
                    data["reference"] if settled else data["bank_reference"],
                )
            )
        elif entry.type in ("PaymentFailed", "PaymentReturned"):
            what = "failed" if entry.type == "PaymentFailed" else "returned"
            steps.append(
                IndemnityStep(entry.version, data["failed_on"], what, data["amount"], entry.actor)
            )
        elif entry.type == "Reopened":
            steps = [replace(step, set_aside=True) for step in steps]
            steps.append(
                IndemnityStep(entry.version, data["reopened_on"], "reopened", ZERO, entry.actor)
            )
    return steps
