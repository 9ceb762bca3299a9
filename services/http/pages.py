"""The pages' common ground: log in and out, the language switch, the home page, who may open
each page, and what every page module shares (templates, guard, CSRF of the forms).

The pages themselves are in their own modules, each with its router (registered in
services/http/app.py): dashboard_pages, worklist_pages, claim_pages, audit_pages.

Server-rendered with Jinja2, in French unless switched to English (services/http/i18n.py,
docs/adr/0023); charts drawn on the server as SVG (services/http/charts.py, docs/adr/0024).
Who may open each page: PAGE_ROLES. A login through the form (CSRF token, same origin,
throttled) opens a server-side page session whose opaque id is
the cookie; logout is a POST that ends it (services/http/sessions.py, docs/adr/0018). No
health data on the dashboard.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from domain.plausibility import (
    EARLIEST_DATE,
    DateKind,
    ImplausibleInputError,
    check_business_date,
    latest_date,
    parse_business_date,
)
from services.http import i18n
from services.http.auth import STAFF_ROLES, Principal, Role, TokenRegistry
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
    "search": frozenset({Role.HANDLER, Role.MANAGER, Role.AUDITOR, Role.ADMIN}),
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
PAGE_SIZE = 50  # rows per page of the worklist and of the breached and at-risk lists


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


FAVICON = Path(__file__).with_name("static") / "favicon.ico"


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The project's icon (a file: the pages' CSP allows no data: URI), where browsers ask
    for it, for everyone."""
    return FileResponse(FAVICON, media_type="image/x-icon")


def static_files() -> StaticFiles:
    """The pages' scripts and styles (services/http/static): files, never inline, under the
    pages' Content-Security-Policy (services/http/security_headers.py)."""
    return StaticFiles(directory=str(Path(__file__).with_name("static")))


def _invalid(request: Request, field: str, detail: str) -> Response:
    return templates.TemplateResponse(
        request, "invalid.html", {"field": field, "detail": detail}, status_code=422
    )


@router.get("/", response_class=HTMLResponse)
def home_page(request: Request) -> Response:
    """Where a login lands: the pages of the user's role and a claim-number lookup."""
    who = _guard(request, "home")
    if isinstance(who, Response):
        return who
    number = request.query_params.get("claim_number", "").strip().upper()
    if number:
        return RedirectResponse(f"/claims/{quote(number)}", status_code=303)
    pages = [page for page in ("worklist", "dashboard", "search") if who.role in PAGE_ROLES[page]]
    return templates.TemplateResponse(request, "home.html", {"pages": pages, "who": who})


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
