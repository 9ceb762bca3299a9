"""The management pages: log in, the dashboard as of any day, and a claim's page.

Server-rendered with Jinja2, in French unless switched to English (services/http/i18n.py,
docs/adr/0023); charts drawn on the server as SVG (services/http/charts.py, docs/adr/0024).
Who may open each page: PAGE_ROLES. A login through the form (CSRF token, same origin,
throttled) opens a server-side page session whose opaque id is
the cookie; logout is a POST that ends it (services/http/sessions.py, docs/adr/0018). No
health data on the dashboard.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from domain.errors import ClaimError, VersionMismatch
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
from projections.worklist.queries import worklist
from services.audit import HistoryEntry
from services.http import charts, forms, i18n
from services.http.auth import STAFF_ROLES, Principal, Role, TokenRegistry
from services.http.deps import horizon_days, today_in_paris
from services.http.problems import HTTPProblem, problem_response
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
from services.http.views import claim_body


def _page_context(request: Request) -> dict[str, Any]:
    """What every page's layout needs: the logout form's CSRF token when logged in, and the
    page's language (French unless switched: services/http/i18n.py)."""
    lang = _language(request)
    other = "en" if lang == "fr" else "fr"
    here = str(request.url.path) + ("?" + request.url.query if request.url.query else "")
    return {
        "logout_csrf": getattr(request.state, "logout_csrf", None),
        "lang": lang,
        "switch_url": "/language?" + urlencode({"lang": other, "next": here}),
    }


def _language(request: Request) -> str:
    return i18n.language_of(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.query_params.get("lang")
    )


def _t(request: Request, message: str, **variables: Any) -> str:
    """A message of the pages' code (not of a template) in the request's language."""
    text = i18n.gettext(_language(request), message)
    return text % variables if variables else text


router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    directory=str(Path(__file__).with_name("templates")), context_processors=[_page_context]
)
i18n.install(templates.env)
# Who may open each page; the login accepts the roles that have at least one page.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "home": STAFF_ROLES,
    "dashboard": frozenset({Role.MANAGER, Role.ADMIN}),
    "worklist": frozenset({Role.HANDLER, Role.ADMIN}),
    "claim": STAFF_ROLES,
    "declare": frozenset({Role.HANDLER, Role.ADMIN}),
    "audit": frozenset({Role.AUDITOR, Role.MANAGER, Role.ADMIN}),
}
LOGIN_ROLES: frozenset[Role] = frozenset().union(*PAGE_ROLES.values())
ROLE_NAMES = {
    Role.HANDLER: "handlers",
    Role.MANAGER: "managers",
    Role.AUDITOR: "auditors",
    Role.ADMIN: "administrators",
    Role.MEDICAL_ADVISER: "medical advisers",
}
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
    request.state.session_id = session_id
    return session_id, principal


class _NotForYourRoleError(Exception):
    """A logged-in user whose role may not open the page: answered 403, not with the login."""


def _principal(request: Request, page: str) -> Principal | None:
    """The logged-in user, if their role may open `page`; None when nobody is logged in
    (the caller sends to the login); _NotForYourRoleError when the role may not open it."""
    found = _session(request)
    if found is None:
        return None
    request.state.actor = found[1].user_id
    if found[1].role not in PAGE_ROLES[page]:
        raise _NotForYourRoleError(page)
    return found[1]


def _forbidden_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "forbidden.html", {}, status_code=403)


def _guard(request: Request, page: str) -> Principal | Response:
    """The user who may open `page`, or the answer to give instead: the login, or 403."""
    try:
        principal = _principal(request, page)
    except _NotForYourRoleError:
        return _forbidden_page(request)
    return _login_redirect(request) if principal is None else principal


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
        return "/"  # never redirect off-site
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
            "roles": [_t(request, ROLE_NAMES[role]) for role in sorted(LOGIN_ROLES)],
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


