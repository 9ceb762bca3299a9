"""The money movements of each claim, one row per event that moved its money or its status.

A row holds what the event changed (reserve, paid, recovered, in cents), the event's business
day and recorded time, and the claim's status after it. The figures of a claim as of a day
(and as known at a time) are the sums of its rows dated up to that day (and recorded before
that time): the money facts are dated in order (docs/adr/0014), so these sums are the
figures folded from those facts. The reserve follows the ledger's rules
(domain/ledger.py, api.md v2 §1 rule 3), restated in cents on the events' data.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from typing import Any, ClassVar
from uuid import UUID

from domain.claim import Claim
from domain.sla import business_date
from projections.base import Projection, Row, State, Table, Totals, TotalsKey
from projections.claims_list.fold import cents, fold_claim, status_of

FINANCIALS = Table(
    "financials",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("version", "INTEGER NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("contract", "TEXT NOT NULL"),
        ("day", "TEXT NOT NULL"),
        ("recorded_at", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("reserve_cents", "BIGINT NOT NULL"),
        ("paid_cents", "BIGINT NOT NULL"),
        ("recovered_cents", "BIGINT NOT NULL"),
    ),
    ("claim_id", "version"),
    (("day", "claim_number"), ("contract", "day", "claim_number"), ("claim_number", "version")),
)
MEASURES = ("reserve", "paid", "recovered")


def recorded(event: Any) -> str:
    """The recording time as fixed-width UTC text, so that text order is time order."""
    return str(event.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def reserve_after(reserve: int, claim: State, event: Any) -> int:
    """The reserve in cents after the event (api.md v2 §1 rule 3); `claim` is the claims
    list's state after it."""
    kind = type(event).__name__
    e: Any = event
    if kind == "Accepted":
        paid_on_indemnity = sum(a for a, indemnity, _ in claim["issued"].values() if indemnity)
        return int(max(0, cents(e.indemnity.total) - paid_on_indemnity))
    if kind in ("Refused", "Closed", "Withdrawn"):
        return 0
    if kind in ("ReserveSet", "ReserveAdjusted", "ReserveReleased"):
        return cents(e.amount)
    if kind in ("PaymentIssued", "Settled"):
        return max(0, reserve - cents(e.amount))
    if kind in ("PaymentFailed", "PaymentReturned"):
        return reserve + cents(e.amount)
    return reserve


def fold_financials(state: State | None, event: Any) -> State | None:
    """Pure: the claim's state after the event, with the event's row (if it moved anything)
    appended to `new` (`state` is changed in place: the projection engine owns it)."""
    if isinstance(event, Claim.Declared):
        previous = None
        state = {"claim": None, "reserve": 0, "status": None, "new": []}
    elif state is None or not isinstance(event, Claim.Event):
        return None
    else:
        previous = state["claim"]
    claim = fold_claim(previous, event)
    assert claim is not None
    kind = type(event).__name__
    e: Any = event
    reserve = reserve_after(state["reserve"], claim, event)
    paid = 0
    if kind in ("PaymentIssued", "Settled"):
        paid = cents(e.amount)
    elif kind in ("PaymentFailed", "PaymentReturned"):
        paid = -cents(e.amount)
    recovered_now = cents(e.amount) if kind == "RecoveryReceived" else 0
    status = status_of(claim)
    moved = (reserve - state["reserve"], paid, recovered_now)
    if any(moved) or status != state["status"]:
        state["new"].append(
            [
                event.originator_version,
                business_date(event).isoformat(),
                recorded(event),
                status,
                *moved,
            ]
        )
    state.update(claim=claim, reserve=reserve, status=status)
    return state


class FinancialsProjection(Projection):
    """Append-only: an event adds its row, never changes another. Its stored state is the
    claims list's fold, the reserve and the status; the rows live while a batch folds them."""

    name: ClassVar[str] = "financials"
    tables: ClassVar[tuple[Table, ...]] = (FINANCIALS,)
    append_only: ClassVar[bool] = True
    keeps_totals: ClassVar[bool] = True

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        return fold_financials(state, event)

    def totals(self, state: State) -> Totals:
        """Reserve, paid and recovered moved, by contract and business day (the rows folded
        in this batch: the rows only grow)."""
        totals: Counter[TotalsKey] = Counter()
        contract = state["claim"]["contract"]
        for _version, day, _recorded, _status, *moved in state["new"]:
            for measure, amount in zip(MEASURES, moved, strict=True):
                totals[(measure, contract, day)] += amount
        return totals

    def thaw(self, stored: State) -> State:
        return {**stored, "new": []}

    def freeze(self, state: State) -> State:
        return {k: v for k, v in state.items() if k != "new"}

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        claim = state["claim"]
        return {
            "financials": [
                (str(claim_id), version, claim["claim_number"], claim["contract"], *rest)
                for version, *rest in state["new"]
            ]
        }
