"""The management pages' figures, without a browser: the dashboard shows the API's numbers
(which a scan of the events gives), its clock lists page through the true count, and a claim
page keeps its earlier payments and indemnity history after a reopening."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
import structlog
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from fastapi.testclient import TestClient

from infra.settings import eventsourcing_env
from projections.paging import encode_cursor
from services.application import ClaimsApplication
from services.demo import generate
from services.http import i18n
from tests.domain.gwt import declaration
from tests.projections.scan import scan_claims, scanned_figures
from tests.services.conftest import Handler, auth, make_client, page_login

TODAY = date(2026, 11, 22)
ROW = re.compile(
    r'<tr><td><a class="claim-link" href="/claims/(\w+)\?as_of=[\d-]+">\w+</a></td>\s*'
    r'<td data-code="(\w+)">[^<]*</td><td data-date="([\d-]+)">[^<]*</td>'
)


def _eur(amount: str) -> str:
    """An amount as the pages write it: Babel's fr_FR format (narrow no-break spaces)."""
    return str(format_currency(Decimal(amount), "EUR", locale="fr_FR"))


def _count(value: int) -> str:
    return str(format_decimal(value, locale="fr_FR"))


def _day(value: str) -> str:
    return str(format_date(date.fromisoformat(value), "long", locale="fr_FR"))


def _login(client: TestClient) -> None:
    response = page_login(client)
    assert response.status_code == 303, response.text
    assert client.get(response.headers["location"]).status_code == 200  # the dashboard


def _by_id(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)<', page, re.S)
    assert found is not None, element_id
    return unescape(found.group(1)).strip()


