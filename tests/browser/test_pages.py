"""The management pages in headless Chromium (Debian's chromium and chromium-driver).

Screenshots go to test-artifacts/. Without Chromium the tests skip, unless
CLAIMS_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from pydantic import SecretStr

from infra.settings import Settings, eventsourcing_env
from services.application import ClaimsApplication
from services.demo import generate
from services.http.app import create_app
from tests.services.conftest import TOKEN_SPEC, TOKENS, csrf_of
from tests.support import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TODAY = date(2026, 11, 22)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _need_browser() -> None:
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return
    reason = "Debian's chromium and chromium-driver are not installed"
    if os.environ.get("CLAIMS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required (CLAIMS_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The back office with 120 demo claims, served on a free loopback port."""
    _need_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'claims.db'}"
    app = ClaimsApplication(env=eventsourcing_env(url))
    generate(app, claims=120, seed=7, today=TODAY)
    app.close()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(database_url=url, api_tokens=SecretStr(TOKEN_SPEC))),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:  # started, and the read models caught up with the demo data
        try:
            ready = httpx.get(f"{base}/readyz", headers=_auth("manager"), timeout=5).json()
            if ready["status"] == "ready" and not any(ready["projection_lag"].values()):
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the site did not become ready"
        time.sleep(0.2)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture
def browser() -> Iterator[Any]:
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1800",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ):
        options.add_argument(flag)
    # The console, to see Content-Security-Policy violations (_assert_no_csp_violation).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def _text(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    element = WebDriverWait(driver, 20).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )
    return str(element.text)


def _assert_no_csp_violation(driver: Any) -> None:
    """Nothing on the pages shown since the last call was refused by their Content-Security-
    Policy: Chromium reports each refusal on the console (read and cleared here)."""
    violations = [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]
    assert violations == []


