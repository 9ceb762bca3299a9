"""`claims demo` produces only causal timelines (rules.md "Business dates follow cause and
effect"): every demo claim reads the same folded in business-date order as in version order."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.claim import Claim
from domain.sla import derive_clocks
from services.application import ClaimsApplication
from services.demo import generate
from tests.domain.gwt import CALENDAR, by_business_date, comparable


def test_demo_claims_are_causal(app: ClaimsApplication) -> None:
    report = generate(app, claims=300, seed=11, today=date(2026, 11, 30))
    assert report.claims > 250
    seen = 0
    start = 1
    while page := app.recorder.select_notifications(start=start, limit=500):
        start = page[-1].id + 1
        for notification in page:
            if not notification.topic.endswith("Claim.Declared"):
                continue
            claim_id = notification.originator_id
            assert isinstance(claim_id, UUID)
            events = list(app.events.get(claim_id))
            assert isinstance(events[0], Claim.Declared)
            ordered = by_business_date(events)
            number = events[0].claim_number
            assert comparable(ordered) == comparable(events), number
            clocks = {c.key: c for c in derive_clocks(events, CALENDAR)}
            assert {c.key: c for c in derive_clocks(ordered, CALENDAR)} == clocks, number
            seen += 1
    assert seen == report.claims
