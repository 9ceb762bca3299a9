"""The money commands as forms on the claim page (services/http/money_forms.py): a reserve, a
payment above the handler's authority approved by a manager, issued, returned, cancelled,
requested again and paid, a recovery received and another written off, all from the pages;
only the roles the API admits see each form; refusals in French next to their field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.services.conftest import ORIGIN, Handler, make_client, page_login
from tests.services.test_page_forms import _form_csrf, _messages

IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[TestClient, TestClient, str, str]]:
    """A handler's and a manager's page sessions, on a claim accepted for more than the
    handler's authority (5,000.00): its number and its indemnity."""
    with make_client(database_url) as handler, make_client(database_url) as manager:
        h = Handler(handler)
        people = ("Jeanne Martin", "Paul Martin")
        claim = h.declare(insured=[{"name": n, "trip_price": "9000.00"} for n in people])
        cid = claim["claim_id"]
        proofs = {"documents": ["medical_certificate"], "requested_on": "2026-03-05"}
        h.command(cid, "proof-requests", proofs)
        h.command(cid, "proofs", {"document": "medical_certificate", "received_on": "2026-03-10"})
        fees = [{"insured": n, "invoiced": "9000.00", "non_refundable": "0.00"} for n in people]
        accepted = h.command(
            cid, "assessment", {"decision": "accept", "decided_on": "2026-03-12", "fees": fees}
        )
        assert page_login(handler, "handler", "/").status_code == 303
        assert page_login(manager, "manager", "/").status_code == 303
        assert Decimal(accepted["indemnity"]["total"]) > Decimal("5000.00")
        yield handler, manager, claim["claim_number"], accepted["indemnity"]["total"]


def _page(client: TestClient, number: str) -> str:
    return str(client.get(f"/claims/{number}").text)


def _post(
    client: TestClient, number: str, slug: str, data: dict[str, Any], version: str | None = None
) -> httpx.Response:
    page = _page(client, number)
    current = re.search(r'name="version" value="(\d+)"', page)
    assert current is not None
    form = {"csrf": _form_csrf(page, f"form-{slug}"), "version": version or current.group(1)}
    sent: httpx.Response = client.post(
        f"/claims/{number}/actions/{slug}",
        data={**form, **data},
        headers=ORIGIN,
        follow_redirects=False,
    )
    return sent


def _done(client: TestClient, number: str, slug: str, data: dict[str, Any]) -> str:
    sent = _post(client, number, slug, data)
    assert sent.status_code == 303, (slug, _messages(sent.text))
    page = str(client.get(sent.headers["location"]).text)
    assert 'id="action-done"' in page
    return page


def _options(page: str, slug: str) -> list[str]:
    found = re.search(rf'<select name="\w+_id" id="{slug}-item"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option value="([^"]+)"', found.group(1)) if found else []


def _cell(page: str, cell_id: str) -> str:
    found = re.search(rf'id="{cell_id}">([^<]*)<', page)
    assert found is not None, cell_id
    return unescape(found.group(1))


def _money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d,]", "", text).replace(",", "."))


