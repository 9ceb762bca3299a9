"""Plausible input through HTTP (docs/adr/0015-plausible-input.md).

A probe sends, to every command endpoint of the OpenAPI document, an implausible value in each
of its date, free-text and amount fields, and expects a 422 problem naming that field with
nothing written; then the query parameters, cursors and the pages' `as_of`.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from babel.dates import format_date
from fastapi.testclient import TestClient
from pydantic import ValidationError

from infra.settings import Settings
from services.http.deps import today_in_paris
from tests.services.conftest import Handler, auth, declaration_body, make_client, page_login

DAY = "2026-03-05"
HORIZON = 730
MULTILINE = {"action", "cause.description", "reason", "summary", "text"}
WINDOW_MESSAGES = ("before 2000-01-01", "in the future", "too far ahead")


def command_bodies() -> dict[str, dict[str, Any]]:
    """A body for every command endpoint, with every optional field given, so that the probe
    reaches each field of its schema."""
    claim = "/api/v1/claims/{claim_id}"
    complaint = f"{claim}/complaints/{{complaint_id}}"
    payment = f"{claim}/payments/{{payment_id}}"
    recovery = f"{claim}/recoveries/{{recovery_id}}"
    someone = "Jeanne Martin"
    declaration = declaration_body(
        medical_contraindication_on="2026-03-02",
        cancelled_on="2026-03-03",
        interrupted_on="2026-03-21",
        fee_scale=[
            {
                "min_days_before": 0,
                "max_days_before": None,
                "percent": "100",
                "minimum_per_person": "60.00",
            }
        ],
        channel="online",
        declarant={"name": someone, "email": "j@example.fr", "mobile": "0612345678"},
    )
    return {
        "/api/v1/claims": declaration,
        f"{claim}/proof-requests": {"documents": ["medical_certificate"], "requested_on": DAY},
        f"{claim}/proofs": {"document": "medical_certificate", "received_on": DAY},
        f"{claim}/card-insurer-position": {
            "decision": "paid",
            "received_on": DAY,
            "amount_paid": "10.00",
        },
        f"{claim}/assessment": {
            "decision": "accept",
            "decided_on": DAY,
            "fees": [{"insured": someone, "invoiced": "900.00", "non_refundable": "0.00"}],
            "baggage": [
                {
                    "insured": someone,
                    "replacement_value": "100.00",
                    "depreciation": "10.00",
                    "carrier_refund": "0.00",
                    "valuable": False,
                }
            ],
            "delays": [{"insured": someone, "delay_minutes": 240}],
            "tickets": [{"insured": someone, "amount": "150.00"}],
            "reason": "covered",
        },
        f"{claim}/settlement": {"paid_on": DAY, "mode": "cash", "reference": "VIR-1"},
        f"{claim}/closure": {"closed_on": DAY},
        f"{claim}/withdrawal": {"withdrawn_on": DAY},
        f"{claim}/assignment": {"handler": "handler-user", "assigned_on": DAY},
        f"{claim}/complaints": {
            "sent_on": DAY,
            "received_on": DAY,
            "channel": "email",
            "summary": "slow",
            "motive": "delay",
            "root_cause": "process_delay",
        },
        f"{complaint}/acknowledgement": {"sent_on": DAY},
        f"{complaint}/answer": {"sent_on": DAY, "outcome": "rejected"},
        f"{complaint}/escalation": {"received_on": DAY},
        f"{complaint}/qualification": {
            "qualified_on": DAY,
            "motive": "delay",
            "root_cause": "process_delay",
        },
        f"{complaint}/corrective-actions": {
            "recorded_on": DAY,
            "action": "remind the team of the deadline",
            "owner": "quality",
            "due_on": DAY,
        },
        f"{complaint}/corrective-actions/{{action_id}}/completion": {"done_on": DAY},
        f"{claim}/mediation": {"referred_on": DAY},
        f"{claim}/mediation/outcome": {"decided_on": DAY, "outcome": "partial"},
        f"{claim}/reopening": {"reopened_on": DAY, "reason": "a new invoice"},
        f"{claim}/notes": {"text": "called the insured", "noted_on": DAY},
        f"{claim}/prescription-interruptions": {
            "act": "registered_letter",
            "interrupted_on": DAY,
        },
        f"{claim}/reserve": {"amount": "500.00", "set_on": DAY, "reason": "estimate"},
        f"{claim}/payments": {
            "payee": someone,
            "amount": "100.00",
            "kind": "partial",
            "mode": "transfer",
            "requested_on": DAY,
            "iban": "FR7630006000011234567890189",
            "reason": "first instalment",
        },
        f"{payment}/approval": {"decided_on": DAY, "decision": "approve", "reason": "checked"},
        f"{payment}/issuance": {"issued_on": DAY, "bank_reference": "VIR-1"},
        f"{payment}/failure": {"failed_on": DAY, "reason": "account closed", "returned": False},
        f"{payment}/cancellation": {"cancelled_on": DAY, "reason": "duplicate"},
        f"{claim}/recoveries": {
            "source": "carrier",
            "amount": "50.00",
            "expected_on": DAY,
            "subrogation": True,
        },
        f"{recovery}/receipt": {"received_on": DAY, "amount": "50.00"},
        f"{recovery}/write-off": {"written_off_on": DAY, "reason": "insolvent"},
        # Documents and the insured's side (api.md v2 §3, §4). The uploads' bodies are
        # multipart forms (these are their text fields): the probe, which posts JSON, skips
        # them; tests/services/test_api_documents.py sends them bad fields.
        f"{claim}/documents": {"proof_code": "booking_form", "received_on": DAY},
        f"{claim}/documents/{{document_id}}/rejection": {"rejected_on": DAY, "reason": "blurred"},
        f"{claim}/access-code": {"issued_on": DAY},
        "/api/v1/insured/claim/documents": {"proof_code": "booking_form"},
        "/api/v1/insured/sessions": {
            "claim_number": "S20000001",
            "trip_start": "2026-03-20",
            "access_code": "ABCD2345",
        },
        # The portal's: the declaration less declared_on (the day it arrives).
        "/api/v1/insured/declarations": {
            k: v for k, v in declaration.items() if k != "declared_on"
        },
        "/api/v1/notifications/{notification_id}/delivery": {
            "outcome": "failed",
            "at": "2026-03-04T10:00:00+00:00",
            "reason": "mailbox full",
        },
        # Personal data (api.md v2 §6): an admin's.
        "/api/v1/subjects/{subject_id}/erasure": {"erased_on": DAY, "basis": "request"},
    }


Path = tuple[str | int, ...]


def field_name(path: Path) -> str:
    """As the problem documents name fields: `insured[0].name`."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def leaves(schema: dict[str, Any], spec: dict[str, Any], path: Path = ()) -> Iterator[Any]:
    """(path, schema) of every scalar field of a request body schema."""
    if "$ref" in schema:
        yield from leaves(spec["components"]["schemas"][schema["$ref"].split("/")[-1]], spec, path)
    elif "anyOf" in schema:
        for option in schema["anyOf"]:
            if option.get("type") != "null":
                yield from leaves(option, spec, path)
    elif schema.get("type") == "object":
        for name, sub in schema["properties"].items():
            yield from leaves(sub, spec, (*path, name))
    elif schema.get("type") == "array":
        yield from leaves(schema["items"], spec, (*path, 0))
    else:
        yield path, schema


