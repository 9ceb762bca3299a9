"""The read models hold codes, dates and amounts: no free text, no names, no medical flag
(docs/adr/0021-data-at-rest.md). Checked on every table of the read-model database, states and
totals included, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from domain.values import AssessmentInputs, Cause, FeeInput, Insured
from projections.audit_trail.fold import AuditTrailProjection
from projections.audit_trail.queries import audit_trail
from projections.base import Projection, ProjectionEngine, Row, Table
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log
from tests.domain.gwt import declaration

BY = "h1"
# Every free text of a claim carries this marker; none may reach a read model.
MARK = "ZQXSECRET"
FORBIDDEN = (MARK, "medical_cause", "hospitalised", "Zoé")
EVENT_STORE = {"claims_events", "claims_snapshots"}


def _tables(store: ReadStore) -> list[str]:
    if store.postgres:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return sorted(str(name) for (name,) in store.query(sql))


def _everything(store: ReadStore) -> str:
    """Every value of every table of the read models, as text."""
    dump = []
    for table in _tables(store):
        if table in EVENT_STORE:
            continue  # the event store's, when it shares the database (PostgreSQL)
        for row in store.query(f"SELECT * FROM {table}"):
            dump.append(f"{table}: {row!r}")
    return "\n".join(dump)


def _a_claim_with_every_free_text(app: ClaimsApplication) -> UUID:
    on = date(2026, 3, 5)
    claim = app.declare(
        declaration(
            cause=Cause(category="A", code="serious_illness", description=f"hospitalised {MARK}"),
            insured=(Insured(f"Zoé {MARK}", Decimal("1200.00")),),
        ),
        by=BY,
    )
    assert claim.medical_cause
    cid = claim.id
    app.assign_handler(cid, handler=BY, assigned_on=on, by="m")
    app.add_note(cid, text=f"called the insured {MARK}", noted_on=on, by=BY)
    app.request_proofs(cid, documents=["cancellation_invoice"], requested_on=on, by=BY)
    app.receive_proof(cid, document="cancellation_invoice", received_on=date(2026, 3, 6), by=BY)
    fees = (FeeInput(f"Zoé {MARK}", Decimal("900.00")),)
    app.accept(cid, decided_on=date(2026, 3, 7), inputs=AssessmentInputs(fees=fees), by=BY)
    app.settle(cid, paid_on=date(2026, 3, 8), mode="cash", reference=f"VIR-{MARK}", by=BY)
    app.open_complaint(
        cid,
        sent_on=date(2026, 3, 9),
        received_on=date(2026, 3, 9),
        channel="email",
        summary=f"too little {MARK}",
        by=BY,
    )
    app.reopen(cid, reopened_on=date(2026, 3, 10), reason=f"new invoice {MARK}", by=BY)
    app.refuse(cid, decided_on=date(2026, 3, 11), reason=f"not covered {MARK}", by=BY)
    return cid


def test_no_read_model_holds_free_text_names_or_the_medical_flag(
    app: ClaimsApplication, runner: ProjectionRunner
) -> None:
    cid = _a_claim_with_every_free_text(app)
    runner.catch_up()
    dump = _everything(runner.store)
    assert "S20000001" in dump  # the claim is there, in codes
    for forbidden in FORBIDDEN:
        assert forbidden not in dump
    trail = {e["event_type"]: e["summary"] for e in audit_trail(runner.store, str(cid))}
    # v1's settlement is the final payment requested and issued (docs/adr/0027): codes only,
    # no payee, no bank reference.
    assert trail["PaymentRequested"] == (
        "PaymentRequested: payment_id=S20000001-P1, amount=550.00, kind=final, mode=transfer, "
        "approval_required=False"
    )
    assert trail["PaymentIssued"] == (
        "PaymentIssued: payment_id=S20000001-P1, amount=550.00, kind=final"
    )
    assert "late_declaration=False" in trail["Declared"]
    assert trail["NoteAdded"] == "NoteAdded"


OLD_AUDIT_TRAIL = Table(
    "audit_trail",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("version", "INTEGER NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("recorded_at", "TEXT NOT NULL"),
        ("actor", "TEXT NOT NULL"),
        ("event_type", "TEXT NOT NULL"),
        ("business_date", "TEXT NOT NULL"),
        ("summary", "TEXT NOT NULL"),
    ),
    ("claim_id", "version"),
    (("recorded_at",),),
)


class TrailBeforeDataAtRest(AuditTrailProjection):
    """The audit trail as it was: a `summary` column that showed the medical flag and the
    payment reference."""

    tables: ClassVar[tuple[Table, ...]] = (OLD_AUDIT_TRAIL,)

    def rows(self, claim_id: UUID, state: Any) -> dict[str, list[Row]]:
        return {
            "audit_trail": [
                (*row[:7], f"{row[7]}, medical_cause=True, reference=VIR-{MARK}")
                for row in super().rows(claim_id, state)["audit_trail"]
            ]
        }


def test_an_audit_trail_from_before_rebuilds_itself_without_them_on_start(
    app: ClaimsApplication, store: ReadStore
) -> None:
    cid = _a_claim_with_every_free_text(app)
    old: list[Projection] = [TrailBeforeDataAtRest()]
    ProjectionRunner(build_event_log(app), store, old).setup()
    ProjectionRunner(build_event_log(app), store, old).catch_up()
    assert MARK in _everything(store)

    runner = ProjectionRunner(build_event_log(app), store, all_projections(app.calendar))
    runner.setup()  # as `claims serve` and `claims project` do on start
    engine = next(e for e in runner.engines if e.projection.name == "audit_trail")
    assert isinstance(engine, ProjectionEngine)
    assert engine.position() == 0  # its fingerprint changed: dropped, to be rebuilt
    runner.catch_up()
    assert MARK not in _everything(store)
    assert len(audit_trail(store, str(cid))) == app.get_claim(cid).version
