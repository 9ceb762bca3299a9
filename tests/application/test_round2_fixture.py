"""The store of this round's shape (tests/fixtures/round2/README.md) replays with today's code
on SQLite and PostgreSQL: every aggregate folds, from its events and from its snapshot; the
claims hold their facts; an erased claim reads "[erased]" and keeps its amounts; a document
still opens; the read models project and `claims rebuild --verify` finds no difference."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import project_aggregate

from domain.claim import Claim
from infra.settings import Settings
from services.application import ClaimsApplication
from services.http.views import claim_body
from services.wiring import (
    attach_insured_side,
    build_application,
    build_private_store,
    build_runner,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "round2"
# The fixture's own key (its README): a test value, never a secret of any deployment.
KEY = base64.b64encode(b"round2-fixture-key-not-a-secret!").decode()
EVENTS = 630
CLAIMS = 61
STATUSES = {
    "closed": 26,
    "proofs_complete": 3,
    "refused": 3,
    "proofs_requested": 10,
    "settled": 15,
    "withdrawn": 1,
    "accepted": 3,
}
PAID = Decimal("76202.86")
ERASED_CLAIM = "S20000002"  # closed; its two insured persons erased


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def round2_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A copy of the fixture store (events, private tables, documents), once per backend."""
    if request.param == "sqlite":
        for name in ("claims.db", "claims_private.db"):
            shutil.copyfile(FIXTURE / name, tmp_path / name)
        shutil.copytree(FIXTURE / "documents", tmp_path / "documents")
        return f"sqlite:///{tmp_path / 'claims.db'}"
    url = str(request.getfixturevalue("postgres_url"))
    text = (FIXTURE / "claims.postgres.sql").read_text(encoding="utf-8")
    script = "\n".join(line for line in text.splitlines() if not line.startswith("\\"))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(script.encode())
    return url


@pytest.fixture
def settings(round2_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CLAIMS_DATABASE_URL", round2_url)
    monkeypatch.setenv("CLAIMS_ENCRYPTION_KEY", KEY)
    monkeypatch.delenv("CLAIMS_READ_MODEL_URL", raising=False)
    monkeypatch.delenv("CLAIMS_DOCUMENTS_DIR", raising=False)
    return Settings()


@pytest.fixture
def round2_app(settings: Settings) -> Iterator[ClaimsApplication]:
    application = build_application(settings)
    try:
        yield application
    finally:
        application.close()


def _claim_ids(app: ClaimsApplication) -> list[UUID]:
    ids: list[UUID] = []
    start, events = 1, 0
    while page := app.recorder.select_notifications(start=start, limit=500):
        events += len(page)
        ids += [UUID(str(n.originator_id)) for n in page if n.topic.endswith("Claim.Declared")]
        start = page[-1].id + 1
    assert events == EVENTS
    return ids


def test_every_claim_folds_from_its_events_and_from_its_snapshot(
    round2_app: ClaimsApplication,
) -> None:
    app = round2_app
    statuses: Counter[str] = Counter()
    paid = Decimal("0.00")
    for claim_id in _claim_ids(app):
        folded = project_aggregate(None, app.events.get(claim_id))
        loaded = app.get_claim(claim_id)
        assert isinstance(folded, Claim)
        assert folded.version == loaded.version
        display = app.claim_display(loaded)
        assert claim_body(folded, display, app.reveal) == claim_body(loaded, display, app.reveal)
        statuses[str(loaded.status)] += 1
        paid += loaded.amount_paid
    assert sum(statuses.values()) == CLAIMS
    assert statuses == STATUSES
    assert paid == PAID


def test_the_erased_claim_reads_erased_and_the_others_read_their_names(
    round2_app: ClaimsApplication,
) -> None:
    app = round2_app
    erased = app.get_claim(app.claim_id_for_number(ERASED_CLAIM))
    body = claim_body(erased, app.claim_display(erased), app.reveal).model_dump(mode="json")
    assert [person["name"] for person in body["insured"]] == ["[erased]", "[erased]"]
    assert body["status"] == "closed"
    assert app.claim_erased(erased.id)
    other = app.get_claim(app.claim_id_for_number("S20000003"))
    names = [p.name for p in claim_body(other, app.claim_display(other), app.reveal).insured]
    assert names == ["Arthur Richard", "Louis Garcia", "Léa Michel", "Inès Laurent"]


def test_the_online_claims_document_still_opens(settings: Settings) -> None:
    app = build_application(settings)
    private = build_private_store(settings)
    try:
        attach_insured_side(settings, app, private)
        opened = 0
        for claim_id in _claim_ids(app):
            for document in app.get_claim(claim_id).claim_documents:
                _, content = app.document_content(claim_id, document.document_id)
                assert content.startswith(b"%PDF")
                opened += 1
        assert opened >= 1
    finally:
        private.close()
        app.close()


def test_the_read_models_project_and_verify(
    settings: Settings, round2_app: ClaimsApplication
) -> None:
    runner = build_runner(settings, round2_app)
    try:
        runner.catch_up()
        assert set(runner.positions().values()) == {EVENTS}
        names = [engine.projection.name for engine in runner.engines]
    finally:
        runner.store.close()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("claims")), "rebuild", "--verify"],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    verified = re.compile(rf"^(\w+): OK, (\d+) rows match at position {EVENTS}$")
    matches = [verified.match(line) for line in result.stdout.splitlines()]
    assert all(matches), result.stdout
    assert [m.group(1) for m in matches if m] == names
