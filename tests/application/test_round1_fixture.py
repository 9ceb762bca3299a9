"""The round-1 event store (tests/fixtures/round1), replayed with the current code.

The fixture was written once by the round-1 code (how: its README) and is never regenerated:
whatever later issues change in the events' shapes, these stored events must still fold,
project, rebuild and replay (upcasting). So the assertions are about the data (claim numbers,
statuses, amounts, versions), read through the public claim body and the read-model queries,
not about attribute names. The committed files are never opened in place: the SQLite file is
copied, the PostgreSQL dump is loaded into a fresh database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate

from domain.claim import DISPLAY_ONLY, Claim
from domain.claim_number import ClaimNumberReservation, ClaimNumberSequence
from domain.declaration import ClaimDeclaration
from domain.values import Cause, Insured, Trip
from infra.events import decode, encode, envelope
from infra.settings import Settings
from projections.base import ProjectionEngine
from projections.dashboard.queries import dashboard
from projections.financials.queries import financials
from projections.rebuild import rebuild
from projections.runner import all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.http.views import claim_body
from services.idempotency import CommandOutcome, IdempotencyKey, IdempotentRequest
from services.wiring import build_application, build_event_log, build_runner

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "round1"
DEMO_DAY = date(2026, 11, 30)  # `claims demo --today`, pinned when the fixture was made

# What the fixture holds (tests/fixtures/round1/README.md).
EVENTS = 534
CLAIMS = 60
CLAIM_EVENTS = 471  # the sum of the claims' versions
AGGREGATES = {Claim: 60, ClaimNumberReservation: 60, ClaimNumberSequence: 1, IdempotentRequest: 1}
STATUSES = {
    "accepted": 5,
    "closed": 26,
    "proofs_complete": 2,
    "proofs_requested": 8,
    "refused": 2,
    "settled": 12,
    "withdrawn": 5,
}
PAID = Decimal("43919.82")  # the claims' amounts paid
INDEMNITIES = Decimal("55725.07")  # the indemnities of the claims that hold one
NOTED_CLAIM = "S20000008"  # 13 demo events, then 40 notes: a snapshot at version 50


def _load_dump(url: str) -> None:
    """Run the plain pg_dump script, without psql's meta-commands (`\\restrict` ...)."""
    text = (FIXTURE / "claims.postgres.sql").read_text(encoding="utf-8")
    script = "\n".join(line for line in text.splitlines() if not line.startswith("\\"))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(script.encode())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def round1_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A copy of the round-1 store, once per backend."""
    if request.param == "sqlite":
        shutil.copyfile(FIXTURE / "claims.db", tmp_path / "claims.db")
        return f"sqlite:///{tmp_path / 'claims.db'}"
    url = str(request.getfixturevalue("postgres_url"))
    _load_dump(url)
    return url


@pytest.fixture
def settings(round1_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The `claims` command's settings, pointed at the copy (the fixture is not encrypted)."""
    monkeypatch.setenv("CLAIMS_DATABASE_URL", round1_url)
    monkeypatch.delenv("CLAIMS_ENCRYPTION_KEY", raising=False)
    monkeypatch.delenv("CLAIMS_READ_MODEL_URL", raising=False)
    return Settings()


@pytest.fixture
def round1_app(settings: Settings) -> Iterator[ClaimsApplication]:
    application = build_application(settings)
    try:
        yield application
    finally:
        application.close()


def _aggregate_events(app: ClaimsApplication) -> Counter[UUID]:
    """Every aggregate in the store, from the notification log, with its number of events."""
    counts: Counter[UUID] = Counter()
    start = 1
    while page := app.recorder.select_notifications(start=start, limit=200):
        counts.update(UUID(str(n.originator_id)) for n in page)
        start = page[-1].id + 1
    assert start - 1 == EVENTS
    return counts


def _body(app: ClaimsApplication, claim_number: str) -> dict[str, Any]:
    claim = app.get_claim(app.claim_id_for_number(claim_number))
    return claim_body(claim, app.claim_display(claim)).model_dump(mode="json")


