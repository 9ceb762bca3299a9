"""An event that fails a projection is parked; every other claim's views stay current; a
retry after the fix clears it. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from projections.base import Projection, ProjectionEngine
from projections.claims_list.fold import ClaimsListProjection
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log
from tests.domain.gwt import declaration
from tests.projections.poison import (
    complain_in_year_9999,
    declare_in_year_9999,
    poison_fold,
    poison_rows,
)
from tests.projections.workload import random_workload

NOTE_DAY = date(2026, 6, 1)


def projection(app: ClaimsApplication, name: str) -> Projection:
    (found,) = [p for p in all_projections(app.calendar) if p.name == name]
    return found


def engine(runner: ProjectionRunner, name: str) -> ProjectionEngine:
    (found,) = [e for e in runner.engines if e.projection.name == name]
    return found


def claim_rows(store: ReadStore, claim_id: UUID) -> list[tuple[object, ...]]:
    return store.query("SELECT * FROM claims WHERE claim_id = ?", (str(claim_id),))


def reference_views(app: ClaimsApplication, tmp_path: Path) -> ReadStore:
    """The read models built from scratch, in another database, with no fault injected."""
    store = ReadStore(f"sqlite:///{tmp_path / 'reference.db'}")
    reference = ProjectionRunner(build_event_log(app), store, all_projections(app.calendar))
    reference.setup()
    reference.catch_up()
    return store


def assert_other_claims_current(
    app: ClaimsApplication, store: ReadStore, reference: ReadStore, poisoned: UUID
) -> None:
    """Every view row of every claim but the poisoned one is what a clean build has."""
    for p in all_projections(app.calendar):
        for table in p.tables:
            mine = ProjectionEngine(store, p).dump(table)
            theirs = ProjectionEngine(reference, p).dump(table)
            assert theirs, table.name
            assert [r for r in mine if r[0] != str(poisoned)] == [
                r for r in theirs if r[0] != str(poisoned)
            ], table.name


def verify_all(app: ClaimsApplication, store: ReadStore) -> None:
    for p in all_projections(app.calendar):
        report = rebuild(build_event_log(app), store, p, verify=True)
        assert report.matches, (p.name, report.differences[:5], report.stalled_behind)


def busiest_claim(app: ClaimsApplication, claims: int) -> UUID:
    ids = [app.claim_id_for_number(f"S2{n:07d}") for n in range(1, claims + 1)]
    return max(ids, key=lambda c: len(app.history(c)))


def test_a_fold_that_raises_for_one_claim_parks_it_and_the_other_claims_stay_current(
    app: ClaimsApplication,
    store: ReadStore,
    runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Given a workload and a claims-list fold that raises for one claim from its 3rd event
    random_workload(app, claims=30, commands=300, seed=41)
    poisoned = busiest_claim(app, 30)
    events = app.history(poisoned)
    assert len(events) >= 5
    heal = poison_fold(monkeypatch, ClaimsListProjection, poisoned, from_version=3)

    # When the projections run (in batches of 50 notifications)
    runner.catch_up()

    # Then every projection reached the head; the claim's list row stopped at version 2
    assert set(runner.lag().values()) == {0}
    ((*_, version),) = claim_rows(store, poisoned)
    assert version == 2
    heal()
    reference = reference_views(app, tmp_path)
    assert_other_claims_current(app, store, reference, poisoned)

    # and its events from version 3 are parked, in order: the failing one, then those held
    letters = engine(runner, "claims_list").dead_letters()
    assert [d.claim_version for d in letters] == list(range(3, len(events) + 1))
    assert {d.claim_id for d in letters} == {str(poisoned)}
    assert [d.event_type for d in letters] == [e.type for e in events[2:]]
    first, *held = letters
    assert first.error.startswith("InjectedFoldError at tests/projections/poison.py:")
    assert first.attempts == 1
    assert first.first_attempt == first.last_attempt
    assert (first.topic_partition, first.kafka_offset) == (None, None)
    assert all(
        d.error == f"held: waits for the parked event at position {first.position}" for d in held
    )
    positions = [d.position for d in letters]
    assert positions == sorted(positions)
    assert runner.dead_letter_counts() == {
        "claims_list": len(letters),
        "sla": 0,
        "worklist": 0,
        "audit_trail": 0,
        "financials": 0,
        "retention": 0,
        "claim_search": 0,
        "reporting": 0,
    }
    reference.close()


def test_a_parked_claims_later_events_are_held_and_a_retry_after_the_fix_clears_them(
    app: ClaimsApplication,
    store: ReadStore,
    runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    random_workload(app, claims=10, commands=80, seed=43)
    poisoned, other = (app.claim_id_for_number(n) for n in ("S20000004", "S20000005"))
    heal = poison_fold(monkeypatch, ClaimsListProjection, poisoned)
    runner.catch_up()
    assert claim_rows(store, poisoned) == []  # its declaration failed
    parked = len(engine(runner, "claims_list").dead_letters())

    # When both claims get new events
    app.add_note(poisoned, text="later", noted_on=NOTE_DAY, by="h1")
    app.assign_handler(other, handler="marie", assigned_on=NOTE_DAY, by="m")
    runner.catch_up()

    # Then the other claim is current; the poisoned claim's new event waits behind the others
    ((_, _, _, _, _, handler, *_),) = claim_rows(store, other)
    assert handler == "marie"
    letters = engine(runner, "claims_list").dead_letters()
    assert len(letters) == parked + 1
    assert letters[-1].event_type == "NoteAdded"
    assert (
        letters[-1].error == f"held: waits for the parked event at position {letters[0].position}"
    )

    # A retry before the fix leaves everything parked, counting the attempt
    still = runner.retry(letters[-1].id)
    assert still is not None
    assert (still.projection, still.claim_id, still.applied) == ("claims_list", str(poisoned), 0)
    assert [d.position for d in still.remaining] == [d.position for d in letters]
    assert still.remaining[0].attempts == 2
    assert still.remaining[0].last_attempt > letters[0].last_attempt
    assert still.remaining[0].first_attempt == letters[0].first_attempt

    # After the fix, a retry replays them all: nothing is parked and every view matches a rebuild
    heal()
    done = runner.retry(letters[0].id)
    assert done is not None
    assert (done.applied, done.remaining) == (len(letters), [])
    assert runner.dead_letter_counts()["claims_list"] == 0
    assert runner.retry(letters[0].id) is None  # no such dead letter any more
    ((*_, version),) = claim_rows(store, poisoned)
    assert version == len(app.history(poisoned))
    verify_all(app, store)
    reference = reference_views(app, tmp_path)
    assert claim_rows(store, poisoned) == claim_rows(reference, poisoned)
    reference.close()

    # and the claim's later events are applied as usual
    app.add_note(poisoned, text="after the retry", noted_on=NOTE_DAY, by="h1")
    runner.catch_up()
    assert runner.dead_letters() == []
    verify_all(app, store)


def test_a_write_the_database_refuses_for_one_claim_is_parked_too(
    app: ClaimsApplication,
    store: ReadStore,
    runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Given claims-list rows that break a NOT NULL column for one claim (on PostgreSQL this
    # aborts the transaction: the savepoint must bring it back)
    random_workload(app, claims=12, commands=90, seed=47)
    poisoned = app.claim_id_for_number("S20000007")
    heal = poison_rows(monkeypatch, ClaimsListProjection, poisoned)
    runner.catch_up()
    heal()
    assert set(runner.lag().values()) == {0}
    (first, *_) = letters = engine(runner, "claims_list").dead_letters()
    assert {d.claim_id for d in letters} == {str(poisoned)}
    assert first.claim_version == 1
    assert first.error.startswith(("IntegrityError", "NotNullViolation"))
    reference = reference_views(app, tmp_path)
    assert_other_claims_current(app, store, reference, poisoned)
    reference.close()
    replayed = runner.retry(first.id)
    assert replayed is not None
    assert replayed.remaining == []
    verify_all(app, store)


def test_a_failure_of_the_database_itself_is_retried_whole_never_parked(
    app: ClaimsApplication,
    runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    random_workload(app, claims=5, commands=30, seed=53)
    poisoned = app.claim_id_for_number("S20000002")
    before = runner.positions()
    heal = poison_fold(monkeypatch, ClaimsListProjection, poisoned, error=sqlite3.OperationalError)
    with pytest.raises(sqlite3.OperationalError):
        runner.run_once()
    assert runner.positions() == before
    assert runner.dead_letters() == []
    heal()
    runner.catch_up()
    assert runner.dead_letters() == []
    assert set(runner.lag().values()) == {0}


@pytest.mark.parametrize("step", ["before_view_write", "after_view_write", "before_commit"])
def test_a_crash_while_parking_neither_parks_twice_nor_loses_an_event(
    app: ClaimsApplication,
    store: ReadStore,
    runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    random_workload(app, claims=8, commands=60, seed=59)
    poisoned = app.claim_id_for_number("S20000003")
    poison_fold(monkeypatch, ClaimsListProjection, poisoned, from_version=2)

    class InjectedCrashError(Exception):
        pass

    def crash(at: str) -> None:
        if at == step:
            raise InjectedCrashError(at)

    with pytest.raises(InjectedCrashError):
        runner.run_once(fault=crash)
    assert runner.dead_letters() == []
    assert set(runner.positions().values()) == {0}

    restarted = ProjectionRunner(
        build_event_log(app), store, all_projections(app.calendar), batch_size=50
    )
    restarted.catch_up()
    letters = restarted.dead_letters()
    versions = [d.claim_version for d in letters]
    assert versions == list(range(2, len(app.history(poisoned)) + 1))
    assert {d.attempts for d in letters} == {1}


def test_stored_events_dated_in_year_9999_are_parked_and_rebuild_reports_them(
    app: ClaimsApplication, store: ReadStore, runner: ProjectionRunner, tmp_path: Path
) -> None:
    # Given events the API now refuses, already in the store: a declaration and a
    # complaint whose deadlines fall beyond year 9999
    random_workload(app, claims=10, commands=60, seed=61)
    far = declare_in_year_9999(app)
    complained = app.declare(declaration(), by="h0").id
    complain_in_year_9999(app, complained)
    app.add_note(complained, text="after the complaint", noted_on=NOTE_DAY, by="h1")
    random_workload(app, claims=3, commands=20, seed=67)

    # When the projections run, they park those claims' events and reach the head
    runner.catch_up()
    assert set(runner.lag().values()) == {0}
    counts = runner.dead_letter_counts()
    assert counts["claims_list"] == counts["audit_trail"] == 0
    for name in ("sla", "worklist"):
        letters = engine(runner, name).dead_letters()
        assert {(d.claim_id, d.event_type) for d in letters} == {
            (str(far), "Declared"),
            (str(complained), "ComplaintOpened"),
            (str(complained), "NoteAdded"),
        }
        assert all(d.error.startswith(("OverflowError", "ValueError", "held:")) for d in letters), (
            letters
        )

    # A rebuild parks them too instead of crashing, and says so
    sla = projection(app, "sla")
    report = rebuild(build_event_log(app), store, sla, verify=False)
    assert {(d.claim_id, d.claim_version) for d in report.parked} == {
        (d.claim_id, d.claim_version) for d in engine(runner, "sla").dead_letters()
    }
    assert len(engine(runner, "sla").dead_letters()) == 3  # the rebuilt set replaced the live one
    runner.catch_up()

    # and verification reports each dead letter as a difference
    verified = rebuild(build_event_log(app), store, sla, verify=True)
    assert not verified.matches
    assert {(d.table, d.key) for d in verified.differences} == {
        ("projection_dead_letters", (d.claim_id, d.position))
        for d in engine(runner, "sla").dead_letters()
    }
    claims_list = rebuild(build_event_log(app), store, projection(app, "claims_list"), verify=True)
    assert claims_list.matches


def test_verify_reports_a_live_projection_that_is_behind_and_not_advancing(
    app: ClaimsApplication, store: ReadStore, runner: ProjectionRunner
) -> None:
    random_workload(app, claims=5, commands=30, seed=71)
    runner.catch_up()
    app.add_note(app.claim_id_for_number("S20000001"), text="x", noted_on=NOTE_DAY, by="h1")
    report = rebuild(build_event_log(app), store, projection(app, "worklist"), verify=True)
    assert not report.matches
    assert report.stalled_behind == 1
    assert report.differences == []
    runner.catch_up()
    assert rebuild(build_event_log(app), store, projection(app, "worklist"), verify=True).matches


def _claims(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("claims")), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "CLAIMS_DATABASE_URL": database_url},
    )


def test_claims_rebuild_parks_exits_1_with_a_summary_and_verify_lists_the_dead_letters(
    app: ClaimsApplication, database_url: str
) -> None:
    random_workload(app, claims=8, commands=40, seed=73)
    far = declare_in_year_9999(app)

    rebuilt = _claims(["rebuild"], database_url)
    assert rebuilt.returncode == 1, rebuilt.stderr
    assert "Traceback" not in rebuilt.stderr
    assert "claims_list: rebuilt to position" in rebuilt.stdout
    assert f"parked: claim {far} position" in rebuilt.stdout
    # The retention read model folds the prescription clock with the SLA fold: it parks too.
    assert "parked: 3 event(s) that fail (sla 1, worklist 1, retention 1)" in rebuilt.stdout

    verified = _claims(["rebuild", "--verify"], database_url)
    assert verified.returncode == 1
    assert "claims_list: OK" in verified.stdout
    assert "sla: 1 difference(s)" in verified.stdout
    assert f"projection_dead_letters ('{far}'," in verified.stdout

    clean = _claims(["rebuild", "claims_list"], database_url)
    assert clean.returncode == 0, clean.stdout


def test_a_nul_byte_in_a_handler_is_parked_where_the_database_refuses_it(
    app: ClaimsApplication, store: ReadStore, runner: ProjectionRunner, tmp_path: Path
) -> None:
    # PostgreSQL text cannot hold NUL; SQLite stores it. Either way nothing else stops.
    random_workload(app, claims=6, commands=30, seed=79)
    poisoned = app.declare(declaration(), by="h0").id
    app.assign_handler(poisoned, handler="marie\x00", assigned_on=NOTE_DAY, by="m")
    random_workload(app, claims=2, commands=10, seed=83)
    runner.catch_up()
    assert set(runner.lag().values()) == {0}
    parked = {(d.projection, d.event_type) for d in runner.dead_letters()}
    if store.postgres:
        assert parked == {
            (name, "HandlerAssigned") for name in ("claims_list", "worklist", "audit_trail")
        }
        assert {d.error for d in runner.dead_letters()} == {"DataError at psycopg/cursor.py:148"}
    else:
        assert parked == set()
    reference = reference_views(app, tmp_path)
    assert_other_claims_current(app, store, reference, poisoned)
    reference.close()
