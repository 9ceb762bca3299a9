"""axe-core on every page, for each role that sees it, in headless Chromium at 1,280 px: no
violation of impact "serious" or "critical" (axe-selenium-python's own copy of axe-core: no
network). Folded forms (<details>) are unfolded first, so that every command form is checked;
the pages are also checked in their error states (a refused form, an unknown claim, a page not
for the role, an invalid date or parameter).

Plus the dashboard's weight (not its time: time is in bench/pages.py only), measured as the
benchmark measures it: ≤ 300 KB, the document and its assets, a first visit.

One server (120 demo claims and a handler's claim in the making) and one Chromium for the
module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from bench.browser import load, log_in
from bench.pages import DASHBOARD_WEIGHT_KB
from infra.settings import eventsourcing_env
from services.application import ClaimsApplication
from services.demo import generate
from tests.browser.support import (
    assert_accessible,
    browser,
    content,
    fill,
    open_action,
    serving,
    submit,
    wait_for,
)
from tests.browser.test_pages import ARTIFACTS, _need_browser
from tests.domain.gwt import declaration
from tests.services.conftest import TOKENS

TODAY = date(2026, 11, 22)


@dataclass
class Site:
    base: str
    settled: str  # a demo claim paid: indemnity, payments, history
    mine: str  # the handler's claim, proofs requested: the handler's forms
    role: str | None = None  # who the browser is logged in as


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _need_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('a11y') / 'claims.db'}"
    app = ClaimsApplication(env=eventsourcing_env(url))
    generate(app, claims=120, seed=7, today=TODAY)
    mine = app.declare(declaration(), by="handler-user")
    app.request_proofs(
        mine.id,
        documents=["medical_certificate", "cancellation_invoice"],
        requested_on=date(2026, 3, 5),
        by="handler-user",
    )
    app.close()
    with serving(url) as base:
        yield Site(base, _a_settled_claim(base), str(mine.claim_number))


def _a_settled_claim(base: str) -> str:
    import httpx

    found = httpx.get(
        f"{base}/api/v1/claims",
        params={"status": "settled", "limit": 1},
        headers={"Authorization": f"Bearer {TOKENS['manager']}"},
        timeout=30,
    ).json()["items"]
    return str(found[0]["claim_number"])


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    with browser(1280, 1000) as driver:
        yield driver


def _as(site: Site, driver: Any, role: str | None) -> None:
    """Log the browser in as `role` (None: logged out), unless it already is."""
    if site.role == role:
        return
    driver.delete_all_cookies()
    if role is not None:
        log_in(driver, site.base, TOKENS[role])
    site.role = role


def _open(path: str) -> Callable[[Site, Any], None]:
    def go(site: Site, driver: Any) -> None:
        driver.get(site.base + path.format(settled=site.settled, mine=site.mine))

    return go


def _refused_login(site: Site, driver: Any) -> None:
    driver.get(f"{site.base}/login")
    fill(driver, {"token": "not-a-token"})
    submit(driver, "login")
    assert "Jeton inconnu" in content(driver, "login-error")


def _refused_declaration(site: Site, driver: Any) -> None:
    driver.get(f"{site.base}/claims/new")
    driver.execute_script("document.getElementById('declare-form').noValidate = true")
    submit(driver, "declare-submit")  # nothing filled in
    assert content(driver, "form-error") == "Certains champs sont refusés : voir ci-dessous."


def _refused_command(site: Site, driver: Any) -> None:
    driver.get(f"{site.base}/claims/{site.mine}")
    open_action(driver, "record-proof")
    driver.execute_script("document.getElementById('form-record-proof').noValidate = true")
    submit(driver, "record-proof-submit")  # no date
    assert content(driver, "record-proof-error") != ""


def _preview(site: Site, driver: Any) -> None:
    driver.get(f"{site.base}/claims/{site.mine}")
    open_action(driver, "accept")
    fill(driver, {"accept-decided_on": "2026-03-08", "accept-fees-0-invoiced": "900,00"})
    submit(driver, "accept-preview")
    wait_for(driver, "indemnity-preview")


# (name, role, how to get there): every page, and the roles that see it differently.
PAGES: list[tuple[str, str | None, Callable[[Site, Any], None]]] = [
    ("login", None, _open("/login")),
    ("login-refused", None, _refused_login),
    ("home-handler", "handler", _open("/")),
    ("worklist", "handler", _open("/worklist")),
    ("declaration-form", "handler", _open("/claims/new")),
    ("declaration-refused", "handler", _refused_declaration),
    ("claim-handler-forms", "handler", _open("/claims/{mine}")),
    ("claim-command-refused", "handler", _refused_command),
    ("claim-indemnity-preview", "handler", _preview),
    ("forbidden", "handler", _open("/dashboard")),
    ("logout", "handler", _open("/logout")),
    ("home-manager", "manager", _open("/")),
    ("dashboard", "manager", _open(f"/dashboard?as_of={TODAY.isoformat()}")),
    ("dashboard-past-day", "manager", _open("/dashboard?as_of=2026-06-30")),
    ("dashboard-empty", "manager", _open("/dashboard?as_of=2020-01-01")),
    ("dashboard-invalid-date", "manager", _open("/dashboard?as_of=2026-13-45")),
    ("dashboard-invalid-parameter", "manager", _open("/dashboard?breached_after=zz")),
    ("claim-manager", "manager", _open("/claims/{settled}")),
    ("claim-not-found", "manager", _open("/claims/S99999999")),
    ("home-auditor", "auditor", _open("/")),
    ("claim-auditor", "auditor", _open("/claims/{settled}")),
    ("audit", "auditor", _open("/claims/{settled}/audit")),
    ("audit-version-3-vs-4", "auditor", _open("/claims/{settled}/audit?version=3&compare=4")),
    ("audit-invalid-version", "auditor", _open("/claims/{settled}/audit?version=999")),
]


@pytest.mark.parametrize(("name", "role", "reach"), PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_or_critical_accessibility_violation(
    site: Site, chrome: Any, name: str, role: str | None, reach: Callable[[Site, Any], None]
) -> None:
    _as(site, chrome, role)
    reach(site, chrome)
    assert chrome.execute_script("return document.documentElement.lang") == "fr"
    assert_accessible(chrome)
    if name in ("dashboard", "claim-handler-forms", "audit", "login"):
        chrome.save_screenshot(str(ARTIFACTS / f"a11y-{name}.png"))


def test_the_dashboard_weighs_at_most_300_kb(site: Site, chrome: Any) -> None:
    """Document and assets of a first visit (no cache), as bench/pages.py measures it."""
    _as(site, chrome, "manager")
    page = load(chrome, f"{site.base}/dashboard?as_of={TODAY.isoformat()}")
    assert content(chrome, "shown-as-of") == "22 novembre 2026"
    paths = {name.split(site.base, 1)[1] for name, _ in page.resources}
    assert "/static/app.css" in paths  # the assets are counted, not the document alone
    assert all(size > 0 for _, size in page.resources)  # transferred, not from a cache
    assert page.weight <= DASHBOARD_WEIGHT_KB * 1024, page.resources
