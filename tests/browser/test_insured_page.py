"""The insured's page in headless Chromium at a phone's width (375 px): log in with the claim
number, the trip's start and the access code the portal gave, send a PDF that completes a
requested proof; no sideways scroll; axe-core finds no serious or critical violation."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.browser.support import (
    assert_accessible,
    browser,
    content,
    fill,
    scrolls_sideways,
    serving,
    submit,
    wait_for,
)
from tests.browser.test_pages import ARTIFACTS, _need_browser
from tests.services.conftest import TOKENS
from tests.services.test_api_documents import PDF
from tests.services.test_api_insured import portal_body

PHONE = 375


def test_the_insured_follows_the_claim_and_sends_a_proof_on_a_phone(
    tmp_path: Path, sqlite_url: str
) -> None:
    _need_browser()
    with serving(sqlite_url) as base:
        portal = {"Authorization": f"Bearer {TOKENS['portal']}"}
        view = httpx.post(
            f"{base}/api/v1/insured/declarations", json=portal_body(), headers=portal, timeout=30
        ).json()
        number, code = view["claim_number"], view["access_code"]
        start = portal_body()["trip"]["departure_date"]
        scan = tmp_path / "facture.pdf"
        scan.write_bytes(PDF)
        with browser(PHONE, 800) as driver:
            driver.get(f"{base}/insured")
            wait_for(driver, "claim_number")
            assert not scrolls_sideways(driver, PHONE, 800)
            assert_accessible(driver)
            fill(driver, {"claim_number": number, "trip_start": start, "access_code": code})
            submit(driver, "login")
            assert content(driver, "status") == "Justificatifs demandés"
            assert not scrolls_sideways(driver, PHONE, 800)
            assert_accessible(driver)
            driver.save_screenshot(str(ARTIFACTS / "insured-claim-375.png"))
            wait_for(driver, "file-cancellation_invoice").send_keys(str(scan))
            submit(driver, "send-cancellation_invoice")
            assert "bien été reçu" in content(driver, "done")
            assert "Reçu" in content(driver, "proof-cancellation_invoice")
            assert_accessible(driver)


@pytest.mark.parametrize("width", [PHONE])
def test_the_log_in_page_fits_a_phone(sqlite_url: str, width: int) -> None:
    _need_browser()
    with serving(sqlite_url) as base, browser(width, 800) as driver:
        driver.get(f"{base}/insured")
        wait_for(driver, "login")
        assert not scrolls_sideways(driver, width, 800)


def test_the_handlers_documents_page_is_accessible(sqlite_url: str, tmp_path: Path) -> None:
    """The handler's documents screen, with a document, its forms and a refused upload."""
    from bench.browser import log_in

    _need_browser()
    with serving(sqlite_url) as base:
        portal = {"Authorization": f"Bearer {TOKENS['portal']}"}
        number = httpx.post(
            f"{base}/api/v1/insured/declarations", json=portal_body(), headers=portal, timeout=30
        ).json()["claim_number"]
        scan = tmp_path / "facture.pdf"
        scan.write_bytes(PDF)
        with browser() as driver:
            log_in(driver, base, TOKENS["handler"], f"/claims/{number}/documents")
            wait_for(driver, "form-upload")
            assert_accessible(driver)
            wait_for(driver, "upload-file").send_keys(str(scan))
            submit(driver, "upload-submit")
            assert content(driver, "documents-message") == "Enregistré."
            assert_accessible(driver)