@router.get("/language")
def switch_language(request: Request) -> Response:
    """The explicit switch between French (the default) and English: a cookie, then back to
    the page it was clicked on."""
    lang = i18n.language_of(None, request.query_params.get("lang"))
    response = RedirectResponse(_safe_target(request.query_params.get("next")), status_code=303)
    response.set_cookie(
        i18n.LANGUAGE_COOKIE, lang, max_age=365 * 86400, path="/", httponly=True, samesite="lax"
    )
    return response


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
        error = _t(request, "This form has expired or did not come from this site: log in again.")
        return _login_page(request, target, error=error, status=403)
    token = form.get("token", "").strip()
    registry: TokenRegistry = request.app.state.tokens

    def authenticate() -> Principal | None:
        principal = registry.authenticate(token) if token else None
        return principal if principal is not None and principal.role in LOGIN_ROLES else None

    outcome = sessions.throttled_login(client_address(request), authenticate)
    if isinstance(outcome, Throttled):
        minutes = -(-outcome.retry_after // 60)
        error = _t(
            request,
            "Too many failed logins from your address: try again in %(minutes)s min.",
            minutes=minutes,
        )
        return _login_page(
            request,
            target,
            error=error,
            status=429,
            headers={"Retry-After": str(outcome.retry_after)},
        )
    if outcome is None:
        roles = ", ".join(_t(request, ROLE_NAMES[role]) for role in sorted(LOGIN_ROLES))
        error = _t(
            request, "Unknown token, or not one of a role with pages (%(roles)s)", roles=roles
        )
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
            error = _t(request, "This form did not come from this session: log out here.")
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


def static_files() -> StaticFiles:
    """The pages' scripts and styles (services/http/static): files, never inline, under the
    pages' Content-Security-Policy (services/http/security_headers.py)."""
    return StaticFiles(directory=str(Path(__file__).with_name("static")))


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


@router.get("/", response_class=HTMLResponse)
def home_page(request: Request) -> Response:
    """Where a login lands: the pages of the user's role and a claim-number lookup."""
    who = _guard(request, "home")
    if isinstance(who, Response):
        return who
    number = request.query_params.get("claim_number", "").strip().upper()
    if number:
        return RedirectResponse(f"/claims/{quote(number)}", status_code=303)
    pages = [page for page in ("worklist", "dashboard") if who.role in PAGE_ROLES[page]]
    return templates.TemplateResponse(request, "home.html", {"pages": pages, "who": who})


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


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    who = _guard(request, "dashboard")
    if isinstance(who, Response):
        return who
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
    lang = _language(request)
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
        "charts": _dashboard_charts(request, lang, as_of, figures),
    }
    return templates.TemplateResponse(request, "dashboard.html", context)


@router.get("/claims/new", response_class=HTMLResponse)
def declaration_page(request: Request) -> Response:
    """The declaration form (handlers, admins): the API's declaration body as a form."""
    who = _guard(request, "declare")
    if isinstance(who, Response):
        return who
    return _declaration_page(request, {}, forms.FormOutcome(200))


def _declaration_page(
    request: Request, values: dict[str, list[str]], outcome: forms.FormOutcome
) -> Response:
    contracts = sorted(request.app.state.claims.catalogue.contracts)
    return templates.TemplateResponse(
        request,
        "declare.html",
        {
            "fields": forms.declaration_fields(contracts),
            "values": values,
            "errors": outcome.errors,
            "csrf": _command_csrf(request),
        },
        status_code=outcome.status,
    )


@router.post("/claims/new")
async def declare(request: Request) -> Response:
    body = await request.body()
    return await run_in_threadpool(_declare, request, body)


def _declare(request: Request, body: bytes) -> Response:
    who = _guard(request, "declare")
    if isinstance(who, Response):
        return who
    form = forms.parse_fields(body)
    refused = _refused_form(request, form)
    if refused is not None:
        return refused
    try:
        number = forms.declare(request, who, form)
    except (ValidationError, RequestValidationError, ClaimError, HTTPProblem) as exc:
        return _declaration_page(request, forms.form_values(form), forms.error_outcome(exc))
    return RedirectResponse(f"/claims/{quote(number)}?done=declare", status_code=303)


