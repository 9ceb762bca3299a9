"""Bulk mode: the same commands and rules, saved many claims per transaction."""

from __future__ import annotations

from datetime import date

import pytest

from domain.claim import Claim
from domain.errors import ClaimNotFound, ProofsIncomplete
from infra.settings import eventsourcing_env
from services.application import ClaimsApplication
from services.demo import generate
from tests.domain.gwt import declaration

BY = "importer"


def stored_events(app: ClaimsApplication) -> int:
    return int(app.recorder.max_notification_id() or 0)


def test_bulk_commands_follow_the_rules_and_are_saved_per_batch(app: ClaimsApplication) -> None:
    with app.bulk(claims_per_save=3):
        claims = [app.declare(declaration(), by=BY) for _ in range(2)]
        app.request_proofs(
            claims[0].id, documents=["booking_form"], requested_on=date(2026, 3, 5), by=BY
        )
        with pytest.raises(ProofsIncomplete):  # refused: the claim is left as it was
            app.refuse(claims[0].id, decided_on=date(2026, 3, 6), reason="x", by=BY)
        assert stored_events(app) == 0  # two claims held: nothing saved yet
        app.declare(declaration(), by=BY)  # the third claim fills the batch: saved
        assert stored_events(app) > 0
        held = stored_events(app)
        fourth = app.declare(declaration(), by=BY)
        assert stored_events(app) == held
    # Leaving the block saves the rest.
    assert app.get_claim(fourth.id).claim_number == "S20000004"
    assert app.get_claim(claims[0].id).version == 2
    assert [e.type for e in app.history(claims[0].id)] == ["Declared", "ProofsRequested"]
    assert app.declare(declaration(), by=BY).claim_number == "S20000005"


def test_a_failing_bulk_block_keeps_saved_batches_and_discards_the_rest(
    app: ClaimsApplication,
) -> None:
    held: dict[str, list[Claim]] = {"saved": [], "unsaved": []}

    def load() -> None:
        with app.bulk(claims_per_save=2):
            held["saved"] = [app.declare(declaration(), by=BY) for _ in range(2)]
            held["unsaved"] = [app.declare(declaration(), by=BY)]
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        load()
    saved, (unsaved,) = held["saved"], held["unsaved"]
    assert all(app.get_claim(c.id).version == 1 for c in saved)
    with pytest.raises(ClaimNotFound):
        app.get_claim(unsaved.id)
    assert app.declare(declaration(), by=BY).claim_number == "S20000003"  # no gap


def test_bulk_mode_refuses_expected_versions_and_idempotency_keys(
    app: ClaimsApplication,
) -> None:
    claim = app.declare(declaration(), by=BY)
    with app.bulk(), pytest.raises(ValueError, match="bulk mode"):
        app.add_note(claim.id, text="x", noted_on=date(2026, 3, 5), by=BY, expected_version=1)


def test_the_demo_in_bulk_mode_records_exactly_what_it_records_command_by_command(
    database_url: str,
) -> None:
    """Same seed: the same claims, event for event, whether saved per command or in bulk."""
    per_command = ClaimsApplication(env=eventsourcing_env("sqlite:///:memory:"))
    bulk = ClaimsApplication(env=eventsourcing_env(database_url))
    try:
        today = date(2026, 11, 22)
        one = generate(per_command, claims=60, seed=7, today=today)
        other = generate(bulk, claims=60, seed=7, today=today, claims_per_save=25)
        assert one == other
        assert one.claims > 40

        def histories(app: ClaimsApplication) -> dict[str, list[tuple[str, date, str, str]]]:
            found = {}
            for serial in range(1, one.claims + 1):
                number = f"S2{serial:07d}"
                claim_id = app.claim_id_for_number(number)
                found[number] = [
                    (entry.type, entry.business_date, entry.actor, repr(entry.data))
                    for entry in app.history(claim_id)
                ]
            return found

        assert histories(per_command) == histories(bulk)
    finally:
        per_command.close()
        bulk.close()
