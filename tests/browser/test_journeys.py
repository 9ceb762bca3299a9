"""Each role's journey through the pages in headless Chromium at 1,280 px, each on a server of
its own over a fresh store (SQLite, then PostgreSQL): a handler takes a claim from its
declaration to its payment, an auditor replays a claim as of version 3 and sees what version 4
changed, a manager opens the dashboard for a past day (and it holds at 1,024 px and at a
phone's 375 px). The page states are checked in French at each step; screenshots go to
test-artifacts/journey-*.png.

One Chromium for the module (each journey logs in afresh); without Chromium the tests skip,
unless CLAIMS_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from bench.browser import log_in
from infra.settings import eventsourcing_env
from services.application import ClaimsApplication
from services.demo import generate
from services.http.i18n import label
from tests.browser.support import (
    assert_accessible,
    browser,
    content,
    fill,
    open_action,
    reset_screen,
    scrolls_sideways,
    serving,
    submit,
    wait_for,
)
from tests.browser.test_pages import ARTIFACTS, _assert_no_csp_violation, _need_browser
from tests.domain.gwt import declaration
from tests.services.conftest import TOKENS

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    with browser(1280, 1000) as driver:
        yield driver


@pytest.fixture
def store(database_url: str) -> str:
    """A fresh store, SQLite then PostgreSQL (tests/conftest.py)."""
    _need_browser()
    return database_url


def _eur(amount: str) -> str:
    return str(format_currency(Decimal(amount), "EUR", locale="fr_FR"))


def _day(value: date) -> str:
    return str(format_date(value, "long", locale="fr_FR"))


def _shot(driver: Any, name: str, showing: str | None = None) -> None:
    if showing:  # that element in view
        driver.execute_script(
            "document.getElementById(arguments[0]).scrollIntoView({block: 'center'})", showing
        )
    driver.save_screenshot(str(ARTIFACTS / f"journey-{name}.png"))


def _proof_states(driver: Any) -> dict[str, str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#proofs tr")[1:]  # the header row first
    cells = [row.find_elements(By.TAG_NAME, "td") for row in rows]
    return {c[0].text: c[1].text for c in cells if len(c) == 2}


def _done(driver: Any) -> str:
    return content(driver, "action-done")


def test_a_handler_declares_requests_and_records_proofs_accepts_after_a_preview_and_pays(
    chrome: Any, store: str
) -> None:
    with serving(store) as site:
        log_in(chrome, site, TOKENS["handler"])
        assert content(chrome, "go-declare") == "Déclarer un sinistre"
        submit(chrome, "go-declare")
        assert chrome.title.startswith("Déclarer un sinistre")

        # A refused field first: the form comes back with the French message next to it.
        declaration_form = {
            "declare-contract": "CA2624",
            "declare-subscription_number": "NQ7LVFB",
            "declare-guarantee": "cancellation",
            "declare-cause-category": "A",
            "declare-cause-code": "serious_illness",
            "declare-event_date": "2026-03-02",
            "declare-declared_on": "2026-03-04",
            "declare-booking_date": "2026-01-10",
            "declare-subscription_date": "2026-01-10",
            "declare-trip-departure_date": "2026-03-20",
            "declare-trip-return_date": "2026-03-27",
            "declare-trip-destination": "Lisbonne",
            "declare-insured-0-name": "Jeanne Martin",
            "declare-insured-0-trip_price": "1 200,00",
            "declare-settlement_mode": "cash",
            "declare-channel": "online",
        }
        fill(chrome, {**declaration_form, "declare-insured-0-trip_price": "douze cents"})
        chrome.execute_script("document.getElementById('declare-form').noValidate = true")
        submit(chrome, "declare-submit")
        assert content(chrome, "form-error") == "Certains champs sont refusés : voir ci-dessous."
        assert content(chrome, "declare-insured-0-trip_price-error") != ""
        _shot(chrome, "handler-1-declaration-refused", "declare-insured-0-trip_price")
        assert_accessible(chrome, unfold=False)

        fill(chrome, declaration_form)
        submit(chrome, "declare-submit")
        number = content(chrome, "claim-number")
        assert _done(chrome) == "Enregistré : Sinistre déclaré."
        assert content(chrome, "claim-status") == "Déclaré"
        assert content(chrome, "indemnity-state") == "Pas encore examiné."
        assert "Aucun justificatif demandé." in content(chrome, "proofs")
        _shot(chrome, "handler-2-declared")

        open_action(chrome, "request-proofs")
        fill(
            chrome,
            {
                "request-proofs-documents-medical_certificate": "1",
                "request-proofs-documents-cancellation_invoice": "1",
                "request-proofs-requested_on": "2026-03-05",
            },
        )
        submit(chrome, "request-proofs-submit")
        assert _done(chrome) == "Enregistré : Demander des justificatifs."
        assert content(chrome, "claim-status") == "Justificatifs demandés"
        assert _proof_states(chrome) == {
            "Certificat médical": "attendue",
            "Facture d'annulation": "attendue",
        }
        _shot(chrome, "handler-3-proofs-requested", "proofs")

        for document, received in (
            ("medical_certificate", {"Certificat médical": "reçue"}),
            ("cancellation_invoice", {"Facture d'annulation": "reçue"}),
        ):
            open_action(chrome, "record-proof")
            fill(
                chrome,
                {"record-proof-document": document, "record-proof-received_on": "2026-03-06"},
            )
            submit(chrome, "record-proof-submit")
            assert _done(chrome) == "Enregistré : Enregistrer un justificatif reçu."
            assert received.items() <= _proof_states(chrome).items()
        assert content(chrome, "claim-status") == "Dossier complet"
        _shot(chrome, "handler-4-proofs-complete")

        # The preview shows the indemnity and records nothing; the confirmation records it.
        open_action(chrome, "accept")
        fill(chrome, {"accept-decided_on": "2026-03-08", "accept-fees-0-invoiced": "900,00"})
        submit(chrome, "accept-preview")
        assert content(chrome, "preview-total") == _eur("550.00")  # 900 less the deductible
        assert "Aperçu de l'indemnité (non enregistré)" in content(chrome, "indemnity-preview")
        assert content(chrome, "claim-status") == "Dossier complet"  # nothing recorded yet
        _shot(chrome, "handler-5-indemnity-preview", "indemnity-preview")
        assert_accessible(chrome, unfold=False)
        submit(chrome, "accept-confirm")
        assert _done(chrome) == "Enregistré : Accepter (aperçu de l'indemnité d'abord)."
        assert content(chrome, "claim-status") == "Accepté"
        assert content(chrome, "indemnity-total") == _eur("550.00")
        assert content(chrome, "amount-paid") == _eur("0")
        _shot(chrome, "handler-6-accepted", "indemnity-total")

        open_action(chrome, "settle")
        fill(
            chrome,
            {"settle-paid_on": "2026-03-09", "settle-mode": "cash", "settle-reference": "VIR-1"},
        )
        submit(chrome, "settle-submit")
        assert _done(chrome) == "Enregistré : Payer l'indemnité acceptée."
        assert content(chrome, "claim-status") == label("fr", "status", "settled") == "Payé"
        assert content(chrome, "amount-paid") == _eur("550.00")
        assert content(chrome, "claim-number") == number
        _shot(chrome, "handler-7-paid", "amount-paid")
        _assert_no_csp_violation(chrome)


def _four_versions(url: str) -> str:
    """A claim of four versions: declared, two proofs requested, one received, the other."""
    app = ClaimsApplication(env=eventsourcing_env(url))
    try:
        claim = app.declare(declaration(), by="handler-user")
        app.request_proofs(
            claim.id,
            documents=["medical_certificate", "cancellation_invoice"],
            requested_on=date(2026, 3, 5),
            by="handler-user",
        )
        for document, day in (("medical_certificate", 6), ("cancellation_invoice", 9)):
            app.receive_proof(
                claim.id, document=document, received_on=date(2026, 3, day), by="handler-user"
            )
        return str(claim.claim_number)
    finally:
        app.close()


def _table(driver: Any, element_id: str) -> list[tuple[str, ...]]:
    from selenium.webdriver.common.by import By

    rows = wait_for(driver, element_id).find_elements(By.TAG_NAME, "tr")[1:]
    return [tuple(td.text for td in row.find_elements(By.TAG_NAME, "td")) for row in rows]


def _fields(driver: Any, element_id: str) -> dict[str, tuple[str, ...]]:
    """An audit table by field key (the first cell's data-code): the French words shown."""
    from selenium.webdriver.common.by import By

    rows = wait_for(driver, element_id).find_elements(By.TAG_NAME, "tr")[1:]
    return {
        row.find_element(By.TAG_NAME, "td").get_attribute("data-code"): tuple(
            td.text for td in row.find_elements(By.TAG_NAME, "td")
        )
        for row in rows
    }


def test_an_auditor_replays_a_claim_as_of_version_3_and_sees_what_version_4_changed(
    chrome: Any, store: str
) -> None:
    number = _four_versions(store)
    with serving(store) as site:
        log_in(chrome, site, TOKENS["auditor"])
        fill(chrome, {"claim-number-lookup": number})
        submit(chrome, "open-claim")
        assert content(chrome, "claim-number") == number
        assert content(chrome, "claim-status") == "Dossier complet"
        assert chrome.find_elements("id", "actions") == []  # no command forms for an auditor
        submit(chrome, "go-audit")
        assert content(chrome, "replay-title") == "Le dossier à la version 4"
        history = _table(chrome, "audit-history")
        assert [row[:3] for row in history] == [
            ("1", "Sinistre déclaré", "handler-user"),
            ("2", "Justificatifs demandés", "handler-user"),
            ("3", "Justificatif reçu", "handler-user"),
            ("4", "Justificatif reçu", "handler-user"),
        ]
        assert [row[3] for row in history] == [
            _day(date(2026, 3, day)) for day in (4, 5, 6, 9)
        ]  # business dates, in French

        # As of version 3: one proof of two received, the claim still waiting for proofs.
        fill(chrome, {"replay-version": "3", "replay-compare": "2"})
        submit(chrome, "replay-submit")
        assert content(chrome, "replay-title") == "Le dossier à la version 3"
        replayed = _fields(chrome, "replay-body")
        assert replayed["status"] == ("Statut", "Justificatifs demandés")
        assert replayed["version"] == ("Version", "3")
        assert replayed["proofs.received.0"][1] == "Certificat médical"
        assert "proofs.received.1" not in replayed
        _shot(chrome, "auditor-1-version-3")

        # Its difference with version 4: each changed field, old -> new.
        fill(chrome, {"replay-version": "4", "replay-compare": "3"})
        submit(chrome, "replay-submit")
        changes = _fields(chrome, "changes")
        assert changes["status"] == ("Statut", "Justificatifs demandés", "Dossier complet")
        assert changes["version"] == ("Version", "3", "4")
        assert changes["proofs.received.1"][1:] == ("", "Facture d'annulation")
        assert changes["proofs.outstanding.0"][1:] == ("Facture d'annulation", "")
        assert changes["proofs.complete"][1:] == ("non", "oui")
        shown = " ".join(cell for row in changes.values() for cell in row)
        assert "proofs_" not in shown
        assert "cancellation_invoice" not in shown
        assert set(changes) == {
            "status",
            "version",
            "proofs.received.1",
            "proofs.outstanding.0",
            "proofs.complete",
            "modified_at",  # the recorded time of version 4
        }
        heading = chrome.find_element("css selector", "#changes").find_element(
            "xpath", "ancestor::div[contains(@class,'panel')]/h2"
        )
        assert heading.text == "Changements de la version 3 à la version 4"
        assert (
            wait_for(chrome, "audit-csv")
            .get_attribute("href")
            .endswith(f"/claims/{number}/audit.csv")
        )
        _shot(chrome, "auditor-2-changes-3-to-4", "changes")
        assert_accessible(chrome)
        _assert_no_csp_violation(chrome)


def test_a_manager_opens_the_dashboard_for_a_past_day_and_it_holds_on_small_screens(
    chrome: Any, store: str
) -> None:
    app = ClaimsApplication(env=eventsourcing_env(store))
    generate(app, claims=60, seed=11, today=TODAY)
    app.close()
    past = date(2026, 6, 30)
    with serving(store) as site:
        log_in(chrome, site, TOKENS["manager"])
        assert content(chrome, "go-dashboard") == "Tableau de bord"
        submit(chrome, "go-dashboard")
        fill(chrome, {"as-of": past.isoformat()})
        submit(chrome, "apply-as-of")
        assert content(chrome, "shown-as-of") == _day(past)
        assert chrome.title.startswith(f"Tableau de bord {_day(past)}")
        assert f"as_of={past.isoformat()}" in chrome.current_url
        # Every breached clock listed was due by that day, and says so in French.
        # The tiles are that day's figures (the API's), as Babel's fr_FR writes them.
        figures = httpx.get(
            f"{site}/api/v1/dashboard",
            params={"as_of": past.isoformat()},
            headers={"Authorization": f"Bearer {TOKENS['manager']}"},
            timeout=30,
        ).json()
        assert content(chrome, "kpi-open") == format_decimal(figures["open_claims"], locale="fr_FR")
        assert content(chrome, "kpi-paid-month") == _eur(figures["indemnities"]["paid_this_month"])
        breached = _table(chrome, "breached")
        assert breached
        assert {row[3] for row in breached} == {"Dépassé"}
        assert all("_" not in row[1] for row in breached)  # clocks in words, not their codes
        _shot(chrome, "manager-1-dashboard-past-day-1280")
        assert not chrome.execute_script(
            "return document.scrollingElement.scrollWidth > window.innerWidth"
        )
        try:
            for width in (1024, 375):
                assert not scrolls_sideways(chrome, width), f"scrolls sideways at {width} px"
                assert content(chrome, "shown-as-of") == _day(past)  # the same day, reloaded
                _shot(chrome, f"manager-2-dashboard-past-day-{width}")
        finally:
            reset_screen(chrome)
        _assert_no_csp_violation(chrome)
