"""The claims list: one row per claim, folded from its events."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar
from uuid import UUID

from domain.claim import Claim, claim_status
from domain.proofs import proofs_complete
from domain.sla import business_date
from domain.values import ClaimStatus
from projections.base import Projection, Row, State, Table, Totals, TotalsKey

CLAIMS = Table(
    "claims",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("contract", "TEXT NOT NULL"),
        ("guarantee", "TEXT NOT NULL"),
        ("handler", "TEXT"),
        ("late", "INTEGER NOT NULL"),
        ("declared_on", "TEXT NOT NULL"),
        ("event_date", "TEXT NOT NULL"),
        ("departure_date", "TEXT NOT NULL"),
        ("decided_on", "TEXT"),
        ("accepted_cents", "BIGINT NOT NULL"),
        ("paid_cents", "BIGINT NOT NULL"),
        ("last_paid_on", "TEXT"),
        ("paid_before_reopening_cents", "BIGINT NOT NULL"),
        ("open_complaints", "INTEGER NOT NULL"),
        ("mediation_open", "INTEGER NOT NULL"),
        ("version", "INTEGER NOT NULL"),
    ),
    ("claim_id",),
    (
        ("claim_number",),
        ("status", "claim_number"),
        ("contract", "claim_number"),
        ("handler", "claim_number"),
        ("late", "claim_number"),
        ("declared_on",),
    ),
)


def cents(amount: Any) -> int:
    return int(amount * 100)


def fold_claim(state: State | None, event: Any) -> State | None:
    """Pure: the claim's list state after one event (dates as ISO strings, money in cents)."""
    kind = type(event).__name__
    e: Any = event  # dispatched on the event's type name below
    if isinstance(event, Claim.Declared):
        return {
            "claim_number": event.claim_number,
            "contract": event.contract,
            "guarantee": event.guarantee,
            "handler": None,
            "late": event.late_declaration,
            "declared_on": event.declared_on.isoformat(),
            "event_date": event.event_date.isoformat(),
            "departure_date": event.trip.departure_date.isoformat(),
            "decision": None,
            "decided_on": None,
            "closed": False,
            "withdrawn": False,
            "requested": False,
            "outstanding": [],
            "card_required": event.card_insurer_position_required,
            "card_received": False,
            "accepted_cents": 0,
            "paid_cents": 0,
            "last_paid_on": None,
            "payments": [],
            "issued": {},
            "reopenings": 0,
            "paid_before_reopening_cents": 0,
            "complaints": {},
            "mediation": None,
            "version": event.originator_version,
        }
    if state is None or not isinstance(event, Claim.Event):
        return None
    s = dict(state, version=e.originator_version)
    if kind == "HandlerAssigned":
        s["handler"] = e.handler
    elif kind == "ProofsRequested":
        s["requested"] = True
        s["outstanding"] = sorted(set(s["outstanding"]) | set(e.documents))
    elif kind == "ProofReceived":
        s["outstanding"] = [d for d in s["outstanding"] if d != e.document]
    elif kind == "CardInsurerPositionReceived":
        s["card_received"] = True
        s["outstanding"] = [d for d in s["outstanding"] if d != "card_insurer_position"]
    elif kind == "Accepted":
        s.update(
            decision="accepted",
            decided_on=e.decided_on.isoformat(),
            accepted_cents=cents(e.indemnity.total),
        )
    elif kind == "Refused":
        s.update(decision="refused", decided_on=e.decided_on.isoformat(), accepted_cents=0)
    elif kind in ("Settled", "PaymentIssued"):
        # A stored round-1 settlement is an issued final payment (docs/adr/0027).
        paid_on = business_date(e).isoformat()
        payment_id = e.payment_id if kind == "PaymentIssued" else f"settled#{e.originator_version}"
        on_indemnity = kind == "Settled" or e.kind != "supplement"
        s.update(
            paid_cents=s["paid_cents"] + cents(e.amount),
            last_paid_on=paid_on,
            payments=[*s["payments"], [paid_on, cents(e.amount)]],
            issued={**s["issued"], payment_id: [cents(e.amount), on_indemnity, s["reopenings"]]},
        )
    elif kind in ("PaymentFailed", "PaymentReturned"):
        # Not paid any more, from the day it failed (a payment issued before the last
        # reopening was part of what was paid before it).
        amount, _, issued_in = s["issued"][e.payment_id]
        issued = {k: v for k, v in s["issued"].items() if k != e.payment_id}
        before = s["paid_before_reopening_cents"]
        if issued_in < s["reopenings"]:
            before -= amount
        s.update(
            paid_cents=s["paid_cents"] - amount,
            payments=[*s["payments"], [e.failed_on.isoformat(), -amount]],
            issued=issued,
            paid_before_reopening_cents=before,
        )
    elif kind == "Closed":
        s["closed"] = True
    elif kind == "Withdrawn":
        s["withdrawn"] = True
    elif kind == "Reopened":
        s.update(
            decision=None,
            decided_on=None,
            closed=False,
            withdrawn=False,
            accepted_cents=0,
            reopenings=s["reopenings"] + 1,
            # A reopening keeps the money paid; all of it was paid before this reopening.
            paid_before_reopening_cents=s["paid_cents"],
        )
    elif kind == "ComplaintOpened":
        s["complaints"] = {**s["complaints"], e.complaint_id: "open"}
    elif kind == "ComplaintAnswered":
        s["complaints"] = {**s["complaints"], e.complaint_id: "answered"}
    elif kind == "ComplaintEscalated":
        s["complaints"] = {**s["complaints"], e.complaint_id: "open"}
    elif kind == "MediationReferred":
        s["mediation"] = "open"
    elif kind == "MediationConcluded":
        s["mediation"] = "concluded"
    return s