def _claims(*args: str) -> subprocess.CompletedProcess[str]:
    """The `claims` console script, in the environment of the `settings` fixture (a process of
    its own: the command configures logging for the whole process)."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("claims")), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=dict(os.environ),
    )


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def test_every_aggregate_folds_from_its_events_and_from_its_snapshot(
    round1_app: ClaimsApplication,
) -> None:
    app = round1_app
    counts = _aggregate_events(app)
    assert sum(counts.values()) == EVENTS
    kinds: Counter[type[Aggregate]] = Counter()
    for aggregate_id, events in counts.items():
        folded: Aggregate | None = project_aggregate(None, app.events.get(aggregate_id))
        loaded: Aggregate = app.repository.get(aggregate_id)  # snapshot (if any) + later events
        assert folded is not None
        assert type(folded) is type(loaded)
        assert folded.version == loaded.version == events
        kinds[type(folded)] += 1
        if isinstance(folded, Claim):
            assert isinstance(loaded, Claim)
            display = app.claim_display(loaded)
            assert claim_body(folded, display) == claim_body(loaded, display)
    assert kinds == AGGREGATES
    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(app.claim_id_for_number(NOTED_CLAIM)))
    assert [s.originator_version for s in snapshots] == [50]


def test_the_display_facts_of_every_version_are_the_ones_the_aggregate_held(
    round1_app: ClaimsApplication,
) -> None:
    """docs/adr/0028: the display facts folded from round 1's events (upcast) are those the
    aggregate held for the body, at every version of every claim (`display.json`, taken from
    the aggregate before those facts left it), so the API's body is unchanged."""
    app = round1_app
    held = json.loads((FIXTURE / "display.json").read_text(encoding="utf-8"))
    versions = 0
    for aggregate_id in _aggregate_events(app):
        claim: Any = None
        for stored in app.events.get(aggregate_id):
            claim = stored.mutate(claim)  # type: ignore[attr-defined]
            if not isinstance(claim, Claim):
                break
            versions += 1
            display = app.claim_display(claim)
            expected = held[claim.claim_number][claim.version - 1]
            assert _jsonable(dataclasses.asdict(display)) == expected
            assert claim_body(claim, display).version == claim.version
    assert versions == CLAIM_EVENTS == sum(len(v) for v in held.values())


def _jsonable(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat()
        if isinstance(value, date)
        else list(value)
        if isinstance(value, tuple)
        else value
        for key, value in facts.items()
    }


def test_the_claims_hold_their_round1_facts(round1_app: ClaimsApplication) -> None:
    app = round1_app
    bodies = {number: _body(app, number) for number in (f"S2{n:07d}" for n in range(1, CLAIMS + 1))}
    assert [b["claim_number"] for b in bodies.values()] == list(bodies)
    assert Counter(b["status"] for b in bodies.values()) == STATUSES
    assert sum(b["version"] for b in bodies.values()) == CLAIM_EVENTS
    assert sum(_money(b["amount_paid"]) for b in bodies.values()) == PAID
    indemnities = [b["indemnity"] for b in bodies.values() if b["indemnity"] is not None]
    assert sum(_money(i["total"]) for i in indemnities) == INDEMNITIES

    # A trip over €10,000: the card insurer paid first, its share deducted per insured.
    big = bodies["S20000004"]
    assert (big["status"], big["version"]) == ("accepted", 8)
    assert big["card_insurer_position"]["decision"] == "paid"
    assert _money(big["card_insurer_position"]["amount_paid"]) == Decimal("1500.00")
    assert _money(big["indemnity"]["total"]) == Decimal("9619.00")
    assert [_money(s["payable"]) for s in big["indemnity"]["per_insured"]] == [
        Decimal("2699.96"),
        Decimal("2045.09"),
        Decimal("2693.91"),
        Decimal("2180.04"),
    ]
    assert len(big["insured"]) == 4
    refused_by_card = bodies["S20000024"]
    assert refused_by_card["card_insurer_position"]["decision"] == "refused"
    assert _money(bodies["S20000060"]["amount_paid"]) == Decimal("3550.00")

    # Complaints, mediation, notes.
    noted = bodies[NOTED_CLAIM]
    assert (noted["status"], noted["version"]) == ("closed", 53)
    assert noted["mediation"]["outcome"] == "partial"
    assert [c["outcome"] for c in noted["complaints"]] == ["rejected"]
    assert _money(noted["amount_paid"]) == Decimal("200.00")
    mediated = bodies["S20000054"]
    assert (mediated["status"], mediated["version"]) == ("closed", 16)
    assert mediated["mediation"]["outcome"] == "in_favour_of_insured"
    assert _money(mediated["amount_paid"]) == Decimal("1590.57")
    # Complaint upheld, claim reopened after its payment.
    reopened = bodies["S20000033"]
    assert (reopened["status"], reopened["version"]) == ("proofs_complete", 13)
    assert [c["outcome"] for c in reopened["complaints"]] == ["upheld"]
    assert [_money(s["amount"]) for s in reopened["settlements"]] == [Decimal("860.00")]
    assert bodies["S20000044"]["status"] == "withdrawn"


