"""No raw code on the pages (docs/adr/0023): the dashboard's figure definitions in French
under French names, and the project's own favicon instead of a 404."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from projections.dashboard.queries import DEFINITIONS
from services.http import i18n
from tests.services.conftest import page_login


def test_the_figure_definitions_are_french_under_french_names(api_sqlite: TestClient) -> None:
    assert page_login(api_sqlite).status_code == 303
    page = api_sqlite.get("/dashboard").text
    found = re.search(r'<details class="panel spaced" id="definitions">(.*?)</details>', page, re.S)
    assert found is not None
    terms = re.findall(r'<dt data-code="([^"]+)">([^<]*)</dt><dd>([^<]*)</dd>', found.group(1))
    assert [key for key, _, _ in terms] == list(DEFINITIONS)
    for key, name, text in terms:
        assert unescape(name) == i18n.label("fr", "figure", key) != key
        assert unescape(text) == i18n.gettext("fr", DEFINITIONS[key]) != DEFINITIONS[key]
    assert terms[1][:2] == ("open_claims", "Sinistres non clos")
    for english in DEFINITIONS.values():
        assert unescape(english) not in unescape(page)  # not in the tiles' titles either


def test_the_favicon_is_the_projects_own_file(api_sqlite: TestClient) -> None:
    icon = api_sqlite.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 0 < len(icon.content) < 4096
    login = api_sqlite.get("/login").text
    assert '<link rel="icon" href="/favicon.ico"' in login
