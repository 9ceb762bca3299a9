"""The claim body's display facts folded from the events (domain/claim_view.py,
docs/adr/0028): the pure fold and the application's (from the store, a snapshot first) agree at
every version of every demo claim, and follow each rule. That they are the facts the aggregate
held before is pinned on the round-1 store (tests/application/test_round1_fixture.py)."""

from __future__ import annotations

from datetime import date
from typing import cast
from uuid import UUID

import pytest

from domain.claim import Claim
from domain.claim_view import ClaimDisplay, declared, evolve, fold_display
from services.application import ClaimsApplication
from services.demo import generate
from services.http.views import claim_body
from tests.domain.gwt import (
    ACCEPTED_AND_PAID,
    given,
    history,
    received,
    refused,
    reopened,
    requested,
)


def _claim_ids(app: ClaimsApplication) -> list[UUID]:
    found = []
    start = 1
    while page := app.recorder.select_notifications(start=start, limit=500):
        start = page[-1].id + 1
        found += [n.originator_id for n in page if n.topic.endswith("Claim.Declared")]
    return [UUID(str(claim_id)) for claim_id in found]


def test_every_version_of_every_demo_claim_has_one_display(app: ClaimsApplication) -> None:
    report = generate(app, claims=120, seed=28, today=date(2026, 11, 30))
    claim_ids = _claim_ids(app)
    assert len(claim_ids) == report.claims
    versions = 0
    for claim_id in claim_ids:
        events = list(app.events.get(claim_id))
        display: ClaimDisplay | None = None
        for event in events:
            display = (
                declared(cast(Claim.Declared, event))
                if display is None
                else evolve(display, cast(Claim.Event, event))
            )
            versions += 1
        assert display is not None
        assert display == fold_display(events)
        declaration = cast(Claim.Declared, events[0])
        assert (display.channel, display.flags) == (declaration.channel, tuple(declaration.flags))
        stored = app.get_claim(claim_id)  # from its snapshot, if any, as the API loads it
        assert app.claim_display(stored) == display
        assert claim_body(stored, display).version == stored.version == len(events)
        earlier = app.get_claim(claim_id, version=1)
        assert app.claim_display(earlier) == fold_display(events[:1])
    assert versions > 3 * len(claim_ids)


def test_refusal_reason_and_proofs_received_follow_the_events() -> None:
    events = history(
        requested("medical_certificate", "booking_form"),
        received("booking_form"),
        received("medical_certificate"),
        refused(reason="excluded cause"),
        reopened(),
    )
    display = fold_display(events[:5])
    assert display.refusal_reason == "excluded cause"
    assert display.proofs_received == ("booking_form", "medical_certificate")
    assert fold_display(events).refusal_reason is None  # reopened
    assert fold_display(events).proofs_received == ("booking_form", "medical_certificate")


def test_a_display_is_of_one_claims_events_declaration_first() -> None:
    events = history(*ACCEPTED_AND_PAID)
    with pytest.raises(ValueError, match="in order"):
        fold_display(events[1:])
    with pytest.raises(ValueError, match="no declaration"):
        fold_display([])
    with pytest.raises(ValueError, match="display of v1"):
        claim_body(given(events), fold_display(events[:1]))