def test_the_round1_store_takes_new_commands(round1_app: ClaimsApplication) -> None:
    app = round1_app
    # Numbering continues after the stored sequence.
    declared = app.declare(
        ClaimDeclaration(
            contract="CA2624",
            subscription_number="NQ12345",
            guarantee="cancellation",
            cause=Cause("A", "serious_illness", "admitted to hospital"),
            event_date=date(2026, 11, 2),
            known_on=date(2026, 11, 2),
            declared_on=date(2026, 11, 4),
            booking_date=date(2026, 9, 1),
            subscription_date=date(2026, 9, 1),
            trip=Trip(date(2026, 12, 1), date(2026, 12, 8), "Lisbon", Decimal("200.00")),
            insured=(Insured("Jeanne Martin", Decimal("1200.00")),),
        ),
        by="handler.1",
    )
    assert declared.claim_number == f"S2{CLAIMS + 1:07d}"
    # An old claim, loaded from its snapshot, takes one more event.
    noted = app.claim_id_for_number(NOTED_CLAIM)
    after = app.add_note(noted, text="Replayed in a later round.", noted_on=DEMO_DAY, by="audit")
    assert after.version == 54
    assert app.get_claim(noted).status == "closed"
    # The stored Idempotency-Key still answers with the outcome of its first request
    # (fingerprint as the fixture's README computed it).
    s33 = app.claim_id_for_number("S20000033")
    body = {"text": "Carrier report chased by registered letter.", "noted_on": "2026-01-15"}
    fingerprint = hashlib.sha256(
        f"POST /api/v1/claims/{s33}/notes\n{json.dumps(body)}".encode()
    ).hexdigest()
    outcome = app.previous_outcome(IdempotencyKey("handler.2", "round1-note-1", fingerprint, 200))
    assert outcome == CommandOutcome(claim_id=s33, version=12, status_code=200, result=None)


def test_the_read_models_project_rebuild_and_verify(
    settings: Settings, round1_app: ClaimsApplication
) -> None:
    # The live read models, as `claims project` builds them.
    runner = build_runner(settings, round1_app)
    try:
        runner.catch_up()
        assert set(runner.positions().values()) == {EVENTS}
        board = dashboard(runner.store, DEMO_DAY)
        names = [engine.projection.name for engine in runner.engines]
        verified = re.compile(rf"^(\w+): OK, (\d+) rows match at position {EVENTS}$")

        def verify() -> None:
            result = _claims("rebuild", "--verify")
            assert result.returncode == 0, result.stdout + result.stderr
            matches = [verified.match(line) for line in result.stdout.splitlines()]
            assert all(matches), result.stdout
            assert [m.group(1) for m in matches if m] == names
            assert all(int(m.group(2)) > 0 for m in matches if m)

        verify()  # the live tables against a replay from position zero
        for engine in runner.engines:  # `claims rebuild`: replay, then swap in
            report = rebuild(
                build_event_log(round1_app), runner.store, engine.projection, verify=False
            )
            assert report.position == EVENTS
        verify()  # the swapped-in tables against another replay
    finally:
        runner.store.close()
    assert board["claims"] == CLAIMS
    assert board["by_status"] == STATUSES
    assert _money(board["indemnities"]["paid"]) == PAID
    assert board["open_mediations"] == 0


