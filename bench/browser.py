"""Headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, and what one
load of a page weighs and how soon it first renders: shared by the page benchmark
(bench/pages.py) and the browser tests, so that the test of the dashboard's weight and the
benchmark measure it the same way.

Weight: the bytes transferred for the document and every asset it loads, as the browser's
Resource Timing reports them (`transferSize`: headers and encoded body), with the browser's
cache disabled through the DevTools protocol, i.e. a first visit. First render: the
`first-contentful-paint` entry of the Paint Timing API.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def chromium(width: int = 1280, height: int = 1000, *, console: bool = False) -> Any:
    """A headless Chromium of that window size, its cache disabled (every load is a first
    visit); `console` keeps the browser's console for reading (Content-Security-Policy
    refusals)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ):
        options.add_argument(flag)
    if console:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    return driver


def log_in(driver: Any, base: str, token: str, target: str = "/") -> None:
    """Through the log-in form, as a user does; waits until the target page has loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.delete_all_cookies()  # the cookies of an earlier server on the same host
    driver.get(f"{base}/login?next={target}")
    driver.find_element(By.ID, "token").send_keys(token)
    button = driver.find_element(By.ID, "login")
    button.click()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(button))
    assert "/login" not in driver.current_url, "the log-in was refused"


@dataclass(frozen=True)
class PageLoad:
    url: str
    weight: int  # bytes transferred: the document and its assets
    first_paint_ms: float  # first-contentful-paint, from the start of the navigation
    resources: tuple[tuple[str, int], ...]  # each asset and its bytes, the document first


_MEASURE = """
const nav = performance.getEntriesByType('navigation')[0];
const paint = performance.getEntriesByType('paint')
    .find(p => p.name === 'first-contentful-paint');
return {
    document: [nav.name, nav.transferSize],
    resources: performance.getEntriesByType('resource').map(r => [r.name, r.transferSize]),
    fcp: paint ? paint.startTime : null,
    complete: document.readyState === 'complete',
};
"""


def load(driver: Any, url: str) -> PageLoad:
    """Load `url` afresh (no cache) and read its weight and first render."""
    driver.get(url)
    deadline = time.monotonic() + 10
    while True:  # the paint entry may come a moment after the load event
        found = driver.execute_script(_MEASURE)
        if found["fcp"] is not None and found["complete"]:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}: no first-contentful-paint entry")
        time.sleep(0.05)
    entries = (tuple(found["document"]), *(tuple(r) for r in found["resources"]))
    resources = tuple((str(name), int(size)) for name, size in entries)
    return PageLoad(
        url=url,
        weight=sum(size for _, size in resources),
        first_paint_ms=float(found["fcp"]),
        resources=resources,
    )