def _link(page: str, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}" href="([^"]+)"', page)
    return unescape(found.group(1)) if found else None


def _rows(page: str, table_id: str) -> list[tuple[str, ...]]:
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert table is not None, table_id
    return [tuple(row) for row in ROW.findall(table.group(1))]


def _cells(page: str, table_id: str) -> list[tuple[str, ...]]:
    """The text of each cell of each row of a table, its header row left out."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert table is not None, table_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [
        tuple(
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td>(.*?)</td>", r, re.S)
        )
        for r in rows
        if "<td>" in r
    ]


@pytest.fixture(autouse=True)
def _logs_to_this_tests_output() -> None:
    # An earlier test may have run the CLI in-process (tests/services/test_entry_points.py),
    # which configured structlog to cache loggers writing to that test's captured, now closed,
    # stderr.
    structlog.reset_defaults()


@pytest.fixture
def site(database_url: str) -> Iterator[TestClient]:
    """The back office over 80 demo claims and 30 claims whose complaint was never
    acknowledged nor answered (60 breached clocks, over a page), its read models caught up,
    a manager logged in."""
    app = ClaimsApplication(env=eventsourcing_env(database_url))
    generate(app, claims=80, seed=7, today=TODAY)
    for _ in range(30):
        claim = app.declare(declaration(), by="h1")
        app.open_complaint(
            claim.id,
            sent_on=date(2026, 4, 3),
            received_on=date(2026, 4, 3),
            channel="email",
            summary="slow",
            by="h1",
        )
    app.close()
    with make_client(database_url) as client:
        deadline = time.monotonic() + 60
        while any(client.get("/readyz", headers=auth("manager")).json()["projection_lag"].values()):
            assert time.monotonic() < deadline, "the read models did not catch up"
            time.sleep(0.1)
        _login(client)
        yield client


def test_the_dashboard_shows_the_apis_figures_which_a_scan_of_the_events_gives(
    site: TestClient,
) -> None:
    figures = site.get(
        "/api/v1/dashboard", params={"as_of": TODAY.isoformat()}, headers=auth("manager")
    ).json()
    app = site.app.state.claims  # type: ignore[attr-defined]
    scanned = scanned_figures(scan_claims(app), app.calendar, TODAY)
    assert {k: v for k, v in figures.items() if k != "definitions"} == json.loads(
        json.dumps(scanned)
    )

    page = site.get("/dashboard", params={"as_of": TODAY.isoformat()}).text
    groups, money = figures["status_groups"], figures["indemnities"]
    for element_id, value in {
        "kpi-in-progress": _count(groups["in_progress"]),
        "kpi-awaiting-closure": _count(groups["awaiting_closure"]),
        "kpi-closed": _count(groups["closed"]),
        "kpi-open": _count(figures["open_claims"]),
        "kpi-accepted": _eur(money["accepted"]),
        "kpi-paid": _eur(money["paid"]),
        "kpi-paid-current": _eur(money["paid_on_current_acceptances"]),
        "kpi-paid-before-reopening": _eur(money["paid_before_reopening"]),
        "kpi-paid-month": _eur(money["paid_this_month"]),
        "breached-count": _count(figures["breached_clocks"]),
        "at-risk-count": _count(figures["at_risk_clocks"]),
        "kpi-outstanding-reserve": _eur(figures["money"]["outstanding_reserve"]),
    }.items():
        assert _by_id(page, element_id) == value, element_id
    # Money: incurred by contract, paid and recovered per month (docs/adr/0027).
    assert _cells(page, "incurred-by-contract") == [
        (contract, _eur(amount))
        for contract, amount in figures["money"]["incurred_by_contract"].items()
    ]
    per_month = figures["money"]
    months = sorted({*per_month["paid_by_month"], *per_month["recovered_by_month"]}, reverse=True)
    assert _cells(page, "money-per-month") == [
        (
            # The month in words, as Babel writes it in French ("octobre 2026").
            format_date(date.fromisoformat(f"{month}-01"), "LLLL y", locale="fr_FR"),
            _eur(per_month["paid_by_month"].get(month, "0.00")),
            _eur(per_month["recovered_by_month"].get(month, "0.00")),
        )
        for month in months
    ]
    assert (
        groups["in_progress"] + groups["awaiting_closure"] + groups["closed"] == (figures["claims"])
    )
    # Each tile carries its definition, and the page lists them all.
    # The API's definitions, shown in French (the catalogue's translation of each).
    in_progress = i18n.gettext("fr", figures["definitions"]["status_groups.in_progress"])
    assert in_progress != figures["definitions"]["status_groups.in_progress"]
    assert f'title="{in_progress}"' in unescape(page)
    assert unescape(page).count("<dt data-code=") == len(figures["definitions"])
    # The complaint stages as plain bars (a stage can be skipped: not a funnel), drawn on the
    # server as SVG, each bar's value Babel-formatted, in the API's order, in French.
    chart = re.search(r'<svg id="chart-complaints".*?</svg>', page, re.S)
    assert chart is not None
    bars = re.findall(
        r'<g class="bar"><text[^>]*>([^<]*)</text>.*?</rect><text[^>]*>([^<]*)</text>',
        chart.group(0),
    )
    assert [unescape(shown) for _, shown in bars] == [
        _count(n) for n in figures["complaint_stages"].values()
    ]
    assert unescape(bars[0][0]) == "Réclamations reçues"
    assert "<script" not in page


def test_the_breached_list_shows_the_true_count_and_pages_through_it(site: TestClient) -> None:
    day = TODAY.isoformat()
    figures = site.get("/api/v1/dashboard", params={"as_of": day}, headers=auth("manager")).json()
    listed: list[tuple[str, ...]] = []
    cursor = None
    while True:
        page = site.get(
            "/api/v1/sla",
            params={
                "as_of": day,
                "state": "breached",
                "limit": 40,
                **({"cursor": cursor} if cursor else {}),
            },
            headers=auth("manager"),
        ).json()
        listed += [(i["claim_number"], i["clock"], i["due_on"]) for i in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert len(listed) == figures["breached_clocks"] > 50  # more than one page

    page = site.get("/dashboard", params={"as_of": day}).text
    assert _by_id(page, "breached-count") == _count(len(listed))
    assert _link(page, "breached-previous") is None
    pages = [_rows(page, "breached")]
    while (next_url := _link(page, "breached-next")) is not None:
        page = site.get(next_url).text
        assert _by_id(page, "breached-count") == _count(len(listed))
        pages.append(_rows(page, "breached"))
    assert [row for rows in pages for row in rows] == listed
    assert [len(rows) for rows in pages[:-1]] == [50] * (len(pages) - 1)
    previous = _link(page, "breached-previous")
    assert previous is not None
    assert _rows(site.get(previous).text, "breached") == pages[-2]
    # Paging one list keeps the other where it was.
    assert "at_risk" not in previous
    at_risk_after = encode_cursor("2026-01-01", "S2", "")  # at-risk clocks due from then on
    second = site.get(f"{previous.split('#')[0]}&at_risk_after={at_risk_after}").text
    assert _rows(second, "breached") == pages[-2]
    assert f"at_risk_after={at_risk_after}" in (_link(second, "breached-next") or "")

    bad = site.get("/dashboard", params={"as_of": day, "breached_after": "%%%"})
    assert bad.status_code == 422
    assert _by_id(bad.text, "invalid-field") == "breached_after"


def _claim_page(client: TestClient, claim_number: str) -> str:
    response = client.get(f"/claims/{claim_number}", params={"as_of": "2026-06-30"})
    assert response.status_code == 200
    return str(response.text)


def _history(page: str) -> list[list[str]]:
    table = re.search(r'<table id="indemnity-history">(.*?)</table>', page, re.S)
    assert table is not None
    rows = re.findall(r"<tr class=\"\w+\">(.*?)</tr>", table.group(1), re.S)
    return [
        [unescape(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows
    ]


def test_after_a_reopening_the_claim_page_shows_the_earlier_payment_and_the_history(
    api: TestClient,
) -> None:
    h = Handler(api)
    claim = h.declare()
    cid, number = claim["claim_id"], claim["claim_number"]
    h.command(
        cid, "proof-requests", {"documents": ["cancellation_invoice"], "requested_on": "2026-03-05"}
    )
    h.command(cid, "proofs", {"document": "cancellation_invoice", "received_on": "2026-03-10"})

    def assess(on: str, invoiced: str) -> Any:
        fees = [{"insured": "Jeanne Martin", "invoiced": invoiced, "non_refundable": "0.00"}]
        return h.command(cid, "assessment", {"decision": "accept", "decided_on": on, "fees": fees})

    assess("2026-03-12", "500.00")  # 450.00 owed
    h.command(cid, "settlement", {"paid_on": "2026-03-20", "mode": "cash", "reference": "VIR-1"})
    h.command(cid, "reopening", {"reopened_on": "2026-04-01", "reason": "complaint upheld"})
    _login(api)

    page = _claim_page(api, number)
    assert "Pas encore examiné" not in page
    assert _by_id(page, "indemnity-state") == "Rouvert : pas encore réexaminé."
    assert _by_id(page, "amount-paid") == _eur("450.00")
    assert _by_id(page, "paid-before-reopening") == _eur("450.00")
    before = "avant une réouverture"
    assert _history(page) == [
        [_day("2026-03-12"), "acceptée", _eur("450.00"), "", "handler-user", before],
        [_day("2026-03-20"), "payé", _eur("450.00"), "VIR-1", "handler-user", before],
        [_day("2026-04-01"), "rouvert", "", "", "handler-user", ""],
    ]
    assert "complaint upheld" not in page  # reasons are free text: not on the pages

    assess("2026-04-02", "900.00")  # 550.00 owed now
    h.command(cid, "settlement", {"paid_on": "2026-05-05", "mode": "cash", "reference": "VIR-2"})
    page = _claim_page(api, number)
    assert _by_id(page, "indemnity-total") == _eur("550.00")
    assert _by_id(page, "amount-paid") == _eur("550.00")
    assert _by_id(page, "paid-before-reopening") == _eur("450.00")
    assert _history(page)[3:] == [
        [_day("2026-04-02"), "acceptée", _eur("550.00"), "", "handler-user", ""],
        [_day("2026-05-05"), "payé", _eur("100.00"), "VIR-2", "handler-user", ""],
    ]
    # The payments: v1's settlements are issued final payments (docs/adr/0027).
    assert [row[:5] for row in _cells(page, "payments")] == [
        (f"{number}-P1", "Solde", "Virement", _eur("450.00"), "Émis"),
        (f"{number}-P2", "Solde", "Virement", _eur("100.00"), "Émis"),
    ]