def test_the_audit_replay_of_a_round1_claim(round1_app: ClaimsApplication) -> None:
    app = round1_app
    claim_id = app.claim_id_for_number(NOTED_CLAIM)
    history = app.history(claim_id)
    assert [entry.version for entry in history] == list(range(1, 54))
    assert history[0].type == "Declared"
    types = Counter(entry.type for entry in history)
    assert types["NoteAdded"] == 40
    assert types["MediationConcluded"] == 1
    # As it was before the notes: by version and by recording time.
    before_notes = app.get_claim(claim_id, version=13)
    assert before_notes.status == "closed"
    assert app.claim_as_of(claim_id, history[12].recorded_at).version == 13
    assert app.sla_clocks(claim_id, as_of=DEMO_DAY)

    text = _claims("replay", NOTED_CLAIM, "--version", "13")
    assert text.returncode == 0, text.stderr
    assert f"claim {NOTED_CLAIM} ({claim_id}) version 13" in text.stdout
    assert "status: closed" in text.stdout
    assert "NoteAdded" not in text.stdout
    replayed = json.loads(_claims("replay", NOTED_CLAIM, "--format", "json").stdout)
    assert replayed["claim"]["version"] == 53
    assert [e["version"] for e in replayed["history"]] == list(range(1, 54))

    # The note with health data on S20000004 is in its history, on its business date.
    last = app.history(app.claim_id_for_number("S20000004"))[-1]
    assert (last.version, last.type, last.business_date) == (8, "NoteAdded", date(2025, 11, 28))


def test_stored_settlements_read_as_issued_final_payments(
    settings: Settings, round1_app: ClaimsApplication
) -> None:
    """No migration of stored events (docs/adr/0027-money-ledger.md): a round-1 `Settled` is
    an issued final payment, in the claim body, the figures, the read models."""
    app = round1_app
    bodies = {number: _body(app, number) for number in (f"S2{n:07d}" for n in range(1, CLAIMS + 1))}
    for number, body in bodies.items():
        money = body["financials"]
        payments = money["payments"]
        assert [
            (p["state"], p["kind"], p["issued_on"], p["bank_reference"], _money(p["amount"]))
            for p in payments
        ] == [
            ("issued", "final", s["paid_on"], s["reference"], _money(s["amount"]))
            for s in body["settlements"]
        ], number
        assert _money(money["paid"]) == _money(body["amount_paid"])
        reserve, paid = _money(money["reserve"]), _money(money["paid"])
        assert _money(money["incurred"]) == paid + reserve - _money(money["recovered"])
        if body["status"] == "accepted":  # owed and not paid: reserved (rule 3)
            assert reserve == _money(body["indemnity"]["total"]) - paid, number
        else:
            assert reserve == 0, number
        assert all(p["issued_by"] and p["requested_by"] for p in payments)
    assert sum(_money(b["financials"]["paid"]) for b in bodies.values()) == PAID
    assert Counter(b["status"] for b in bodies.values()) == STATUSES

    # The financials read model, as of the demo's day, says the same.
    runner = build_runner(settings, app)
    try:
        runner.catch_up()
        page = financials(runner.store, as_of=DEMO_DAY, limit=500)
    finally:
        runner.store.close()
    assert [i["claim_number"] for i in page["items"]] == list(bodies)
    for item in page["items"]:
        body = bodies[item["claim_number"]]
        assert item["status"] == body["status"]
        for figure in ("reserve", "paid", "recovered", "incurred"):
            assert item[figure] == body["financials"][figure], (item, figure)
    assert _money(page["totals"]["paid"]) == PAID

    # The round-1 snapshot (version 50) upcasts to the same payments (who paid aside: the
    # snapshot never held it, so the repository folds such claims from their events).
    claim_id = app.claim_id_for_number(NOTED_CLAIM)
    assert app.snapshots is not None
    (snapshot,) = app.snapshots.get(claim_id)
    from_snapshot = snapshot.mutate(None)  # type: ignore[attr-defined]
    from_events = app.get_claim(claim_id, version=50)
    assert isinstance(from_snapshot, Claim)
    assert [(p.amount, p.issued_on, p.bank_reference, p.state) for p in from_snapshot.payments] == [
        (p.amount, p.issued_on, p.bank_reference, p.state) for p in from_events.payments
    ]
    assert from_snapshot.reserve == from_events.reserve
    assert from_snapshot.status == from_events.status