def _click_and_wait(driver: Any, element: Any) -> None:
    """Click something that loads a new page, and wait until the old one is gone."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(element))


def _api_dashboard(site: str, day: str) -> dict[str, Any]:
    response = httpx.get(
        f"{site}/api/v1/dashboard", params={"as_of": day}, headers=_auth("manager"), timeout=30
    )
    result: dict[str, Any] = response.json()
    return result


def _eur(amount: str) -> str:
    return str(format_currency(Decimal(amount), "EUR", locale="fr_FR"))


def _count(value: int) -> str:
    return str(format_decimal(value, locale="fr_FR"))


def _day(value: str) -> str:
    return str(format_date(date.fromisoformat(value), "long", locale="fr_FR"))


def _content(driver: Any, element_id: str) -> str:
    _text(driver, element_id)  # waits for it
    content = driver.execute_script(
        "return document.getElementById(arguments[0]).textContent", element_id
    )
    return str(content).strip()


def _check_tiles(driver: Any, figures: dict[str, Any]) -> None:
    """The tiles show the API's figures as Babel's fr_FR writes them (read as the DOM's
    textContent: WebDriver's text turns no-break spaces into spaces)."""
    ages = figures["ageing"]
    assert _content(driver, "kpi-open") == _count(figures["open_claims"])
    assert _content(driver, "kpi-over-30") == _count(
        ages["31-60"] + ages["61-90"] + ages["over-90"]
    )
    assert _content(driver, "kpi-over-90") == _count(ages["over-90"])
    assert _content(driver, "kpi-accepted-month") == _eur(
        figures["indemnities"]["accepted_this_month"]
    )
    assert _content(driver, "kpi-paid-month") == _eur(figures["indemnities"]["paid_this_month"])
    assert _content(driver, "kpi-complaints") == _count(figures["open_complaints"])
    breached = sum(v["breached"] for v in figures["sla"].values())
    assert _content(driver, "breached-count") == _count(breached)  # the true count, not a page's


def test_a_manager_logs_in_changes_the_date_and_opens_a_breached_claim(
    site: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{site}/dashboard?as_of={TODAY.isoformat()}")
    assert "/login" in browser.current_url  # not logged in yet
    browser.find_element(By.ID, "token").send_keys("not-a-token")
    _click_and_wait(browser, browser.find_element(By.ID, "login"))
    assert "Jeton inconnu" in _text(browser, "login-error")  # no such token
    browser.find_element(By.ID, "token").send_keys(TOKENS["manager"])
    _click_and_wait(browser, browser.find_element(By.ID, "login"))
    assert _text(browser, "shown-as-of") == _day(TODAY.isoformat())
    _check_tiles(browser, _api_dashboard(site, TODAY.isoformat()))
    browser.save_screenshot(str(ARTIFACTS / "dashboard-today.png"))
    _assert_no_csp_violation(browser)  # the log-in page, its error, the dashboard

    browser.execute_script("document.getElementById('as-of').value = '2026-06-30'")
    _click_and_wait(browser, browser.find_element(By.ID, "apply-as-of"))
    assert _text(browser, "shown-as-of") == _day("2026-06-30")
    _check_tiles(browser, _api_dashboard(site, "2026-06-30"))
    # The charts are SVG from the server: the SLA chart has a line per insurer clock, and
    # the page's stylesheet sizes it (no inline style).
    assert (
        browser.execute_script(
            "return document.querySelectorAll('#chart-sla g.series polyline').length"
        )
        >= 4
    )
    assert (
        browser.execute_script(
            "return getComputedStyle(document.querySelector('#chart-sla')).display"
        )
        == "block"
    )
    # The layout holds at 1,024 px: nothing scrolls sideways.
    browser.set_window_size(1024, 1800)
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    browser.save_screenshot(str(ARTIFACTS / "dashboard-2026-06-30-1024.png"))
    browser.set_window_size(390, 1800)
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    browser.save_screenshot(str(ARTIFACTS / "dashboard-2026-06-30-390.png"))
    browser.set_window_size(1280, 1800)
    browser.save_screenshot(str(ARTIFACTS / "dashboard-2026-06-30.png"))
    _assert_no_csp_violation(browser)

    link = browser.find_elements(By.CSS_SELECTOR, "#breached a.claim-link")[0]
    number = link.text
    _click_and_wait(browser, link)
    assert _text(browser, "claim-number") == number
    claim = httpx.get(
        f"{site}/api/v1/claims/by-number/{number}", headers=_auth("auditor"), timeout=30
    ).json()
    status = browser.find_element(By.ID, "claim-status")
    assert status.get_attribute("data-code") == claim["status"]
    assert status.text != claim["status"] or "_" not in claim["status"]  # words, not the code
    assert "Dépassé" in _text(browser, "clocks")
    timeline_rows = browser.find_elements(By.CSS_SELECTOR, "#timeline tr")
    assert len(timeline_rows) == claim["version"] + 1  # a header row, then one per event
    browser.save_screenshot(str(ARTIFACTS / f"claim-{number}.png"))
    _assert_no_csp_violation(browser)

    # The session cookie (Secure, HttpOnly, SameSite=Strict) is no token, and logging out
    # (a POST with the page's CSRF token) ends it.
    cookie = browser.get_cookie("__Host-claims_session")
    assert cookie is not None
    assert cookie["secure"]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert cookie["value"] not in TOKENS.values()
    _click_and_wait(browser, browser.find_element(By.ID, "logout"))
    assert "/login" in browser.current_url
    assert browser.get_cookie("__Host-claims_session") is None
    _assert_no_csp_violation(browser)  # the log-out form and the log-in page after it
    with httpx.Client(base_url=site, timeout=30) as client:  # the old cookie opens nothing
        stale = client.get(
            "/dashboard", headers={"Cookie": f"__Host-claims_session={cookie['value']}"}
        )
        assert stale.status_code == 303


def test_the_dashboard_carries_no_health_data(site: str) -> None:
    # httpx, unlike a browser, sends no Secure cookie to http://127.0.0.1: they go by hand.
    with httpx.Client(base_url=site, timeout=30) as client:
        form = client.get("/login")
        pre_session = form.cookies["__Host-claims_login"]
        done = client.post(
            "/login",
            data={"token": TOKENS["manager"], "csrf": csrf_of(form.text), "next": "/dashboard"},
            headers={"Origin": site, "Cookie": f"__Host-claims_login={pre_session}"},
        )
        assert done.status_code == 303
        session = done.cookies["__Host-claims_session"]
        page = client.get(
            "/dashboard",
            params={"as_of": TODAY.isoformat()},
            headers={"Cookie": f"__Host-claims_session={session}"},
        ).text
    assert "Sinistres au" in page
    for health in ("hospital", "illness", "fracture", "death", "sprained"):
        assert health not in page
