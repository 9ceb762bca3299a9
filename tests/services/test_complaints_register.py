"""Complaint qualification, corrective actions and the complaints register over HTTP and the
command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

from tests.services.conftest import Handler, auth

PERIOD = {"from": "2026-04-01", "to": "2026-04-30", "as_of": "2026-06-30"}


def _claim_with_a_complaint(client: TestClient) -> tuple[str, str]:
    h = Handler(client)
    cid = h.declare()["claim_id"]
    claim = h.command(
        cid,
        "complaints",
        {
            "sent_on": "2026-04-01",
            "received_on": "2026-04-02",
            "channel": "email",
            "summary": "too little",
            "motive": "amount",
        },
    )
    return cid, claim["complaints"][-1]["complaint_id"]


def _qualified_with_actions(client: TestClient) -> tuple[str, str, dict[str, Any]]:
    h = Handler(client)
    cid, complaint = _claim_with_a_complaint(client)
    h.command(cid, f"complaints/{complaint}/acknowledgement", {"sent_on": "2026-04-04"})
    h.command(
        cid, f"complaints/{complaint}/answer", {"sent_on": "2026-04-20", "outcome": "rejected"}
    )
    h.command(
        cid,
        f"complaints/{complaint}/qualification",
        {"qualified_on": "2026-04-20", "motive": "amount", "root_cause": "contract_wording"},
    )
    claim = h.command(
        cid,
        f"complaints/{complaint}/corrective-actions",
        {
            "recorded_on": "2026-04-21",
            "action": "reword clause 4",
            "owner": "product",
            "due_on": "2026-05-30",
        },
    )
    action_id = claim["complaints"][-1]["corrective_actions"][-1]["action_id"]
    claim = h.command(
        cid,
        f"complaints/{complaint}/corrective-actions/{action_id}/completion",
        {"done_on": "2026-05-15"},
    )
    return cid, complaint, claim


def test_qualification_and_actions_show_in_the_claim_body(api: TestClient) -> None:
    _cid, complaint, claim = _qualified_with_actions(api)
    item = claim["complaints"][-1]
    assert item["complaint_id"] == complaint
    assert (item["motive"], item["root_cause"]) == ("amount", "contract_wording")
    assert item["corrective_actions"] == [
        {
            "action_id": f"{complaint}-A1",
            "action": "reword clause 4",
            "owner": "product",
            "recorded_on": "2026-04-21",
            "due_on": "2026-05-30",
            "done_on": "2026-05-15",
        }
    ]


def test_unknown_complaint_or_action_is_404_and_bad_input_422(api: TestClient) -> None:
    h = Handler(api)
    cid, complaint = _claim_with_a_complaint(api)
    missing = h.command(
        cid,
        f"complaints/{complaint}/corrective-actions/{complaint}-A9/completion",
        {"done_on": "2026-05-15"},
        expect=404,
    )
    assert missing["type"].endswith("/unknown-corrective-action")
    unknown = h.command(
        cid,
        "complaints/S29999999-R1/qualification",
        {"qualified_on": "2026-04-20", "motive": "amount", "root_cause": "other"},
        expect=404,
    )
    assert unknown["type"].endswith("/unknown-complaint")
    bad = h.command(
        cid,
        f"complaints/{complaint}/qualification",
        {"qualified_on": "2026-04-20", "motive": "cheap", "root_cause": "other"},
        expect=422,
    )
    assert "motive" in json.dumps(bad["errors"])
    early = h.command(
        cid,
        f"complaints/{complaint}/qualification",
        {"qualified_on": "2026-04-01", "motive": "amount", "root_cause": "other"},
        expect=422,
    )
    assert early["type"].endswith("/dates-out-of-order")


def test_the_register_as_json_csv_and_xlsx(api: TestClient) -> None:
    _cid, complaint, _claim = _qualified_with_actions(api)
    _claim_with_a_complaint(api)  # a second claim, its complaint unacknowledged
    as_json = api.get("/api/v1/reports/complaints-register", params=PERIOD, headers=auth("auditor"))
    assert as_json.status_code == 200, as_json.text
    body = as_json.json()
    assert (body["from"], body["to"], body["as_of"]) == ("2026-04-01", "2026-04-30", "2026-06-30")
    first, second = body["items"]
    assert first["complaint_id"] == complaint
    assert first["days_to_acknowledge"] == 3
    assert first["days_to_answer"] == 19
    assert first["breaches"] == []
    assert first["corrective_actions"][0]["done_on"] == "2026-05-15"
    assert second["motive"] == "amount"
    assert second["root_cause"] is None
    assert second["breaches"] == ["complaint_acknowledgement", "complaint_answer"]

    as_csv = api.get(
        "/api/v1/reports/complaints-register",
        params={**PERIOD, "format": "csv"},
        headers=auth("manager"),
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"].startswith("attachment;")
    assert b"\r\n" in as_csv.content
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8"), newline="")))
    assert rows[0] == list(first)
    assert rows[1][rows[0].index("days_to_answer")] == "19"
    assert rows[2][rows[0].index("breaches")] == "complaint_acknowledgement; complaint_answer"
    assert json.loads(rows[1][rows[0].index("corrective_actions")])[0]["owner"] == "product"
    again = api.get(
        "/api/v1/reports/complaints-register",
        params={**PERIOD, "format": "csv"},
        headers=auth("manager"),
    )
    assert again.content == as_csv.content

    as_xlsx = api.get(
        "/api/v1/reports/complaints-register",
        params=PERIOD,
        headers={
            **auth("manager"),
            "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header == list(first)
    received = sheet.cell(row=2, column=header.index("received_on") + 1)
    assert isinstance(received, Cell)
    assert received.is_date
    assert received.value == datetime(2026, 4, 2)
    days = sheet.cell(row=2, column=header.index("days_to_answer") + 1)
    assert days.data_type == "n"
    assert days.value == 19
    assert sheet.cell(row=3, column=header.index("acknowledged_on") + 1).value is None


def test_the_register_is_for_managers_and_auditors_and_refuses_a_future_period(
    api: TestClient,
) -> None:
    url = "/api/v1/reports/complaints-register"
    assert api.get(url, params=PERIOD, headers=auth("handler")).status_code == 403
    future = (date.today().replace(year=date.today().year + 1)).isoformat()
    refused = api.get(url, params={"from": "2026-04-01", "to": future}, headers=auth("manager"))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "to"
    reversed_ = api.get(
        url, params={"from": "2026-05-01", "to": "2026-04-01"}, headers=auth("manager")
    )
    assert reversed_.status_code == 422


def test_the_cli_writes_the_same_register(
    api: TestClient, database_url: str, tmp_path: Path
) -> None:
    _qualified_with_actions(api)
    over_http = api.get(
        "/api/v1/reports/complaints-register",
        params={**PERIOD, "format": "csv"},
        headers=auth("manager"),
    ).content
    for fmt in ("csv", "json", "xlsx"):
        out = tmp_path / f"register.{fmt}"
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("claims")),
                "report",
                "complaints-register",
                "--from",
                PERIOD["from"],
                "--to",
                PERIOD["to"],
                "--as-of",
                PERIOD["as_of"],
                "--format",
                fmt,
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={"CLAIMS_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stderr
        assert "wrote 1 complaints" in result.stderr
        if fmt == "csv":
            assert out.read_bytes() == over_http
        elif fmt == "json":
            assert json.loads(out.read_bytes())["items"][0]["motive"] == "amount"
        else:
            assert load_workbook(out).active is not None


@pytest.mark.parametrize("period", [{"from": "2026-04-01"}, {"to": "2026-04-30"}])
def test_the_period_is_required(api: TestClient, period: dict[str, str]) -> None:
    response = api.get(
        "/api/v1/reports/complaints-register", params=period, headers=auth("manager")
    )
    assert response.status_code == 422