def test_round1_events_of_older_shapes_are_upcast_and_published_without_personal_data(
    round1_app: ClaimsApplication, tmp_path: Path
) -> None:
    """docs/adr/0035: the stored round-1 shapes (a declaration without `channel`, a complaint
    without its qualification, a snapshot of class version 1) are read through the classes'
    upcasters; every stored claim event is published as claims.event/2 without a name or a
    note, reads back, and the read models fold from the published events as from the store."""
    app = round1_app
    old_declarations = old_complaints = 0
    start = 1
    while page := app.recorder.select_notifications(start=start, limit=200):
        for notification in page:
            state = json.loads(notification.state)
            event: Any = app.mapper.to_domain_event(notification)
            if notification.topic == "domain.claim:Claim.Declared":
                assert "channel" not in state
                assert "class_version" not in state
                assert event.channel == "online"
                old_declarations += 1
            elif notification.topic == "domain.claim:Claim.ComplaintOpened":
                assert "motive" not in state
                assert (event.motive, event.root_cause) == (None, None)
                old_complaints += 1
        start = page[-1].id + 1
    assert (old_declarations, old_complaints) == (CLAIMS, 8)
    assert app.snapshots is not None
    noted = app.claim_id_for_number(NOTED_CLAIM)
    (snapshot,) = app.snapshots.recorder.select_events(noted)
    snapshot_state = json.loads(snapshot.state)["state"]
    assert "class_version" not in snapshot_state
    assert "channel" not in snapshot_state
    loaded: Claim = app.repository.get(noted)  # from the snapshot, upcast v1 -> v5
    assert loaded.version == 53
    assert (loaded.declarant, loaded.recoveries) == (None, [])  # v3's and v4's state
    assert not [name for name in DISPLAY_ONLY if hasattr(loaded, name)]  # v5 dropped them
    assert app.claim_display(loaded).channel == "online"  # the Declared event, upcast

    names = {
        person["name"]
        for number in range(1, CLAIMS + 1)
        for person in _body(app, f"S2{number:07d}")["insured"]
    }
    stored = build_event_log(app).read(start=1, limit=EVENTS).events
    assert len(stored) == CLAIM_EVENTS
    published = []
    for position, event in stored:
        message = envelope(event, position)
        assert message["type_version"] == getattr(type(event), "class_version", 1)
        text = encode(message).decode()
        assert not any(name in text for name in names), message["type"]
        assert "hospital" not in text
        assert "Call 1 with" not in text
        published.append(decode(encode(message)))
    views: dict[str, dict[str, Any]] = {}
    for label, events in (("store", stored), ("kafka", published)):
        store = ReadStore(f"sqlite:///{tmp_path / label}.db")
        try:
            dumps: dict[str, Any] = {}
            for projection in all_projections(app.calendar):
                engine = ProjectionEngine(store, projection)
                engine.create_tables()
                engine.apply(events, position=EVENTS)
                for table in engine.all_tables:
                    dumps[table.name] = engine.dump(table)
            views[label] = dumps
        finally:
            store.close()
    assert len(views["store"]["claims"]) == CLAIMS
    assert views["kafka"] == views["store"]
