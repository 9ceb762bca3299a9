"""/docs in headless Chromium with the network cut off: Swagger UI comes from the server itself
(an installed package's assets), lists the operations and offers the bearer Authorize button."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from infra.settings import Settings
from services.http.app import create_app
from tests.browser.test_pages import (
    ARTIFACTS,
    CHROMEDRIVER,
    CHROMIUM,
    _assert_no_csp_violation,
    _need_browser,
)
from tests.services.conftest import TOKEN_SPEC
from tests.support import free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    _need_browser()
    port = free_port()
    app = create_app(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'claims.db'}", api_tokens=SecretStr(TOKEN_SPEC)
        )
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def offline_browser() -> Iterator[Any]:
    """Chromium that resolves no host name but the loopback address: a page needing a CDN
    stays blank."""
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
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP violations
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_api_docs_work_offline_from_the_servers_own_assets(
    server: str, offline_browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    offline_browser.get(f"{server}/docs")
    WebDriverWait(offline_browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock"))
    )
    operations = offline_browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    paths = {element.get_attribute("data-path") for element in operations}
    assert "/api/v1/claims/{claim_id}/assignment" in paths
    with urllib.request.urlopen(f"{server}/openapi.json", timeout=10) as answer:
        spec = json.load(answer)
    documented = sum(
        1
        for item in spec["paths"].values()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )
    assert len(operations) == documented  # every operation of the OpenAPI document
    assert offline_browser.find_elements(By.CSS_SELECTOR, "button.authorize")  # bearer scheme
    resources = offline_browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert any(url.endswith("/static/docs/swagger-ui-bundle.js") for url in resources)
    assert any(url.endswith("/openapi.json") for url in resources)
    origin = urlsplit(server).netloc
    assert {urlsplit(url).netloc for url in resources} == {origin}, resources
    offline_browser.save_screenshot(str(ARTIFACTS / "api-docs-offline.png"))
    _assert_no_csp_violation(offline_browser)  # under its own policy (services/http/docs.py)
