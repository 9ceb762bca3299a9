"""The claim commands as page forms (services/http/forms.py): a handler takes a claim from
declaration to payment without the API; a stale page, an implausible date, a missing field
and a forged form are refused in French, and only the roles the API admits see the forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.services.conftest import ORIGIN, make_client, page_login

DECLARATION = {
    "contract": "CA2624",
    "subscription_number": "NQ7LVFB",
    "guarantee": "cancellation",
    "cause.category": "A",
    "cause.code": "serious_illness",
    "event_date": "2026-03-02",
    "declared_on": "2026-03-04",
    "booking_date": "2026-01-10",
    "subscription_date": "2026-01-10",
    "trip.departure_date": "2026-03-20",
    "trip.return_date": "2026-03-27",
    "insured.0.name": "Jeanne Martin",
    "insured.0.trip_price": "1 200,00",
    "settlement_mode": "cash",
    "channel": "online",
}


def _form_csrf(page: str, form_id: str) -> str:
    found = re.search(rf'id="{form_id}".*?name="csrf" value="([^"]+)"', page, re.S)
    assert found is not None, form_id
    return found.group(1)


def _messages(page: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'class="(?:field-)?error"[^>]*>([^<]*)', page)]


@pytest.fixture
def handler(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url) as client:
        assert page_login(client, "handler", "/").status_code == 303
        yield client


def _declare(client: TestClient, **changes: str) -> httpx.Response:
    page = client.get("/claims/new").text
    form = {"csrf": _form_csrf(page, "declare-form"), **DECLARATION, **changes}
    sent: httpx.Response = client.post(
        "/claims/new", data=form, headers=ORIGIN, follow_redirects=False
    )
    return sent


def _post(
    client: TestClient, number: str, slug: str, data: dict[str, Any], version: str | None = None
) -> httpx.Response:
    page = client.get(f"/claims/{number}").text
    current = re.search(r'name="version" value="(\d+)"', page)
    assert current is not None
    form = {
        "csrf": _form_csrf(page, f"form-{slug}"),
        "version": version or current.group(1),
        **data,
    }
    sent: httpx.Response = client.post(
        f"/claims/{number}/actions/{slug}", data=form, headers=ORIGIN, follow_redirects=False
    )
    return sent


def test_a_handler_takes_a_claim_from_declaration_to_payment_through_the_forms(
    handler: TestClient,
) -> None:
    implausible = _declare(handler, event_date="1999-12-31")
    assert implausible.status_code == 422
    assert "Date invraisemblable : ni avant le 1er janvier 2000, ni dans le futur." in (
        _messages(implausible.text)
    )
    missing = _declare(handler, **{"insured.0.name": ""})
    assert missing.status_code == 422
    assert "Obligatoire." in _messages(missing.text)
    declared = _declare(handler)
    assert declared.status_code == 303
    number = declared.headers["location"].split("/")[2].split("?")[0]
    page = handler.get(declared.headers["location"]).text
    assert "Enregistré : Sinistre déclaré." in page
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "request-proofs",
            {
                "documents": ["medical_certificate", "cancellation_invoice"],
                "requested_on": "2026-03-05",
            },
        ),
        ("record-proof", {"document": "medical_certificate", "received_on": "2026-03-06"}),
        ("record-proof", {"document": "cancellation_invoice", "received_on": "2026-03-06"}),
    ]
    for slug, data in steps:
        assert _post(handler, number, slug, data).status_code == 303, slug
    accept = {"decided_on": "2026-03-08", "fees.0.invoiced": "900,00"}
    preview = _post(handler, number, "accept", {**accept, "step": "preview"})
    assert preview.status_code == 200
    total = re.search(r'id="preview-total">([^<]*)<', preview.text)
    assert total is not None
    assert total.group(1) == "550,00\xa0€"  # 900 less the contract's deductible
    assert 'id="claim-status" data-code="proofs_complete"' in preview.text  # nothing recorded
    assert _post(handler, number, "accept", {**accept, "step": "confirm"}).status_code == 303
    paid = _post(
        handler, number, "settle", {"paid_on": "2026-03-09", "mode": "cash", "reference": "VIR-1"}
    )
    assert paid.status_code == 303
    page = handler.get(f"/claims/{number}").text
    assert 'data-code="settled"' in page
    assert re.search(r'id="amount-paid">550,00\xa0€<', page)


def test_a_stale_page_a_bad_field_and_a_forged_form_are_refused_in_french(
    handler: TestClient,
) -> None:
    number = _declare(handler).headers["location"].split("/")[2].split("?")[0]
    note = {"text": "appel de l'assuré", "noted_on": "2026-03-05"}
    assert _post(handler, number, "note", note).status_code == 303
    stale = _post(handler, number, "note", note, version="1")
    assert stale.status_code == 412
    assert "Le dossier a changé depuis l'affichage, rechargez." in _messages(stale.text)
    missing = _post(handler, number, "reopen", {"reopened_on": "2026-03-05", "reason": ""})
    assert missing.status_code == 422
    assert "Obligatoire." in _messages(missing.text)
    state = _post(
        handler, number, "settle", {"paid_on": "2026-03-09", "mode": "cash", "reference": "X"}
    )
    assert state.status_code == 409
    assert "Le dossier n'a pas été accepté." in _messages(state.text)
    forged = handler.post(
        f"/claims/{number}/actions/note",
        data={"csrf": "forged", "version": "2", **note},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert forged.status_code == 403
    history = handler.get(f"/claims/{number}").text
    assert history.count('data-code="NoteAdded"') == 1  # nothing written by the refusals


def test_only_the_roles_the_api_admits_see_and_send_the_forms(database_url: str) -> None:
    with make_client(database_url) as handler:
        page_login(handler, "handler", "/")
        number = _declare(handler).headers["location"].split("/")[2].split("?")[0]
    with make_client(database_url) as auditor:
        page_login(auditor, "auditor", "/")
        page = auditor.get(f"/claims/{number}").text
        assert 'id="actions"' not in page
        assert auditor.get("/claims/new").status_code == 403
        sent = auditor.post(
            f"/claims/{number}/actions/note",
            data={"csrf": "x", "version": "1", "text": "x"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert sent.status_code == 403
    with make_client(database_url) as manager:
        page_login(manager, "manager", "/")
        page = manager.get(f"/claims/{number}").text
        assert 'id="form-assign"' in page
        assert 'id="form-note"' not in page
        assigned = _post(
            manager, number, "assign", {"handler": "handler-user", "assigned_on": "2026-03-05"}
        )
        assert assigned.status_code == 303
        unknown = _post(
            manager, number, "assign", {"handler": "nobody", "assigned_on": "2026-03-05"}
        )
        assert unknown.status_code == 422
        assert "Ce n'est pas l'identifiant d'un gestionnaire." in _messages(unknown.text)


def test_an_auditor_replays_a_version_sees_the_changes_and_exports_the_trail(
    database_url: str,
) -> None:
    with make_client(database_url) as handler:
        page_login(handler, "handler", "/")
        number = _declare(handler).headers["location"].split("/")[2].split("?")[0]
        proofs = {"documents": ["medical_certificate"], "requested_on": "2026-03-05"}
        assert _post(handler, number, "request-proofs", proofs).status_code == 303
        proof = {"document": "medical_certificate", "received_on": "2026-03-06"}
        assert _post(handler, number, "record-proof", proof).status_code == 303
    with make_client(database_url) as auditor:
        page_login(auditor, "auditor", "/")
        page = auditor.get(f"/claims/{number}/audit", params={"version": 3, "compare": 2}).text
        assert "Le dossier à la version 3" in page
        changes = re.search(r'<table id="changes">(.*?)</table>', page, re.S)
        assert changes is not None
        rows = re.findall(
            r'<tr><td data-code="([^"]*)">([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>',
            changes.group(1),
        )
        # Each field in French words (its key kept as data-code), its values as the claim
        # page shows them: codes by their label, never raw.
        assert ("status", "Statut", "Justificatifs demandés", "Dossier complet") in rows
        assert ("version", "Version", "2", "3") in rows
        assert (
            "proofs.received.0",
            "Justificatifs / Reçu / n° 1",
            "",
            "Certificat médical",
        ) in rows
        shown = " ".join(cell for row in rows for cell in row[1:])
        assert "proofs_" not in shown
        assert "medical_certificate" not in shown
        bad = auditor.get(f"/claims/{number}/audit", params={"version": 9})
        assert bad.status_code == 422
        trail = auditor.get(f"/claims/{number}/audit.csv")
        assert trail.headers["content-type"].startswith("text/csv")
        lines = trail.text.splitlines()
        assert lines[0] == "version,event,actor,business_date,recorded_at"
        assert [line.split(",")[:4] for line in lines[1:]] == [
            ["1", "Declared", "handler-user", "2026-03-04"],
            ["2", "ProofsRequested", "handler-user", "2026-03-05"],
            ["3", "ProofReceived", "handler-user", "2026-03-06"],
        ]
    with make_client(database_url) as handler:
        page_login(handler, "handler", "/")
        assert handler.get(f"/claims/{number}/audit").status_code == 403
