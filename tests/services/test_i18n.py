"""The pages in French (services/http/i18n.py, docs/adr/0023): every message of the templates
and of the pages' code has its French translation, every code label too, amounts and dates
are Babel's fr_FR output, and English comes only from the explicit switch."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from projections.dashboard.queries import DEFINITIONS
from services.http import i18n
from services.http.pages import ROLE_NAMES
from tests.services.conftest import page_login

HTTP = Path(__file__).resolve().parents[2] / "services" / "http"


def _message_ids() -> list[str]:
    ids = []
    for template in sorted((HTTP / "templates").glob("*.html")):
        ids += [m.group(2) for m in re.finditer(r"_\(\s*([\"'])(.*?)\1", template.read_text())]
    for module in sorted(HTTP.glob("*.py")):  # the pages' and the forms' modules
        code = module.read_text()
        ids += re.findall(r'_t\(\s*request,\s*"(.*?)"', code, re.S)
        ids += re.findall(r'i18n\.gettext\(lang, "(.*?)"\)', code)
        ids += re.findall(r'N_\(\s*"(.*?)"\)', code, re.S)
    ids += list(ROLE_NAMES.values())
    ids += list(DEFINITIONS.values())  # the dashboard's figure definitions, shown translated
    ids += [words for labels in i18n.LABELS.values() for words in labels.values()]
    return ids


def test_every_message_and_label_has_its_french_translation() -> None:
    ids = _message_ids()
    assert len(ids) > 200
    untranslated = [m for m in ids if i18n.gettext("fr", m) == m and m not in {"Total"}]
    # Words spelled the same in both languages.
    same = {"Cause", "Destination", "Prescription", "Accident", "date", "mode", "recours"}
    same |= {"Actions", "Documents", "Document", "Mode", "Note", "Description", "Audit", "Version"}
    assert [m for m in untranslated if m not in same] == []


def test_amounts_and_dates_are_babels_fr_fr_output() -> None:
    assert i18n.money("fr", Decimal("16826.66")) == format_currency(
        Decimal("16826.66"), "EUR", locale="fr_FR"
    )
    assert i18n.money("fr", "16826.66") == "16\u202f826,66\xa0€"
    assert i18n.day("fr", date(2026, 4, 17)) == format_date(date(2026, 4, 17), "long", "fr_FR")
    assert i18n.day("fr", "2026-04-17") == "17 avril 2026"
    assert i18n.label("fr", "clock", "complaint_acknowledgement") == (
        "Accusé de réception de la réclamation"
    )
    assert i18n.label("fr", "event", "ComplaintAcknowledged") == (
        "Réception de la réclamation accusée"
    )
    assert i18n.label("fr", "cause", "some_new_code") == "Some new code"  # never raw


def test_the_pages_are_french_whatever_the_browser_asks_and_english_by_the_switch(
    api_sqlite: TestClient,
) -> None:
    assert page_login(api_sqlite).status_code == 303
    page = api_sqlite.get("/dashboard", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="fr">' in page
    assert "Tableau de bord" in page or "Sinistres au" in page
    switched = api_sqlite.get(
        "/language", params={"lang": "en", "next": "/dashboard"}, follow_redirects=False
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/dashboard"
    english = api_sqlite.get("/dashboard").text
    assert '<html lang="en">' in english
    assert "Back office as of" in english
    back = api_sqlite.get("/language", params={"lang": "fr", "next": "//evil.example/"})
    assert back.url.path == "/"  # never off-site: the home page
    assert '<html lang="fr">' in back.text
