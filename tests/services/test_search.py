"""Search by claim number, subscription number or insured name, from the API
(GET /api/v1/claims/search) and from the staff's search page, on SQLite and PostgreSQL; the
read-model database holds no name (docs/adr/0030-claim-search.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.projections.test_data_at_rest import _everything
from tests.services.conftest import Handler, auth, make_client, page_login

KEY = SecretStr("the-search-key-of-these-tests-0123456789")


@pytest.fixture
def site(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url, search_key=KEY) as client:
        yield client


def _search(client: TestClient, q: str, role: str = "handler") -> list[str]:
    response = client.get(
        "/api/v1/claims/search",
        params={"q": q},
        headers={**auth(role), "X-Consistent-With": str(client.app.state.runner.head())},  # type: ignore[attr-defined]
    )
    assert response.status_code == 200, response.text
    assert response.json()["names_searched"] is True
    return [item["claim_number"] for item in response.json()["items"]]


def test_the_api_finds_claims_by_number_subscription_or_name(site: TestClient) -> None:
    handler = Handler(site)
    first = handler.declare(
        insured=[
            {"name": "Hélène Dupré", "trip_price": "600.00"},
            {"name": "Marc Dupré", "trip_price": "600.00"},
        ]
    )
    second = handler.declare(subscription_number="AB12345")
    assert _search(site, first["claim_number"].lower()) == [first["claim_number"]]
    assert _search(site, "ab12345", role="auditor") == [second["claim_number"]]
    assert _search(site, "HELENE dupre", role="manager") == [first["claim_number"]]
    assert _search(site, "dupré") == [first["claim_number"]]
    assert _search(site, "jeanne martin") == [second["claim_number"]]
    assert _search(site, "Nobody") == []
    item = site.get(
        "/api/v1/claims/search", params={"q": "AB12345"}, headers=auth("handler")
    ).json()["items"][0]
    assert set(item) == {"claim_id", "claim_number", "contract", "status", "declared_on"}
    assert item["status"] == "declared"
    refused = site.get("/api/v1/claims/search", params={"q": ""}, headers=auth("handler"))
    assert refused.status_code == 422
    assert "q" in refused.text
    assert site.get("/api/v1/claims/search", params={"q": "x"}).status_code == 401
    dump = _everything(site.app.state.runner.store).casefold()  # type: ignore[attr-defined]
    for text in ("hélène", "helene", "dupré", "dupre", "jeanne", "martin"):
        assert text not in dump, text


def test_without_a_search_key_names_are_not_searched(sqlite_url: str) -> None:
    with make_client(sqlite_url) as client:
        number = Handler(client).declare()["claim_number"]
        head = str(client.app.state.runner.head())  # type: ignore[attr-defined]
        headers = {**auth("auditor"), "X-Consistent-With": head}
        by_name = client.get("/api/v1/claims/search", params={"q": "Martin"}, headers=headers)
        assert by_name.json() == {"items": [], "names_searched": False}
        by_number = client.get("/api/v1/claims/search", params={"q": number}, headers=headers)
        assert [i["claim_number"] for i in by_number.json()["items"]] == [number]
        page_login(client, "auditor", "/")
        page = client.get("/search", params={"q": "Martin"}).text
        assert 'id="names-not-searched"' in page


@pytest.mark.parametrize("role", ["handler", "manager", "auditor"])
def test_the_search_page_shows_number_name_contract_status_and_date_in_french(
    database_url: str, role: str
) -> None:
    with make_client(database_url, search_key=KEY) as client:
        number = Handler(client).declare()["claim_number"]
        client.app.state.runner.catch_up()  # type: ignore[attr-defined]
        assert page_login(client, role, "/").status_code == 303
        home = client.get("/").text
        assert 'id="go-search"' in home
        page = client.get("/search", params={"q": "jeanne MARTIN"})
        assert page.status_code == 200
        rows = re.findall(r"<tr><td>(.*?)</tr>", page.text, re.S)
        assert len(rows) == 1
        assert f'href="/claims/{number}"' in rows[0]
        assert "Jeanne Martin" in rows[0]  # read from the claim, as its page does
        assert "CA2624" in rows[0]
        assert "Déclaré" in rows[0]
        assert 'data-code="declared"' in rows[0]
        assert "4 mars 2026" in rows[0]
        empty = client.get("/search", params={"q": "personne"}).text
        assert "Aucun dossier trouvé." in empty
        assert client.get("/search").status_code == 200
        bad = client.get("/search", params={"q": "a\u202eb"})
        assert bad.status_code == 422