def fields_of(spec: dict[str, Any], kind: str) -> list[tuple[str, Path, dict[str, Any]]]:
    """(endpoint, field path, schema) of every command field of a kind: date, text, pattern."""
    found = []
    for url, item in spec["paths"].items():
        body = item.get("post", {}).get("requestBody")
        if body is None:
            continue
        content = body["content"].get("application/json")
        if content is None:  # an upload: a multipart form, not JSON
            continue
        for path, schema in leaves(content["schema"], spec):
            is_kind = {
                "date": schema.get("format") == "date",
                "pattern": "pattern" in schema,
                "text": schema.get("type") == "string"
                and not {"format", "pattern", "enum"} & set(schema),
            }[kind]
            if is_kind:
                found.append((url, path, schema))
    return found


def with_value(body: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    node: Any = changed
    for part in path[:-1]:
        node = node[part]
    assert path[-1] in (node if isinstance(node, dict) else range(len(node))), path
    node[path[-1]] = value
    return changed


class Probe:
    """Sends one implausible value at a time and collects every answer that is not a 422
    naming the field (with one of the expected messages)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.claim_id = Handler(client).declare()["claim_id"]
        self.spec = client.get("/openapi.json").json()
        self.bodies = command_bodies()
        self.failures: list[str] = []
        self.sent = 0

    def send(self, url: str, path: Path, value: Any, *messages: str) -> None:
        role = "manager" if url.endswith(("/assignment", "/approval")) else "handler"
        role = "portal" if url == "/api/v1/insured/declarations" else role
        if url.endswith("/delivery"):
            role = "notifier"
        role = "admin" if url.startswith("/api/v1/subjects/") else role
        response = self.client.post(
            url.format(
                claim_id=self.claim_id,
                complaint_id="R1",
                action_id="R1-A1",
                payment_id="S20000001-P1",
                recovery_id="S20000001-RC1",
                document_id="S20000001-D1",
                notification_id="00000000-0000-0000-0000-000000000003",
                subject_id="00000000-0000-0000-0000-000000000004",
            ),
            json=with_value(self.bodies[url], path, value),
            headers=auth(role),
        )
        self.sent += 1
        name = field_name(path)
        errors = response.json().get("errors", []) if response.status_code == 422 else []
        named = [e["message"] for e in errors if e["field"] == name]
        if response.headers["content-type"] != "application/problem+json" or not named:
            self.failures.append(f"{url} {name}={value!r}: {response.status_code} {response.text}")
        elif messages and not any(m in message for m in messages for message in named):
            self.failures.append(f"{url} {name}={value!r}: {named}")

    def nothing_written(self) -> bool:
        claim = self.client.get(f"/api/v1/claims/{self.claim_id}", headers=auth("auditor"))
        return bool(claim.json()["version"] == 1)


@pytest.fixture
def probe(api: TestClient) -> Probe:
    return Probe(api)


def test_the_probe_has_a_body_for_every_command_endpoint(probe: Probe) -> None:
    posts = {
        url
        for url, item in probe.spec["paths"].items()
        if "post" in item and "requestBody" in item["post"]
    }
    assert set(probe.bodies) == posts


def test_a_date_in_year_9999_or_before_2000_is_422_naming_it_on_every_command(
    probe: Probe,
) -> None:
    today = today_in_paris()
    dates = fields_of(probe.spec, "date")
    assert len(dates) >= 28  # 10 in a declaration, 18 in the other commands
    for url, path, _ in dates:
        planned = path in (
            ("trip", "departure_date"),
            ("trip", "return_date"),
            ("due_on",),
            ("trip_start",),  # the insured's log-in: their trip's start
        )
        just_too_late = today + timedelta(days=HORIZON + 1 if planned else 2)
        for value in ("9999-12-31", "1999-12-31", just_too_late.isoformat()):
            probe.send(url, path, value, *WINDOW_MESSAGES)
    assert probe.failures == []
    assert probe.nothing_written()


def test_control_and_bidi_characters_are_422_naming_the_field_on_every_command(
    probe: Probe,
) -> None:
    texts = fields_of(probe.spec, "text")
    assert {field_name(path) for _, path, _ in texts} >= MULTILINE | {
        "contract",
        "insured[0].name",
        "trip.destination",
        "reference",
        "handler",
        "fees[0].insured",
    }
    for url, path, _ in texts:
        refused = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u2028"]
        if field_name(path) not in MULTILINE:
            refused += ["\n", "\t"]
        for char in refused:
            probe.send(url, path, f"ab{char}cd", f"U+{ord(char):04X}")
    assert probe.failures == []
    assert probe.nothing_written()


def test_text_over_its_bound_is_422_naming_the_field(probe: Probe) -> None:
    for url, path, schema in fields_of(probe.spec, "text"):
        assert schema["maxLength"] in (200, 2000, 4000), (url, path)
        probe.send(url, path, "x" * (schema["maxLength"] + 1), "at most")
        probe.send(url, path, "x" * 1_000_000, "at most")
    assert probe.failures == []
    assert probe.nothing_written()


def test_amounts_in_anything_but_ascii_digits_are_422_naming_the_field(probe: Probe) -> None:
    patterned = fields_of(probe.spec, "pattern")
    assert {field_name(p) for _, p, _ in patterned} >= {
        "insured[0].trip_price",
        "trip.transport_price",
        "fee_scale[0].percent",
        "fees[0].invoiced",
        "amount_paid",
    }
    for url, path, _ in patterned:
        for value in ("\uff11\uff12\uff13.00", "\u0661\u0662\u0663", "1e3", "12.00\n"):
            probe.send(url, path, value)
    assert probe.failures == []
    assert probe.nothing_written()


def test_a_refused_request_leaves_the_read_models_healthy(api: TestClient) -> None:
    h = Handler(api)
    cid = h.declare()["claim_id"]
    for bad in ({"text": "a\x00b"}, {"text": "ok", "noted_on": "9999-12-31"}):
        h.command(cid, "notes", bad, expect=422)
    note = api.post(f"/api/v1/claims/{cid}/notes", json={"text": "ok"}, headers=auth("handler"))
    consistent = {"X-Consistent-With": note.headers["X-Position"]}
    listed = api.get("/api/v1/claims", headers={**auth("auditor"), **consistent})
    assert [i["version"] for i in listed.json()["items"]] == [2]
    assert api.get("/api/v1/dashboard", headers=auth("manager")).status_code == 200


# ---------------------------------------------------------------- what is accepted


def test_text_is_stored_in_nfc_with_its_newlines_and_tabs(api: TestClient) -> None:
    h = Handler(api)
    claim = h.declare(insured=[{"name": "Ame\u0301lie Lefe\u0300vre", "trip_price": "1200.00"}])
    assert claim["insured"][0]["name"] == "Amélie Lefèvre"
    h.command(claim["claim_id"], "notes", {"text": "appele\u0301e\r\n\tpas de re\u0301ponse"})
    history = api.get(f"/api/v1/claims/{claim['claim_id']}/history", headers=auth("auditor"))
    assert history.json()["items"][-1]["data"]["text"] == "appelée\n\tpas de réponse"


def test_the_edges_of_the_windows_are_accepted(api: TestClient) -> None:
    today = today_in_paris()
    tomorrow = (today + timedelta(days=1)).isoformat()
    h = Handler(api)
    departure = today + timedelta(days=HORIZON)
    claim = h.declare(
        event_date=tomorrow,
        known_on=tomorrow,
        declared_on=tomorrow,
        booking_date="2000-01-01",
        subscription_date="2000-01-01",
        trip={"departure_date": departure.isoformat(), "return_date": departure.isoformat()},
    )
    assert claim["trip"]["departure_date"] == departure.isoformat()
    h.command(claim["claim_id"], "notes", {"text": "ok", "noted_on": tomorrow})


def test_the_trip_date_horizon_is_configurable(sqlite_url: str) -> None:
    later = today_in_paris() + timedelta(days=11)
    with make_client(sqlite_url, trip_date_horizon_days=10) as client:
        trip = {"departure_date": later.isoformat(), "return_date": later.isoformat()}
        response = client.post(
            "/api/v1/claims", json=declaration_body(trip=trip), headers=auth("handler")
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [
            "trip.departure_date",
            "trip.return_date",
        ]
        sla = client.get(
            "/api/v1/sla", params={"as_of": later.isoformat()}, headers=auth("auditor")
        )
        assert sla.status_code == 422
    with pytest.raises(ValidationError, match="trip_date_horizon_days"):
        Settings(trip_date_horizon_days=0)


# ---------------------------------------------------------------- query parameters


def refused(response: Any, field: str) -> bool:
    return bool(
        response.status_code == 422
        and response.headers["content-type"] == "application/problem+json"
        and field in [e["field"] for e in response.json()["errors"]]
    )


@pytest.mark.parametrize(
    "as_of",
    [
        "0001-01-01",
        "9999-12-31",
        "1999-12-31",
        "2026-02-30",
        "\uff12\uff10\uff12\uff16-03-02",
        "soon",
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/sla", "/api/v1/dashboard", "/api/v1/reports/triangles"])
def test_an_implausible_as_of_is_422_naming_it(
    api_sqlite: TestClient, url: str, as_of: str
) -> None:
    response = api_sqlite.get(url, params={"as_of": as_of}, headers=auth("manager"))
    assert refused(response, "as_of"), response.text


def test_as_of_may_lie_up_to_the_horizon_ahead(api_sqlite: TestClient) -> None:
    today = today_in_paris()
    last = (today + timedelta(days=HORIZON)).isoformat()
    after = (today + timedelta(days=HORIZON + 1)).isoformat()
    for url in ("/api/v1/sla", "/api/v1/dashboard"):
        assert api_sqlite.get(url, params={"as_of": last}, headers=auth("manager")).is_success
        assert refused(
            api_sqlite.get(url, params={"as_of": after}, headers=auth("manager")), "as_of"
        )


def test_replay_and_lookup_parameters_out_of_range_are_422_naming_them(api: TestClient) -> None:
    cid = Handler(api).declare()["claim_id"]
    url = f"/api/v1/claims/{cid}"
    for as_of in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"):
        assert refused(api.get(url, params={"as_of": as_of}, headers=auth("auditor")), "as_of")
    for version in ("0", str(2**31), "-1", "x", "1" * 40):
        response = api.get(url, params={"version": version}, headers=auth("auditor"))
        assert refused(response, "version"), version
    lookup = "/api/v1/claims/by-number/S20000001"
    for trip_start in ("9999-12-31", "1999-12-31", "2026-13-01"):
        response = api.get(lookup, params={"trip_start": trip_start}, headers=auth("auditor"))
        assert refused(response, "trip_start"), trip_start


@pytest.mark.parametrize(
    ("url", "limit"),
    [("/api/v1/claims", 501), ("/api/v1/worklist", 501), ("/api/v1/sla", 1001)],
)
def test_a_limit_out_of_range_is_422_naming_it(
    api_sqlite: TestClient, url: str, limit: int
) -> None:
    for value in ("0", "-1", str(limit), "ten", str(10**30)):
        response = api_sqlite.get(url, params={"limit": value}, headers=auth("manager"))
        assert refused(response, "limit"), (url, value)


def cursor_of(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


TAMPERED = [
    "%%%",
    "x" * 5000,
    "é",
    cursor_of({"a": 1}),
    cursor_of([1]),
    cursor_of([1, 2, 3]),
    cursor_of([None, None]),
    cursor_of([{"a": 1}]),
    cursor_of(["S2\x000000001"]),
    cursor_of(["2026-03-02", "S20000001", "x\u202e"]),
    cursor_of(["a", "b", "c", "d"]),
    cursor_of([[[[]]]]),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]


@pytest.mark.parametrize("url", ["/api/v1/claims", "/api/v1/sla", "/api/v1/worklist"])
def test_a_malformed_or_tampered_cursor_is_422_naming_it(api: TestClient, url: str) -> None:
    Handler(api).declare()
    for cursor in TAMPERED:
        response = api.get(url, params={"cursor": cursor}, headers=auth("manager"))
        assert refused(response, "cursor"), (cursor, response.text)
        assert response.json()["type"] == "/problems/invalid-cursor"


def test_the_cursors_the_api_issues_page_through_every_list(api: TestClient) -> None:
    for _ in range(3):
        declared = api.post("/api/v1/claims", json=declaration_body(), headers=auth("handler"))
    consistent = {**auth("manager"), "X-Consistent-With": declared.headers["X-Position"]}
    for url in ("/api/v1/claims", "/api/v1/sla", "/api/v1/worklist"):
        pages, cursor = 0, None
        while True:
            params = {"limit": "1"} if cursor is None else {"limit": "1", "cursor": cursor}
            page = api.get(url, params=params, headers=consistent)
            assert page.status_code == 200, (url, page.text)
            pages += 1
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert pages >= 3, url


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/claims", "status"),
        ("/api/v1/claims", "contract"),
        ("/api/v1/claims", "handler"),
        ("/api/v1/worklist", "handler"),
    ],
)
def test_a_filter_with_control_characters_is_422_naming_it(
    api: TestClient, url: str, field: str
) -> None:
    for value in ("a\x00b", "a\u202eb", "x" * 201):
        response = api.get(url, params={field: value}, headers=auth("manager"))
        assert refused(response, field), value


# ---------------------------------------------------------------- pages


@pytest.fixture
def manager_pages(api: TestClient) -> TestClient:
    Handler(api).declare()
    assert page_login(api).status_code == 303
    return api


@pytest.mark.parametrize(
    "as_of",
    [
        "0001-01-01",
        "9999-12-31",
        "1999-12-31",
        "garbage",
        "2026-02-30",
        "\uff12\uff10\uff12\uff16-03-02",
    ],
)
def test_a_page_with_a_bad_as_of_says_so_and_never_shows_today(
    manager_pages: TestClient, as_of: str
) -> None:
    for url in ("/dashboard", "/claims/S20000001"):
        page = manager_pages.get(url, params={"as_of": as_of})
        assert page.status_code == 422
        assert "text/html" in page.headers["content-type"]
        assert "Date invalide" in page.text
        assert f"« {as_of} »" in page.text
        assert today_in_paris().isoformat() not in page.text


def test_the_date_refused_on_a_page_is_escaped(manager_pages: TestClient) -> None:
    page = manager_pages.get("/dashboard", params={"as_of": "<script>alert(1)</script>"})
    assert page.status_code == 422
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;" in page.text


def test_a_page_shows_a_plausible_as_of_and_today_without_one(manager_pages: TestClient) -> None:
    shown = manager_pages.get("/dashboard", params={"as_of": "2026-04-17"})
    assert shown.status_code == 200
    assert 'id="shown-as-of" datetime="2026-04-17">17 avril 2026<' in shown.text
    for params in ({}, {"as_of": ""}):
        page = manager_pages.get("/dashboard", params=params)
        assert page.status_code == 200
        today = today_in_paris()
        written = format_date(today, "long", locale="fr_FR")
        assert f'id="shown-as-of" datetime="{today.isoformat()}">{written}<' in page.text
    claim = manager_pages.get("/claims/S20000001", params={"as_of": "2026-04-17"})
    assert claim.status_code == 200


def test_the_pages_and_read_models_answer_at_both_ends_of_the_window(
    manager_pages: TestClient,
) -> None:
    last = (today_in_paris() + timedelta(days=HORIZON)).isoformat()
    for as_of in ("2000-01-01", last):
        for url in ("/dashboard", "/claims/S20000001", "/api/v1/dashboard", "/api/v1/sla"):
            response = manager_pages.get(url, params={"as_of": as_of}, headers=auth("manager"))
            assert response.status_code == 200, (url, as_of, response.text)
