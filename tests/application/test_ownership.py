"""Claim ownership where the command loads the claim (docs/adr/0020-claim-ownership.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import pytest

from domain.claim import Claim
from infra.settings import eventsourcing_env
from services.application import ClaimsApplication
from services.ownership import ClaimAccess, NotYourClaim
from tests.domain.gwt import declaration

DAY = date(2026, 3, 5)


@pytest.fixture
def manager_app(database_url: str) -> Iterator[ClaimsApplication]:
    """A second writer on the same store (another node, a manager's request)."""
    other = ClaimsApplication(env=eventsourcing_env(database_url))
    try:
        yield other
    finally:
        other.close()


def test_given_an_unassigned_claim_then_any_handler_acts(app: ClaimsApplication) -> None:
    claim = app.declare(declaration(), by="h1")
    for handler in ("h1", "h2"):
        app.add_note(claim.id, text="n", noted_on=DAY, by=handler, access=ClaimAccess(handler))
    assert app.get_claim(claim.id).version == 3


def test_given_a_claim_assigned_to_h1_then_h2_is_refused_and_admins_act(
    app: ClaimsApplication,
) -> None:
    claim = app.declare(declaration(), by="h1")
    app.assign_handler(claim.id, handler="h1", assigned_on=DAY, by="m")
    with pytest.raises(NotYourClaim, match="assigned to h1"):
        app.add_note(claim.id, text="n", noted_on=DAY, by="h2", access=ClaimAccess("h2"))
    app.add_note(claim.id, text="n", noted_on=DAY, by="h1", access=ClaimAccess("h1"))
    app.add_note(claim.id, text="n", noted_on=DAY, by="a", access=ClaimAccess("a", any_claim=True))
    assert app.get_claim(claim.id).version == 4


def test_a_reassignment_saved_after_the_command_loaded_the_claim_is_seen_before_it_saves(
    app: ClaimsApplication,
    manager_app: ClaimsApplication,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """h2 loads the unassigned claim and passes the check; a manager assigns it to h1 before
    h2's events are saved. h2's save then fails on the claim's version, and the retry, on the
    assigned claim, refuses h2: the check is never a stale, separate read."""
    claim = app.declare(declaration(), by="h1")
    load = app.get_claim
    loads: list[int] = []

    def load_then_reassign(claim_id: UUID, *, version: int | None = None) -> Claim:
        loaded = load(claim_id, version=version)
        loads.append(loaded.version)
        if len(loads) == 1:
            manager_app.assign_handler(claim_id, handler="h1", assigned_on=DAY, by="m")
        return loaded

    monkeypatch.setattr(app, "get_claim", load_then_reassign)
    with pytest.raises(NotYourClaim):
        app.add_note(claim.id, text="n", noted_on=DAY, by="h2", access=ClaimAccess("h2"))
    assert loads == [1, 2]  # checked on the unassigned claim, then again on the assigned one
    monkeypatch.undo()
    after = app.get_claim(claim.id)
    assert (after.version, after.handler) == (2, "h1")  # nothing of h2's was written


def test_bulk_commands_check_ownership_too(app: ClaimsApplication) -> None:
    claim = app.declare(declaration(), by="h1")
    app.assign_handler(claim.id, handler="h1", assigned_on=DAY, by="m")
    with app.bulk(), pytest.raises(NotYourClaim):
        app.add_note(claim.id, text="n", noted_on=DAY, by="h2", access=ClaimAccess("h2"))
    assert app.get_claim(claim.id).version == 2