def test_a_full_money_path_from_the_pages(site: tuple[TestClient, TestClient, str, str]) -> None:
    handler, manager, number, total = site
    # Who sees which form: managers set reserves and decide payments, nothing else of money.
    page = _page(handler, number)
    assert 'id="money-actions"' in page
    for slug in ("reserve", "payment", "recovery"):
        assert f'id="form-{slug}"' in page, slug
    assert 'id="form-payment-approval"' not in page  # a manager's, and none is pending
    assert 'id="form-payment-issuance"' not in page  # no payment to issue yet
    page = _page(manager, number)
    assert 'id="form-reserve"' in page
    assert 'id="form-payment"' not in page
    assert 'id="form-recovery"' not in page

    _done(handler, number, "reserve", {"amount": "4 000,00", "set_on": "2026-03-12", "reason": "r"})
    over = _post(
        handler, number, "reserve", {"amount": "9000", "set_on": "2026-03-12", "reason": "r"}
    )
    assert over.status_code == 409
    assert "Cette provision dépasse votre délégation." in _messages(over.text)
    page = _done(
        manager, number, "reserve", {"amount": total, "set_on": "2026-03-12", "reason": "ok"}
    )
    assert _money(_cell(page, "reserve")) == Decimal(total)

    # A final payment above the handler's authority waits for a manager's approval.
    request = {
        "payee": "Jeanne Martin",
        "amount": total.replace(".", ","),
        "kind": "final",
        "mode": "transfer",
        "requested_on": "2026-03-13",
        "iban": IBAN,
    }
    bad = _post(handler, number, "payment", {**request, "amount": "12,345"})
    assert bad.status_code == 422
    assert re.search(r'id="payment-amount-error">[^<]+<', bad.text)  # next to its field
    page = _done(handler, number, "payment", request)
    assert "FR76*0189" in page
    assert "3000 6000 0112" not in page
    (pid,) = _options(_page(manager, number), "payment-approval")
    assert 'id="form-payment-approval"' not in page  # not the handler's
    _done(
        manager,
        number,
        "payment-approval",
        {"payment_id": pid, "decision": "approve", "decided_on": "2026-03-14", "reason": "ok"},
    )
    assert _options(_page(handler, number), "payment-issuance") == [pid]
    _done(
        handler,
        number,
        "payment-issuance",
        {"payment_id": pid, "issued_on": "2026-03-15", "bank_reference": "VIR-1"},
    )
    _done(
        handler,
        number,
        "payment-failure",
        {"payment_id": pid, "failed_on": "2026-03-20", "reason": "closed", "returned": "1"},
    )
    page = _done(
        handler,
        number,
        "payment-cancellation",
        {"payment_id": pid, "cancelled_on": "2026-03-21", "reason": "new account"},
    )
    assert "Annulé" in page
    page = _done(handler, number, "payment", {**request, "requested_on": "2026-03-22"})
    (second,) = _options(_page(manager, number), "payment-approval")
    assert second != pid
    _done(
        manager,
        number,
        "payment-approval",
        {"payment_id": second, "decision": "approve", "decided_on": "2026-03-23", "reason": "ok"},
    )
    page = _done(
        handler,
        number,
        "payment-issuance",
        {"payment_id": second, "issued_on": "2026-03-24", "bank_reference": "VIR-2"},
    )
    assert _money(_cell(page, "amount-paid")) == Decimal(total)

    # Money expected back: one received, one given up.
    expected = {"source": "carrier", "amount": "150,00", "expected_on": "2026-03-25"}
    _done(handler, number, "recovery", expected)
    (first_recovery,) = _options(_page(handler, number), "recovery-receipt")
    page = _done(
        handler,
        number,
        "recovery-receipt",
        {"recovery_id": first_recovery, "received_on": "2026-04-01", "amount": "150,00"},
    )
    assert _money(_cell(page, "amount-recovered")) == Decimal("150.00")
    _done(handler, number, "recovery", {**expected, "source": "third_party", "subrogation": "1"})
    (other,) = _options(_page(handler, number), "recovery-write-off")
    page = _done(
        handler,
        number,
        "recovery-write-off",
        {"recovery_id": other, "written_off_on": "2026-04-02", "reason": "insolvent"},
    )
    assert "Abandonnée" in page or "Abandonné" in page
    too_much = _post(handler, number, "recovery", {**expected, "amount": "999999,00"})
    assert too_much.status_code == 409
    assert "Les récupérations dépasseraient ce qui a été payé." in _messages(too_much.text)
    stale = _post(handler, number, "recovery", expected, version="3")
    assert stale.status_code == 412
    assert "Le dossier a changé depuis l'affichage, rechargez." in _messages(stale.text)
    timeline = _page(handler, number)
    for event in ("PaymentApproved", "PaymentReturned", "PaymentCancelled", "RecoveryWrittenOff"):
        assert f'data-code="{event}"' in timeline, event


def test_a_forged_or_foreign_money_form_is_refused(
    site: tuple[TestClient, TestClient, str, str], database_url: str
) -> None:
    handler, manager, number, _total = site
    page = _page(manager, number)
    sent = manager.post(
        f"/claims/{number}/actions/payment",
        data={"csrf": _form_csrf(page, "form-reserve"), "version": "4", "payee": "x"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert sent.status_code == 403  # not a manager's form
    forged = handler.post(
        f"/claims/{number}/actions/reserve",
        data={"csrf": "forged", "version": "4", "amount": "1", "set_on": "2026-03-12"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert forged.status_code == 403
    with make_client(database_url) as auditor:
        page_login(auditor, "auditor", "/")
        assert 'id="money-actions"' not in _page(auditor, number)
    assert 'data-code="ReserveSet"' not in _page(handler, number)