def _command_csrf(request: Request) -> str:
    return _sessions(request).csrf_token(request.state.session_id, "claim-command")


def _refused_form(request: Request, form: dict[str, list[str]]) -> Response | None:
    """A command form's answer before it runs: refused unless urlencoded, from this site,
    with this session's CSRF token."""
    if not form_media_type(request):
        return _refused("the form is sent as application/x-www-form-urlencoded", 415)
    if not same_origin(request):
        return _refused("the form is posted from this site's own pages")
    sessions = _sessions(request)
    token = (form.get("csrf") or [""])[0]
    max_age = int(sessions.policy.absolute.total_seconds())
    if not sessions.csrf_valid(token, request.state.session_id, "claim-command", max_age):
        return templates.TemplateResponse(
            request,
            "logout.html",
            {"error": _t(request, "This form did not come from this session: reload the page.")},
            status_code=403,
            headers=NO_STORE,
        )
    return None


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
    changes = [
        (name, before.get(name, ""), after.get(name, ""))
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
            "lines": after,
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


@router.get("/claims/{claim_number}", response_class=HTMLResponse)
def claim_page(request: Request, claim_number: str) -> Response:
    who = _guard(request, "claim")
    if isinstance(who, Response):
        return who
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
    done = request.query_params.get("done", "")
    return _claim_page(request, who, claim, as_of, done=done)


@dataclass
class ActiveForm:
    """The form being answered on a claim page: its values, messages, and a preview."""

    slug: str
    values: dict[str, list[str]]
    outcome: forms.FormOutcome
    preview: Any = None


def _claim_page(
    request: Request,
    who: Principal,
    claim: Any,
    as_of: date,
    *,
    active: ActiveForm | None = None,
    done: str = "",
) -> Response:
    app = request.app.state.claims
    clocks = sorted(app.sla_clocks(claim.id, as_of=as_of), key=lambda s: s.clock.due_on)
    history = app.history(claim.id)
    steps = indemnity_history(history)
    actions = [a for a in forms.ACTIONS.values() if who.role in a.roles]
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
            "actions": actions,
            "can_audit": who.role in PAGE_ROLES["audit"],
            "csrf": _command_csrf(request) if actions else "",
            "assessment_fields": forms.assessment_fields(claim),
            "active": active,
            "done": forms.DONE.get(done, ""),
        },
        status_code=active.outcome.status if active else 200,
    )


@router.post("/claims/{claim_number}/actions/{slug}")
async def claim_command(request: Request, claim_number: str, slug: str) -> Response:
    body = await request.body()
    return await run_in_threadpool(_claim_command, request, claim_number, slug, body)


def _claim_command(request: Request, claim_number: str, slug: str, body: bytes) -> Response:
    """Runs one command form (post-redirect-get on success); a refusal shows the claim page
    again with the form's values and the French messages next to their fields."""
    who = _guard(request, "claim")
    if isinstance(who, Response):
        return who
    action = forms.ACTIONS.get(slug)
    if action is None:
        return templates.TemplateResponse(
            request, "not_found.html", {"claim_number": claim_number}, status_code=404
        )
    if who.role not in action.roles:
        return _forbidden_page(request)
    form = forms.parse_fields(body)
    refused = _refused_form(request, form)
    if refused is not None:
        return refused
    app = request.app.state.claims
    try:
        claim = app.find_by_number(claim_number)
    except ClaimError:
        return templates.TemplateResponse(
            request, "not_found.html", {"claim_number": claim_number}, status_code=404
        )
    values = forms.form_values(form)
    version_text = (form.get("version") or [""])[0]
    version = int(version_text) if version_text.isdigit() and len(version_text) < 10 else None
    today = today_in_paris()

    def again(outcome: forms.FormOutcome, preview: Any = None) -> Response:
        # The form shown again carries the claim's current version.
        return _claim_page(
            request, who, claim, today, active=ActiveForm(slug, values, outcome, preview)
        )

    if version is None:
        return again(forms.FormOutcome(412, {"": forms.STALE}))
    step = (form.get("step") or [""])[0]
    command = forms.command_body(action, claim, form)
    complaint_id = (form.get("complaint_id") or [""])[0]
    try:
        if version != claim.version:
            raise VersionMismatch(claim_id=claim.id, expected=version, actual=claim.version)
        if slug == "accept" and step != "confirm":
            indemnity = forms.preview(claim, request, command)
            return again(forms.FormOutcome(200), indemnity)
        forms.run(
            request, action, claim, forms.context(request, who, version), command, complaint_id
        )
    except (ValidationError, RequestValidationError, ClaimError, HTTPProblem) as exc:
        outcome = forms.error_outcome(exc)
        return again(outcome)
    return RedirectResponse(
        f"/claims/{quote(claim.claim_number)}?done={quote(slug)}#actions", status_code=303
    )


