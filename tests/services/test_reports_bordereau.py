"""The claims bordereau and the loss triangles over HTTP and the command line (api.md v2 §2),
on SQLite and PostgreSQL. Dates are relative to today: the current month is not final yet,
the month before last is (its cut-off has passed); facts recorded now for an earlier month
are late, so they land in the current month. The cut-off rule with set recording times is in
tests/projections/test_reporting.py."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

from domain.reporting import BORDEREAU_COLUMNS, Period
from services.http.deps import today_in_paris
from services.reports.output import ReportFormat, render
from services.reports.streaming import write
from tests.services.conftest import Handler, auth, page_login

TODAY = today_in_paris()
CURRENT = Period.of(TODAY)
PAST = CURRENT.previous().previous()


def _days(declared: date) -> dict[str, Any]:
    return {
        "event_date": str(declared - timedelta(days=2)),
        "known_on": str(declared - timedelta(days=2)),
        "declared_on": str(declared),
        "booking_date": str(declared - timedelta(days=60)),
        "subscription_date": str(declared - timedelta(days=60)),
        "trip": {
            "departure_date": str(declared + timedelta(days=20)),
            "return_date": str(declared + timedelta(days=27)),
            "destination": "Lisbon",
            "transport_price": "500.00",
        },
    }


def _settled(client: TestClient, declared: date | None = None, **overrides: Any) -> dict[str, Any]:
    """A claim accepted and settled on its declaration day (default: March 2026)."""
    h = Handler(client)
    fields = _days(declared) if declared else {}
    on = str(declared) if declared else None
    cid = h.declare(**fields, **overrides)["claim_id"]
    h.command(
        cid,
        "proof-requests",
        {"documents": ["medical_certificate"], "requested_on": on or "2026-03-05"},
    )
    h.command(cid, "proofs", {"document": "medical_certificate", "received_on": on or "2026-03-10"})
    fees = [{"insured": "Jeanne Martin", "invoiced": "900.00", "non_refundable": "0.00"}]
    h.command(
        cid, "assessment", {"decision": "accept", "decided_on": on or "2026-03-12", "fees": fees}
    )
    response = client.post(
        f"/api/v1/claims/{cid}/settlement",
        json={"paid_on": on or "2026-03-20", "mode": "cash", "reference": "VIR-1"},
        headers=auth("handler"),
    )
    assert response.status_code == 200, response.text
    return {**response.json(), "position": response.headers["X-Position"]}


def _get(client: TestClient, path: str, role: str = "manager", **params: str) -> Any:
    """A report, once the read models include everything recorded so far."""
    head = client.app.state.claims.recorder.max_notification_id()  # type: ignore[attr-defined]
    headers = {**auth(role), "X-Consistent-With": str(head)}
    response = client.get(f"/api/v1/reports/{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_the_current_month_holds_this_month_and_late_facts(api: TestClient) -> None:
    now = _settled(api, TODAY)
    late = _settled(api)  # March 2026, recorded now: after March's cut-off
    body = _get(api, "bordereau", period=str(CURRENT)).json()
    assert list(body) == ["period", "cut_off", "final", "items", "totals"]
    assert (body["period"], body["final"]) == (str(CURRENT), False)
    rows = {row["claim_number"]: row for row in body["items"]}
    assert all(list(row) == list(BORDEREAU_COLUMNS) for row in rows.values())
    row = rows[now["claim_number"]]
    assert row["paid_this_period"] == now["financials"]["paid"]
    assert (row["paid_before"], row["status"], row["declared_on"]) == (
        "0.00",
        "settled",
        str(TODAY),
    )
    assert (row["opened_on"], row["acknowledged_on"], row["refusal_reason"]) == (
        str(TODAY),
        None,
        None,
    )
    assert row["loss_date"] == str(TODAY - timedelta(days=2))
    late_row = rows[late["claim_number"]]
    assert (late_row["paid_this_period"], late_row["paid_before"]) == (
        late["financials"]["paid"],
        "0.00",
    )
    assert late_row["declared_on"] == "2026-03-04"
    total = sum((Decimal(r["paid_this_period"]) for r in body["items"]), Decimal("0.00"))
    assert body["totals"]["paid_this_period"] == str(total)


def test_a_past_month_is_final_and_byte_identical_after_later_records(api: TestClient) -> None:
    _settled(api, TODAY)
    json_before = _get(api, "bordereau", period=str(PAST)).content
    csv_before = _get(api, "bordereau", period=str(PAST), format="csv").content
    assert json.loads(json_before)["final"] is True
    _settled(api, PAST.start + timedelta(days=3))  # dated in that month, recorded now
    assert _get(api, "bordereau", period=str(PAST)).content == json_before
    assert _get(api, "bordereau", period=str(PAST), format="csv").content == csv_before


def test_csv_and_xlsx(api: TestClient) -> None:
    claim = _settled(api, TODAY)
    as_csv = _get(api, "bordereau", period=str(CURRENT), format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert f'filename="bordereau_{CURRENT}.csv"' in as_csv.headers["content-disposition"]
    text = as_csv.content.decode("utf-8")
    assert text.startswith(",".join(BORDEREAU_COLUMNS) + "\r\n")
    (row,) = [
        r for r in csv.DictReader(io.StringIO(text)) if r["claim_number"] == claim["claim_number"]
    ]
    assert (row["acknowledged_on"], row["paid_before"]) == ("", "0.00")
    as_xlsx = _get(api, "bordereau", period=str(CURRENT), format="xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header == list(BORDEREAU_COLUMNS)
    cells = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    mine = cells[claim["claim_number"]]
    by_name = dict(zip(header, mine, strict=True))
    for name in ("loss_date", "declared_on", "opened_on"):
        cell = by_name[name]
        assert isinstance(cell, Cell)
        assert cell.is_date
    assert by_name["paid_this_period"].data_type == "n"
    assert Decimal(str(by_name["paid_this_period"].value)) == Decimal(claim["financials"]["paid"])
    contract = _get(api, "bordereau", period=str(CURRENT), contract="CORSAIR").json()
    assert contract["items"] == []


@pytest.mark.parametrize(
    ("period", "reason"),
    [(str(CURRENT.next()), "future"), ("2026-13", "YYYY-MM"), ("x", "YYYY-MM")],
)
def test_a_future_or_malformed_period_is_422_naming_it(
    api: TestClient, period: str, reason: str
) -> None:
    response = api.get(
        "/api/v1/reports/bordereau", params={"period": period}, headers=auth("auditor")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "period" in json.dumps(response.json()["errors"])
    assert reason in json.dumps(response.json()["errors"])


@pytest.mark.parametrize(("role", "status"), [("manager", 200), ("auditor", 200), ("handler", 403)])
def test_who_reads_the_reports(api: TestClient, role: str, status: int) -> None:
    for path, params in (("bordereau", {"period": str(CURRENT)}), ("triangles", {})):
        response = api.get(f"/api/v1/reports/{path}", params=params, headers=auth(role))
        assert response.status_code == status, response.text


def test_the_triangles_last_diagonal_is_the_financials_of_today(api: TestClient) -> None:
    _settled(api, TODAY)
    last = _settled(api)
    headers = {**auth("auditor"), "X-Consistent-With": last["position"]}
    financials = api.get("/api/v1/financials", params={"limit": 500}, headers=headers).json()
    for basis in ("paid", "incurred", "count"):
        for origin in ("accident", "declaration"):
            for step in ("quarter", "year"):
                body = api.get(
                    "/api/v1/reports/triangles",
                    params={"basis": basis, "origin": origin, "step": step},
                    headers=headers,
                ).json()
                assert list(body) == ["origins", "cells"]
                n = len(body["origins"])
                assert all(len(row) == n for row in body["cells"])
                diagonal = [row[n - 1 - i] for i, row in enumerate(body["cells"])]
                assert all(row[n - i :] == [None] * i for i, row in enumerate(body["cells"]))
                if basis == "count":
                    assert sum(diagonal) == len(financials["items"])
                else:
                    total = sum((Decimal(c) for c in diagonal), Decimal("0.00"))
                    assert total == Decimal(financials["totals"][basis])
    future = api.get(
        "/api/v1/reports/triangles",
        params={"as_of": str(TODAY + timedelta(days=3))},
        headers=headers,
    )
    assert future.status_code == 422
    assert "as_of" in json.dumps(future.json()["errors"])


def test_the_cli_writes_the_same_bordereau(
    api: TestClient, database_url: str, tmp_path: Path
) -> None:
    _settled(api, TODAY)
    over_http = _get(api, "bordereau", period=str(CURRENT), format="csv").content
    claims = str(Path(sys.executable).with_name("claims"))
    env = {"CLAIMS_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"bordereau.{fmt}"
        result = subprocess.run(
            [
                claims,
                "report",
                "bordereau",
                "--period",
                str(CURRENT),
                "--format",
                fmt,
                "-o",
                str(out),
                "--progress",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert "wrote 1 claims" in result.stderr
        if fmt == "csv":
            assert out.read_bytes() == over_http
        else:
            assert load_workbook(out).active is not None
    out = tmp_path / "triangles.json"
    result = subprocess.run(
        [claims, "report", "triangles", "--basis", "count", "--step", "year", "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_bytes())["origins"] == [str(TODAY.year)]
    future = subprocess.run(
        [claims, "report", "bordereau", "--period", str(CURRENT.next()), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert future.returncode == 2
    assert "--period is in the future" in future.stderr


def _href(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}" href="([^"]+)"', page)
    assert found is not None, element_id
    return unescape(found.group(1))


def test_the_dashboard_links_to_each_report_for_its_month(api_sqlite: TestClient) -> None:
    _settled(api_sqlite, TODAY)
    login = page_login(api_sqlite)
    assert login.status_code == 303, login.text
    page = api_sqlite.get("/dashboard", params={"as_of": str(TODAY)}).text
    assert f"Rapports de {CURRENT}" in page
    bordereau = _href(page, "report-bordereau-xlsx")
    assert bordereau == f"/reports/bordereau?period={CURRENT}&format=xlsx"
    # The page session is enough to download them (no bearer token in a browser).
    download = api_sqlite.get(bordereau)
    assert download.status_code == 200, download.text
    assert load_workbook(io.BytesIO(download.content)).active is not None
    for link in ("report-bordereau-csv", "report-triangles-paid", "report-complaints-register"):
        assert api_sqlite.get(_href(page, link)).status_code == 200, link
    api_sqlite.cookies.clear()
    assert page_login(api_sqlite, role="handler", target="/worklist").status_code == 303
    assert api_sqlite.get(bordereau).status_code == 403
    api_sqlite.cookies.clear()
    assert api_sqlite.get(bordereau).status_code == 401


def test_streamed_json_and_csv_are_the_shared_outputs_bytes() -> None:
    rows = [
        {"a": date(2026, 3, 4), "b": Decimal("1.50"), "c": None, "d": ["x", "y"]},
        {"a": date(2026, 3, 5), "b": Decimal("-2.00"), "c": 'é,"q"', "d": []},
    ]
    body = {"period": "2026-03", "final": True, "items": rows, "totals": {"b": Decimal("-0.50")}}
    for fmt in (ReportFormat.JSON, ReportFormat.CSV):
        out = io.BytesIO()
        write(
            fmt,
            out,
            stem="s",
            head={"period": "2026-03", "final": True},
            rows=iter(rows),
            tail=lambda: {"totals": {"b": Decimal("-0.50")}},
            columns=["a", "b", "c", "d"],
        )
        assert (
            out.getvalue() == render(fmt, stem="s", body=body, columns=["a", "b", "c", "d"]).content
        )