# The claims by status groups of the dashboard (each status in exactly one group): still being
# handled, decided and done with but not closed yet, closed (or withdrawn).
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "in_progress": (
        ClaimStatus.DECLARED,
        ClaimStatus.PROOFS_REQUESTED,
        ClaimStatus.PROOFS_COMPLETE,
        ClaimStatus.AWAITING_CARD_INSURER,
        ClaimStatus.ACCEPTED,
    ),
    "awaiting_closure": (ClaimStatus.SETTLED, ClaimStatus.REFUSED),
    "closed": (ClaimStatus.CLOSED, ClaimStatus.WITHDRAWN),
}
FINISHED = STATUS_GROUPS["closed"]


def open_complaints(state: State) -> int:
    return sum(1 for v in state["complaints"].values() if v == "open")


def settled(state: State) -> bool:
    """As `domain.ledger.settled`: the issued payments of indemnities reach the current
    acceptance, one of them since the last reopening."""
    if state["decision"] != "accepted":
        return False
    on_indemnity = [(amount, n) for amount, indemnity, n in state["issued"].values() if indemnity]
    return sum(amount for amount, _ in on_indemnity) >= state["accepted_cents"] and any(
        n == state["reopenings"] for _, n in on_indemnity
    )


def status_of(state: State) -> str:
    complete = proofs_complete(any_requested=state["requested"], outstanding=state["outstanding"])
    return claim_status(
        withdrawn=state["withdrawn"],
        closed=state["closed"],
        decision=state["decision"],
        settled=settled(state),
        proofs_requested=state["requested"],
        proofs_complete=complete,
        awaiting_card_insurer=state["card_required"] and not state["card_received"],
    ).value


class ClaimsListProjection(Projection):
    name: ClassVar[str] = "claims_list"
    tables: ClassVar[tuple[Table, ...]] = (CLAIMS,)
    keeps_totals: ClassVar[bool] = True
    rules_version: ClassVar[int] = 2  # 2: the money ledger's payments (docs/adr/0027)

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        return fold_claim(state, event)

    def totals(self, state: State) -> Totals:
        """For the dashboard, by declaration day: claims by status and by contract, open
        claims, open complaints and mediations, amounts accepted, paid and paid before a
        reopening; and the current acceptance by its decision day, each payment by its day."""
        declared = state["declared_on"]
        status = status_of(state)
        totals: Counter[TotalsKey] = Counter()
        totals[("status", status, declared)] += 1
        totals[("contract", state["contract"], declared)] += 1
        if status not in FINISHED:
            totals[("open", "", declared)] += 1
        totals[("open_complaints", "", declared)] += open_complaints(state)
        totals[("open_mediations", "", declared)] += int(state["mediation"] == "open")
        totals[("accepted_cents", "", declared)] += state["accepted_cents"]
        totals[("paid_cents", "", declared)] += state["paid_cents"]
        totals[("paid_before_reopening_cents", "", declared)] += state[
            "paid_before_reopening_cents"
        ]
        if state["decided_on"]:
            totals[("accepted_cents_by_decision", "", state["decided_on"])] += state[
                "accepted_cents"
            ]
        for paid_on, amount in state["payments"]:
            totals[("paid_cents_by_payment", "", paid_on)] += amount
        return totals

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        return {
            "claims": [
                (
                    str(claim_id),
                    state["claim_number"],
                    status_of(state),
                    state["contract"],
                    state["guarantee"],
                    state["handler"],
                    int(state["late"]),
                    state["declared_on"],
                    state["event_date"],
                    state["departure_date"],
                    state["decided_on"],
                    state["accepted_cents"],
                    state["paid_cents"],
                    state["last_paid_on"],
                    state["paid_before_reopening_cents"],
                    open_complaints(state),
                    int(state["mediation"] == "open"),
                    state["version"],
                )
            ]
        }
