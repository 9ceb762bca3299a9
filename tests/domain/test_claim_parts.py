"""The `Claim` aggregate is written in parts (domain/claim/, docs/adr/0028): every event a
part defines is stored under the claim's topic, `domain.claim:Claim.<Event>`, never the part's."""

from __future__ import annotations

from eventsourcing.utils import get_topic

from domain.claim import Claim
from domain.claim.state import ClaimState
from tests.domain.gwt import ACCEPTED_AND_PAID, complaint, given, history, when


def _event_classes() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(Claim).items()
        if isinstance(value, type)
        and name not in ("Event", "Created")
        and issubclass(value, Claim.Declared | Claim.Event)
    }


def test_every_event_class_of_every_part_is_redefined_on_claim() -> None:
    parts = [base for base in Claim.__bases__ if issubclass(base, ClaimState)]
    assert parts == list(Claim.__bases__)
    for part in parts:
        for name, value in vars(part).items():
            if isinstance(value, type) and name not in ("Event", "Created"):
                assert name in _event_classes(), f"{part.__name__}.{name} is not on Claim"
    for name, cls in _event_classes().items():
        assert get_topic(cls) == f"domain.claim:Claim.{name}"
    assert get_topic(Claim) == "domain.claim:Claim"


def test_the_events_recorded_by_the_parts_carry_the_claim_topic() -> None:
    events = history(*ACCEPTED_AND_PAID)
    events += when(given(events), complaint())
    assert len({type(e).__name__ for e in events}) >= 5
    for recorded in events:
        assert get_topic(type(recorded)) == f"domain.claim:Claim.{type(recorded).__name__}"
