"""What the bordereau and the loss triangles read (docs/adr/0029-bordereau-cut-off.md).

`reporting_claims`: one row per claim, its declaration's codes and dates (they never change).
`reporting_moves`: one row per event that moved the claim's money (reserve, paid, recovered, in
cents), its status, its decision or its closure, with the event's business day and recorded
time, and the claim's status, decision day (and the decision event's version, to read a
refusal's reason from the store) and closure day after it. The bordereau of a month sums the
rows known at its cut-off and reads the state of the last of them. Totals, by origin month
(accident or declaration) and business day, feed the triangles: paid, incurred and claims
declared. Codes, dates and amounts only: the refusal's reason stays in the event store
(docs/adr/0021).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar
from uuid import UUID

from domain.claim import Claim
from domain.reporting import paris_day, utc_text
from domain.sla import business_date
from projections.base import Projection, Row, State, Table, Totals, TotalsKey
from projections.claims_list.fold import cents, fold_claim, status_of
from projections.financials.fold import reserve_after
from projections.reporting.receipts import REPORTING_RECEIPTS, fold_receipt, is_notification_event

REPORTING_CLAIMS = Table(
    "reporting_claims",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("subscription_number", "TEXT NOT NULL"),
        ("contract", "TEXT NOT NULL"),
        ("guarantee", "TEXT NOT NULL"),
        ("cause_category", "TEXT NOT NULL"),
        ("loss_date", "TEXT NOT NULL"),
        ("declared_on", "TEXT NOT NULL"),
        ("opened_on", "TEXT NOT NULL"),
    ),
    ("claim_id",),
    (("claim_number",), ("contract", "claim_number")),
)
REPORTING_MOVES = Table(
    "reporting_moves",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("version", "INTEGER NOT NULL"),
        ("day", "TEXT NOT NULL"),
        ("recorded_at", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("decided_on", "TEXT"),
        ("decision_version", "INTEGER"),
        ("closed_on", "TEXT"),
        ("reserve_cents", "BIGINT NOT NULL"),
        ("paid_cents", "BIGINT NOT NULL"),
        ("recovered_cents", "BIGINT NOT NULL"),
    ),
    ("claim_id", "version"),
    # The bordereau's one pass reads only this index (measured: a third faster on SQLite).
    (
        (
            "claim_id",
            "version",
            "day",
            "recorded_at",
            "reserve_cents",
            "paid_cents",
            "recovered_cents",
        ),
    ),
)
# Events that set or clear the decision or the closure: always a row.
MILESTONES = frozenset({"Accepted", "Refused", "Closed", "Withdrawn", "Reopened"})
# Totals: (basis@origin, origin month, business day) -> cents, or claims for `count`.
BASES = ("paid", "incurred")
ORIGINS = ("accident", "declaration")


def fold_reporting(state: State | None, event: Any) -> State | None:
    """Pure: the claim's state after the event; the event's rows go to `new` (the state is
    changed in place: the projection engine owns it)."""
    e: Any = event
    kind = type(event).__name__
    if isinstance(event, Claim.Declared):
        state = {
            "claim": None,
            "reserve": 0,
            "status": None,
            "decision_version": None,
            "closed_on": None,
            "origins": {
                "accident": event.event_date.isoformat()[:7],
                "declaration": event.declared_on.isoformat()[:7],
            },
            "new": [],
            "declared": [
                event.claim_number,
                event.subscription_number,
                event.contract,
                event.guarantee,
                event.cause.category,
                event.event_date.isoformat(),
                event.declared_on.isoformat(),
                paris_day(event.timestamp).isoformat(),
            ],
        }
        previous = None
    elif state is None or not isinstance(event, Claim.Event):
        return None
    else:
        previous = state["claim"]
    claim = fold_claim(previous, event)
    assert claim is not None
    day = business_date(event).isoformat()
    reserve = reserve_after(state["reserve"], claim, event)
    paid = 0
    if kind in ("PaymentIssued", "Settled"):
        paid = cents(e.amount)
    elif kind in ("PaymentFailed", "PaymentReturned"):
        paid = -cents(e.amount)
    recovered = cents(e.amount) if kind == "RecoveryReceived" else 0
    if kind in ("Accepted", "Refused"):
        state["decision_version"] = event.originator_version
    elif kind == "Reopened":
        state["decision_version"] = None
        state["closed_on"] = None
    elif kind in ("Closed", "Withdrawn"):
        state["closed_on"] = day
    status = status_of(claim)
    moved = (reserve - state["reserve"], paid, recovered)
    if any(moved) or status != state["status"] or kind in MILESTONES:
        state["new"].append(
            [
                event.originator_version,
                day,
                utc_text(event.timestamp),
                status,
                claim["decided_on"],
                state["decision_version"],
                state["closed_on"],
                *moved,
            ]
        )
    state.update(claim=claim, reserve=reserve, status=status)
    return state


class ReportingProjection(Projection):
    """Append-only, like the financials: an event adds its rows, never changes another; the
    declaration adds the claim's row. Its stored state is the claims list's fold and what the
    rows carry over. It also folds the notifications' streams: a declaration receipt's sending
    adds its row to `reporting_receipts` (`receipts.py`)."""

    name: ClassVar[str] = "reporting"
    tables: ClassVar[tuple[Table, ...]] = (REPORTING_CLAIMS, REPORTING_MOVES, REPORTING_RECEIPTS)
    append_only: ClassVar[bool] = True
    keeps_totals: ClassVar[bool] = True
    reads_notifications: ClassVar[bool] = True
    rules_version: ClassVar[int] = 2  # 2: acknowledged_on from the declaration receipts

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        if is_notification_event(event):
            return fold_receipt(state, event)
        return fold_reporting(state, event)

    def totals(self, state: State) -> Totals:
        """Paid and incurred moved, by origin month and business day (of the rows folded in
        this batch: the rows only grow), and the claim counted on its declaration day."""
        totals: Counter[TotalsKey] = Counter()
        if "receipt_of" in state:
            return totals  # a notification's state: no money, no claim
        origins = state["origins"]
        for origin in ORIGINS:
            if "declared" in state:
                totals[(f"count@{origin}", origins[origin], state["declared"][6])] += 1
            for _v, day, _at, _status, _d, _dv, _c, reserve, paid, recovered in state["new"]:
                totals[(f"paid@{origin}", origins[origin], day)] += paid
                totals[(f"incurred@{origin}", origins[origin], day)] += paid + reserve - recovered
        return totals

    def thaw(self, stored: State) -> State:
        return {**stored, "new": []}

    def freeze(self, state: State) -> State:
        return {k: v for k, v in state.items() if k not in ("new", "declared")}

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        if "receipt_of" in state:  # `claim_id` is the notification's id
            receipt_of = state["receipt_of"]
            return {"reporting_receipts": [(receipt_of, str(claim_id), *r) for r in state["new"]]}
        rows: dict[str, list[Row]] = {
            "reporting_moves": [(str(claim_id), *row) for row in state["new"]]
        }
        if "declared" in state:
            rows["reporting_claims"] = [(str(claim_id), *state["declared"])]
        return rows
