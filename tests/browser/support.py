"""What the browser journeys and the accessibility checks share: a server on a store of their
own, Chromium (bench/browser.py: the benchmark's, so that the weight test measures as the
benchmark does), form filling, the axe-core check and the sideways-scroll check."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr

from bench.browser import chromium
from infra.settings import Settings
from services.http.app import create_app
from tests.browser.test_pages import ARTIFACTS, _need_browser
from tests.services.conftest import TOKEN_SPEC, TOKENS
from tests.support import free_port

# The impacts that fail a page (axe-core's scale: minor, moderate, serious, critical).
BLOCKING = ("serious", "critical")


@contextmanager
def serving(url: str) -> Iterator[str]:
    """The back office on `url`, served on a free loopback port in this process, once its
    read models have caught up with what the store holds."""
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
    headers = {"Authorization": f"Bearer {TOKENS['manager']}"}
    deadline = time.monotonic() + 30
    while True:
        try:
            ready = httpx.get(f"{base}/readyz", headers=headers, timeout=5).json()
            if ready["status"] == "ready" and not any(ready["projection_lag"].values()):
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the site did not become ready"
        time.sleep(0.1)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def browser(width: int = 1280, height: int = 1000) -> Iterator[Any]:
    _need_browser()
    driver = chromium(width, height, console=True)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 20).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )


def content(driver: Any, element_id: str) -> str:
    """An element's textContent (WebDriver's `text` turns no-break spaces into spaces)."""
    wait_for(driver, element_id)
    found = driver.execute_script(
        "return document.getElementById(arguments[0]).textContent", element_id
    )
    # The markup's newlines and runs of spaces, not the no-break spaces of French numbers.
    return re.sub(r"[ \t\r\n]+", " ", str(found)).strip()


def submit(driver: Any, element_id: str) -> None:
    """Click a button that loads a new page and wait until the old one is gone."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    button = wait_for(driver, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(button))


def fill(driver: Any, values: dict[str, str]) -> None:
    """Fill form controls by id: text typed as a user types it, dates and choices set as the
    browser's pickers would (a date input's typing order depends on the browser's locale)."""
    from selenium.webdriver.support.ui import Select

    for element_id, value in values.items():
        element = wait_for(driver, element_id)
        kind = element.tag_name.lower(), (element.get_attribute("type") or "").lower()
        if kind[0] == "select":
            Select(element).select_by_value(value)
        elif kind[1] == "checkbox":
            if element.is_selected() != (value == "1"):
                driver.execute_script("arguments[0].click()", element)
        elif kind[1] == "date":
            driver.execute_script("arguments[0].value = arguments[1]", element, value)
        else:
            element.clear()
            element.send_keys(value)


def open_action(driver: Any, slug: str) -> None:
    """Unfold a command's form on the claim page (a <details>), as a user clicks its title."""
    from selenium.webdriver.common.by import By

    details = wait_for(driver, f"action-{slug}")
    if details.get_attribute("open") is None:
        summary = details.find_element(By.TAG_NAME, "summary")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
        summary.click()


def axe_violations(driver: Any, *, unfold: bool = True) -> list[dict[str, Any]]:
    """axe-core (axe-selenium-python's own copy: no network) on the page shown: its serious
    and critical violations. `unfold` opens every <details> first, so that the forms folded
    in them are checked too."""
    from axe_selenium_python import Axe

    if unfold:
        driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def assert_accessible(driver: Any, *, unfold: bool = True) -> None:
    from axe_selenium_python import Axe

    found = axe_violations(driver, unfold=unfold)
    assert found == [], f"{driver.current_url}\n{Axe(driver).report(found)}"


def scrolls_sideways(driver: Any, width: int, height: int = 900) -> bool:
    """Whether the page shown scrolls sideways on a screen `width` CSS pixels wide (emulated
    as a phone's or a small laptop's, the page reloaded at that size)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    driver.refresh()
    inner = driver.execute_script("return window.innerWidth")
    assert inner == width, f"the emulated screen is {inner} px wide, not {width}"
    return bool(
        driver.execute_script("return document.scrollingElement.scrollWidth > window.innerWidth")
    )


def reset_screen(driver: Any) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