def _dashboard_charts(
    request: Request, lang: str, as_of: date, figures: dict[str, Any]
) -> dict[str, Markup]:
    """The dashboard's four charts as SVG (services/http/charts.py), each colour fixed by its
    code's place in a fixed order (clock kinds, statuses, the catalogue's contracts)."""
    runner = request.app.state.runner
    nothing = i18n.gettext(lang, "no data")
    insurer_clocks = [
        k for k in ClockKind if k not in (ClockKind.MEDIATION_REFERRAL, ClockKind.PRESCRIPTION)
    ]
    month_ends = _month_ends(as_of)
    by_month = count_states_on(runner.store, month_ends)
    series = []
    for position, kind in enumerate(insurer_clocks):
        values: list[float | None] = []
        for day in month_ends:
            states = by_month[day][kind.value]
            done = states["met"] + states["missed"]
            values.append(round(100 * states["met"] / done, 1) if done else None)
        series.append(
            charts.Series(i18n.label(lang, "clock", kind), values, charts.colour(position))
        )
    months = [i18n.day(lang, day, "MMM yy") for day in month_ends]
    stages = figures["complaint_stages"]
    contracts = sorted(request.app.state.claims.catalogue.contracts)
    by_contract = figures["by_contract"]
    return {
        "sla": charts.lines(
            "chart-sla",
            i18n.gettext(lang, "SLA compliance (% met, month ends)"),
            months,
            series,
            nothing,
            lambda v: i18n.percent(lang, v),
        ),
        "complaints": charts.bars(
            "chart-complaints",
            i18n.gettext(lang, "Complaint and mediation stages reached"),
            [
                charts.Bar(
                    i18n.label(lang, "stage", stage),
                    count,
                    i18n.number(lang, count),
                    charts.colour(position),
                )
                for position, (stage, count) in enumerate(stages.items())
            ],
            nothing,
        ),
        "status": charts.bars(
            "chart-status",
            i18n.gettext(lang, "Claims by status"),
            [
                charts.Bar(
                    i18n.label(lang, "status", status),
                    figures["by_status"].get(status.value, 0),
                    i18n.number(lang, figures["by_status"].get(status.value, 0)),
                    charts.colour(position),
                )
                for position, status in enumerate(ClaimStatus)
            ],
            nothing,
        ),
        "contract": charts.bars(
            "chart-contract",
            i18n.gettext(lang, "Claims by contract"),
            [
                charts.Bar(
                    code,
                    by_contract.get(code, 0),
                    i18n.number(lang, by_contract.get(code, 0)),
                    charts.colour(position),
                )
                for position, code in enumerate(
                    [*contracts, *sorted(set(by_contract) - set(contracts))]
                )
            ],
            nothing,
        ),
    }


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
            # A round-1 settlement is an issued final payment (docs/adr/0027-money-ledger.md).
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
