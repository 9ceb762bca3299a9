"""Page sessions (docs/adr/0018-page-sessions.md): the cookie is an opaque session id kept
(hashed) in the read store, dead after a POST logout, idle and absolute expiry; every form
POST needs its CSRF token and this site's Origin; failed logins are throttled per client
address, for every server process on the same database."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient

from projections.store import ReadStore
from services.http.auth import Principal, Role
from services.http.sessions import PageSessions, SessionPolicy, Throttled
from tests.services.conftest import (
    ORIGIN,
    SITE,
    TOKEN_SPEC,
    TOKENS,
    auth,
    csrf_of,
    make_client,
    page_login,
)

COOKIE = "__Host-claims_session"
LOGIN_COOKIE = "__Host-claims_login"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's closed stderr.
    structlog.reset_defaults()


@pytest.fixture
def site(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url) as client:
        yield client


def _set_cookies(response: Any) -> dict[str, str]:
    """Each Set-Cookie header of a response by cookie name."""
    headers = response.headers.get_list("set-cookie")
    return {header.split("=", 1)[0]: header for header in headers}


def _session_id(response: Any) -> str:
    header = _set_cookies(response)[COOKIE]
    return str(header.split("=", 1)[1].split(";", 1)[0])


def _opens_dashboard(client: TestClient, session_id: str | None = None) -> bool:
    """True if the client (or a bare request with this cookie) gets the dashboard."""
    if session_id is not None:
        client.cookies.clear()
        client.cookies.set(COOKIE, session_id)
    response = client.get("/dashboard", follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login")
        return False
    assert response.status_code == 200, response.text
    return True


def _login_form(client: TestClient) -> str:
    return csrf_of(client.get("/login").text)


def _post_login(client: TestClient, token: str, **headers: str) -> Any:
    return client.post(
        "/login",
        data={"token": token, "csrf": _login_form(client), "next": "/dashboard"},
        headers={**ORIGIN, **headers},
        follow_redirects=False,
    )


def _logout(client: TestClient, csrf: str, **headers: str) -> Any:
    return client.post(
        "/logout", data={"csrf": csrf}, headers={**ORIGIN, **headers}, follow_redirects=False
    )


def _rows(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    store = ReadStore(_read_url(database_url))
    try:
        return store.query(sql)
    finally:
        store.close()


def _read_url(database_url: str) -> str:
    if database_url.startswith("sqlite:///"):
        return database_url.replace("claims.db", "claims_read_models.db")
    return database_url


# ---------------------------------------------------------------- the cookie


def test_the_session_cookie_is_an_opaque_id_not_the_token_with_its_attributes(
    site: TestClient, database_url: str
) -> None:
    response = page_login(site)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    header = _set_cookies(response)[COOKIE]
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)  # __Host-: this host only
    session_id = _session_id(response)
    assert len(session_id) >= 43
    for token in TOKENS.values():
        assert token not in session_id
        assert all(token not in h for h in response.headers.get_list("set-cookie"))
    # The store keeps a digest of the id, never the id: reading the table opens no session.
    rows = _rows(database_url, "SELECT * FROM page_sessions")
    assert len(rows) == 1
    assert hashlib.sha256(session_id.encode()).hexdigest() in rows[0]
    assert session_id not in repr(rows)
    assert rows[0][1:3] == ("manager-user", "manager")
    assert _opens_dashboard(site)


def test_the_login_form_sets_a_pre_session_cookie_and_is_not_cached(site: TestClient) -> None:
    form = site.get("/login")
    assert form.headers["cache-control"] == "no-store"
    header = _set_cookies(form)[LOGIN_COOKIE]
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= attributes
    assert 'type="hidden" name="csrf"' in form.text
    # The roles that may log in: the five staff roles have pages (not the portal's).
    assert (
        "(administrateurs, auditeurs, gestionnaires, responsables, médecins conseils)" in form.text
    )


def test_in_development_the_cookie_is_not_secure(database_url: str) -> None:
    with make_client(database_url, env="dev") as client:
        client.base_url = client.base_url.copy_with(scheme="http")
        response = client.post(
            "/login",
            data={"token": TOKENS["admin"], "csrf": _login_form(client), "next": "/dashboard"},
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        header = _set_cookies(response)["claims_session"]
        assert "secure" not in header.lower()
        assert "httponly" in header.lower()
        assert client.get("/dashboard", follow_redirects=False).status_code == 200


def test_the_api_still_takes_its_bearer_token_and_not_the_cookie(site: TestClient) -> None:
    assert page_login(site).status_code == 303
    assert site.get("/api/v1/dashboard").status_code == 401  # the page cookie is no API key
    assert site.get("/api/v1/dashboard", headers=auth("manager")).status_code == 200


# ---------------------------------------------------------------- logout


def test_after_logout_the_cookie_no_longer_opens_the_dashboard(site: TestClient) -> None:
    session_id = _session_id(page_login(site))
    page = site.get("/dashboard")
    assert page.status_code == 200
    assert 'action="/logout"' in page.text
    response = _logout(site, csrf_of(page.text))
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert f'{COOKIE}=""' in _set_cookies(response)[COOKIE]  # the browser forgets it...
    assert not _opens_dashboard(site, session_id)  # ...and the server ended it


def test_a_get_on_logout_shows_a_form_and_logs_nobody_out(site: TestClient) -> None:
    page_login(site)
    page = site.get("/logout", follow_redirects=False)
    assert page.status_code == 200
    assert '<form method="post" action="/logout">' in page.text
    assert _opens_dashboard(site)
    assert site.get("/logout", follow_redirects=False).status_code == 200
    logged_out = _logout(site, csrf_of(page.text))  # its form does log out
    assert logged_out.status_code == 303
    assert not _opens_dashboard(site)


def test_logout_needs_the_sessions_csrf_token_and_this_sites_origin(
    site: TestClient, database_url: str
) -> None:
    with make_client(database_url, projections="off") as other:
        page_login(other)
        foreign_token = csrf_of(other.get("/dashboard").text)
    page_login(site)
    csrf = csrf_of(site.get("/dashboard").text)
    for refused in (
        _logout(site, ""),
        _logout(site, foreign_token),  # another session's token
        _logout(site, csrf, Origin="https://evil.example"),
    ):
        assert refused.status_code == 403
    assert _opens_dashboard(site)
    plain = site.post(
        "/logout",
        content=f"csrf={csrf}",
        headers={**ORIGIN, "Content-Type": "text/plain"},
        follow_redirects=False,
    )
    assert plain.status_code == 415
    assert _opens_dashboard(site)


# ---------------------------------------------------------------- the login form


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "multipart/form-data"])
def test_a_login_that_is_not_urlencoded_is_415(site: TestClient, content_type: str) -> None:
    csrf = _login_form(site)
    response = site.post(
        "/login",
        content=f"token={TOKENS['manager']}&csrf={csrf}",
        headers={**ORIGIN, "Content-Type": content_type},
        follow_redirects=False,
    )
    assert response.status_code == 415
    assert COOKIE not in _set_cookies(response)


def test_a_login_without_or_with_a_wrong_csrf_token_is_403(
    site: TestClient, database_url: str
) -> None:
    with make_client(database_url, projections="off") as other:
        foreign = _login_form(other)  # good, but bound to another browser's pre-session
    csrf = _login_form(site)
    for form in (
        {"token": TOKENS["manager"]},
        {"token": TOKENS["manager"], "csrf": ""},
        {"token": TOKENS["manager"], "csrf": csrf[:-2] + ("AA" if csrf[-2:] != "AA" else "BB")},
        {"token": TOKENS["manager"], "csrf": foreign},
    ):
        response = site.post("/login", data=form, headers=ORIGIN, follow_redirects=False)
        assert response.status_code == 403, form
        assert COOKIE not in _set_cookies(response)
        assert 'id="login-error"' in response.text  # a fresh form to try again
    site.cookies.delete(LOGIN_COOKIE)  # the token of a form, without its pre-session cookie
    response = site.post(
        "/login",
        data={"token": TOKENS["manager"], "csrf": csrf},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert not _opens_dashboard(site)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://testserver.evil.example"},
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Referer": "https://evil.example/login"},
        {},  # neither Origin nor Referer
    ],
)
def test_a_login_from_another_site_is_403(site: TestClient, headers: dict[str, str]) -> None:
    csrf = _login_form(site)
    response = site.post(
        "/login",
        data={"token": TOKENS["manager"], "csrf": csrf},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert not _opens_dashboard(site)


def test_a_login_with_a_null_origin_from_this_site_is_taken(site: TestClient) -> None:
    """Under `Referrer-Policy: no-referrer` a browser sends `Origin: null` with the form; its
    `Sec-Fetch-Site: same-origin` (which no page can set) says the form is this site's."""
    csrf = _login_form(site)
    response = site.post(
        "/login",
        data={"token": TOKENS["manager"], "csrf": csrf},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _opens_dashboard(site)


def test_a_login_with_this_sites_referer_and_no_origin_is_taken(site: TestClient) -> None:
    csrf = _login_form(site)
    response = site.post(
        "/login",
        data={"token": TOKENS["manager"], "csrf": csrf},
        headers={"Referer": f"{SITE}/login?next=/dashboard"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_every_role_logs_in_and_opens_only_its_pages(site: TestClient) -> None:
    for role in ("handler", "auditor"):
        assert page_login(site, role).status_code == 303
        refused = site.get("/dashboard", follow_redirects=False)
        assert refused.status_code == 403  # logged in, but not a manager's page
        assert 'id="forbidden"' in refused.text
        assert site.get("/", follow_redirects=False).status_code == 200
    assert page_login(site, "handler").status_code == 303
    assert site.get("/worklist", follow_redirects=False).status_code == 200
    assert page_login(site, "auditor").status_code == 303
    assert site.get("/worklist", follow_redirects=False).status_code == 403
    for role in ("manager", "admin"):
        assert page_login(site, role).status_code == 303
        assert _opens_dashboard(site)
    form = site.get("/login")
    response = site.post(
        "/login",
        data={"token": "not-a-token", "csrf": csrf_of(form.text), "next": "/"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "Jeton inconnu" in response.text


def test_a_login_never_redirects_off_site(site: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = page_login(site, target=target)
        assert response.headers["location"] == "/"  # the home page, open to every role


def test_a_new_login_gets_a_new_session_and_ends_the_previous_one(site: TestClient) -> None:
    first = _session_id(page_login(site))
    second = _session_id(page_login(site))
    assert first != second
    assert not _opens_dashboard(site, first)
    assert _opens_dashboard(site, second)


# ---------------------------------------------------------------- the throttle


def test_eleven_wrong_tokens_are_429_with_retry_after_until_the_window_passes(
    site: TestClient, database_url: str
) -> None:
    clock = Clock()
    site.app.state.sessions.clock = clock  # type: ignore[attr-defined]
    for attempt in range(10):
        assert _post_login(site, f"wrong-token-{attempt:04}").status_code == 401
        clock.advance(seconds=10)
    refused = _post_login(site, "wrong-token-0010")
    assert refused.status_code == 429
    retry_after = int(refused.headers["retry-after"])
    assert retry_after == 15 * 60 - 100  # the first failure leaves the window then
    assert "Trop d&#39;échecs de connexion" in refused.text
    assert _post_login(site, TOKENS["manager"]).status_code == 429  # even the right token
    # No address is stored, only a keyed digest of it.
    assert "testclient" not in repr(_rows(database_url, "SELECT * FROM login_failures"))
    clock.advance(seconds=retry_after - 1)
    assert _post_login(site, TOKENS["manager"]).status_code == 429
    clock.advance(seconds=1)
    assert _post_login(site, TOKENS["manager"]).status_code == 303


def test_another_client_address_is_not_throttled(database_url: str) -> None:
    with make_client(database_url) as first:
        for attempt in range(10):
            assert _post_login(first, f"wrong-token-{attempt:04}").status_code == 401
        assert _post_login(first, TOKENS["manager"]).status_code == 429
        elsewhere = TestClient(first.app, base_url=SITE, client=("192.0.2.7", 50000))
        assert _post_login(elsewhere, TOKENS["manager"]).status_code == 303


def test_two_server_processes_share_sessions_and_failure_counts(database_url: str) -> None:
    with (
        make_client(database_url) as one,
        make_client(database_url, projections="off") as two,
    ):
        # A session opened on one is seen by the other, and its logout there ends it on both.
        session_id = _session_id(page_login(one))
        two.cookies.set(COOKIE, session_id)
        page = two.get("/dashboard", follow_redirects=False)
        assert page.status_code == 200
        assert _logout(two, csrf_of(page.text)).status_code == 303
        assert not _opens_dashboard(one, session_id)
        # Failures on either count for both.
        for attempt in range(10):
            server = one if attempt % 2 else two
            assert _post_login(server, f"wrong-token-{attempt:04}").status_code == 401
        assert _post_login(one, TOKENS["manager"]).status_code == 429
        assert _post_login(two, TOKENS["manager"]).status_code == 429


def test_a_session_of_a_token_no_longer_configured_ends(database_url: str) -> None:
    with make_client(database_url) as before:
        session_id = _session_id(page_login(before))
    without_managers = ",".join(p for p in TOKEN_SPEC.split(",") if ":manager" not in p)
    with make_client(database_url, token_spec=without_managers) as after:
        assert not _opens_dashboard(after, session_id)
    with make_client(database_url) as again:  # the token is back; the session stays ended
        assert not _opens_dashboard(again, session_id)


# ---------------------------------------------------------------- expiry


def test_a_session_ends_after_its_idle_time(site: TestClient) -> None:
    clock = Clock()
    site.app.state.sessions.clock = clock  # type: ignore[attr-defined]
    page_login(site)
    for _ in range(5):  # in use: it lives on
        clock.advance(minutes=29)
        assert _opens_dashboard(site)
    clock.advance(minutes=30)
    assert not _opens_dashboard(site)


def test_a_session_ends_after_its_absolute_time_even_in_use(site: TestClient) -> None:
    clock = Clock()
    site.app.state.sessions.clock = clock  # type: ignore[attr-defined]
    page_login(site)
    for _ in range(35):
        clock.advance(minutes=20)
        assert _opens_dashboard(site)  # 11 h 40 min
    clock.advance(minutes=20)
    assert not _opens_dashboard(site)  # 12 h


def test_the_expiry_times_are_settings(database_url: str) -> None:
    with make_client(database_url, session_idle_minutes=5, session_max_hours=1) as client:
        clock = Clock()
        client.app.state.sessions.clock = clock  # type: ignore[attr-defined]
        page_login(client)
        clock.advance(minutes=4)
        assert _opens_dashboard(client)
        clock.advance(minutes=5)
        assert not _opens_dashboard(client)


# ---------------------------------------------------------------- the store, directly


@pytest.fixture
def store(database_url: str) -> Iterator[ReadStore]:
    read_store = ReadStore(_read_url(database_url))
    try:
        yield read_store
    finally:
        read_store.close()


POLICY = SessionPolicy(
    idle=timedelta(minutes=30),
    absolute=timedelta(hours=12),
    max_failures=3,
    failure_window=timedelta(minutes=15),
    secure=True,
)


def test_sessions_expire_and_are_purged(store: ReadStore) -> None:
    clock = Clock()
    sessions = PageSessions(store, POLICY, clock=clock)
    sessions.setup()
    manager = Principal("m1", Role.MANAGER)
    idle, busy = sessions.open(manager), sessions.open(manager)
    clock.advance(minutes=20)
    assert sessions.find(busy) == manager
    clock.advance(minutes=20)
    assert sessions.find(idle) is None  # 40 min unused
    assert sessions.find(busy) == manager  # 20 min since its last use
    clock.advance(minutes=45)
    sessions.purge()
    assert store.query("SELECT COUNT(*) FROM page_sessions") == [(0,)]
    assert sessions.find("not-a-session-id") is None


def test_the_generated_secret_is_shared_and_a_configured_one_wins(store: ReadStore) -> None:
    one, two = PageSessions(store, POLICY), PageSessions(store, POLICY)
    one.setup()
    two.setup()
    session_id = one.open(Principal("m1", Role.MANAGER))
    token = one.csrf_token(session_id, "logout")
    assert two.csrf_valid(token, session_id, "logout", 60)
    assert not two.csrf_valid(token, session_id, "login", 60)  # bound to its purpose
    assert not two.csrf_valid(token, "another-binding", "logout", 60)
    configured = PageSessions(store, POLICY, secret="x" * 40)
    configured.setup()
    assert not configured.csrf_valid(token, session_id, "logout", 60)
    assert one.client_key("192.0.2.1") == two.client_key("192.0.2.1")
    assert configured.client_key("192.0.2.1") != one.client_key("192.0.2.1")


def test_the_throttle_counts_per_network_and_only_failures(store: ReadStore) -> None:
    clock = Clock()
    sessions = PageSessions(store, POLICY, clock=clock)
    sessions.setup()
    manager = Principal("m1", Role.MANAGER)
    assert sessions.throttled_login("2001:db8::1", lambda: manager) == manager
    for host in ("2001:db8::1", "2001:db8::2", "2001:db8::3"):  # one /64
        assert sessions.throttled_login(host, lambda: None) is None
    assert isinstance(sessions.throttled_login("2001:db8::ffff", lambda: manager), Throttled)
    assert sessions.throttled_login("2001:db8:0:1::1", lambda: manager) == manager
    assert sessions.throttled_login("::ffff:192.0.2.1", lambda: None) is None
    assert sessions.throttled_login("192.0.2.1", lambda: None) is None  # the same address
    assert sessions.throttled_login("192.0.2.1", lambda: None) is None
    assert isinstance(sessions.throttled_login("192.0.2.1", lambda: manager), Throttled)
    assert sessions.throttled_login("192.0.2.2", lambda: manager) == manager


def test_parallel_guesses_cannot_slip_past_the_count(store: ReadStore) -> None:
    sessions = PageSessions(store, POLICY)
    sessions.setup()

    def slow_wrong_guess() -> Principal | None:
        time.sleep(0.01)  # widen the window between the count and the failure's record
        return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(
            pool.map(lambda _: sessions.throttled_login("192.0.2.9", slow_wrong_guess), range(24))
        )
    assert outcomes.count(None) == POLICY.max_failures  # tried and failed
    assert sum(isinstance(o, Throttled) for o in outcomes) == 24 - POLICY.max_failures
    assert store.query("SELECT COUNT(*) FROM login_failures") == [(POLICY.max_failures,)]
