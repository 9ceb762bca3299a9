"""The next action per open claim, from its status and its earliest open deadline."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import FrenchCalendar
from domain.sla import ClockKind, business_date
from projections.base import Projection, Row, State, Table
from projections.claims_list.fold import cents, fold_claim, status_of
from projections.sla.fold import fold_sla, freeze_sla, thaw_sla

WORKLIST = Table(
    "worklist",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("handler", "TEXT"),
        ("status", "TEXT NOT NULL"),
        ("next_action", "TEXT NOT NULL"),
        ("due_on", "TEXT"),
        # The order of the list: the due date, undated actions last (an index serves it).
        ("sort_due", "TEXT NOT NULL"),
    ),
    ("claim_id",),
    (("handler", "sort_due", "claim_number"), ("sort_due", "claim_number")),
)
# Payments someone must act on (docs/adr/0027-money-ledger.md): a manager's approval, or the
# issuance (again, after a failure or a return).
WORKLIST_PAYMENTS = Table(
    "worklist_payments",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("payment_id", "TEXT NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("handler", "TEXT"),
        ("queue", "TEXT NOT NULL"),
        ("state", "TEXT NOT NULL"),
        ("amount_cents", "BIGINT NOT NULL"),
        ("requested_by", "TEXT NOT NULL"),
        ("since", "TEXT NOT NULL"),
    ),
    ("claim_id", "payment_id"),
    (("queue", "since", "claim_number", "payment_id"),),
)
QUEUES = {
    "pending_approval": "awaiting_approval",
    "approved": "to_issue",
    "failed": "to_issue",
    "returned": "to_issue",
}
NO_DUE = "9999-12-31"  # sorts undated actions last, on both stores

# Deadlines the insurer must meet, and what meets them. Declaration, mediation referral and
# prescription run against the insured, not the handler.
ACTIONS = {
    ClockKind.COMPLAINT_ACKNOWLEDGEMENT.value: "acknowledge the complaint",
    ClockKind.COMPLAINT_ANSWER.value: "answer the complaint",
    ClockKind.HANDLING.value: "assess the claim",
    ClockKind.PAYMENT.value: "pay the indemnity",
}
BY_STATUS = {
    "declared": "request the proofs",
    "proofs_requested": "chase the missing proofs",
    "awaiting_card_insurer": "obtain the card insurer's position",
    "proofs_complete": "assess the claim",
    "accepted": "pay the indemnity",
    "settled": "close the claim",
    "refused": "close the claim",
}


def fold_payments(state: State, event: Any) -> State:
    """Pure: each payment's [state, amount in cents, requested by, since (ISO date)]."""
    kind = type(event).__name__
    e: Any = event
    if kind == "PaymentRequested":
        state = {
            **state,
            e.payment_id: [
                "pending_approval" if e.approval_required else "approved",
                cents(e.amount),
                e.by,
                e.requested_on.isoformat(),
            ],
        }
    elif kind in PAYMENT_STATES and e.payment_id in state:
        _, amount, requested_by, _ = state[e.payment_id]
        new_state, day = PAYMENT_STATES[kind], business_date(e).isoformat()
        state = {**state, e.payment_id: [new_state, amount, requested_by, day]}
    return state


PAYMENT_STATES = {
    "PaymentApproved": "approved",
    "PaymentRejected": "rejected",
    "PaymentIssued": "issued",
    "PaymentFailed": "failed",
    "PaymentReturned": "returned",
    "PaymentCancelled": "cancelled",
}


def next_action(status: str, clocks: list[list[Any]]) -> tuple[str, str | None] | None:
    """Pure: the earliest open insurer deadline, else what the status calls for."""
    open_clocks: list[tuple[str, str]] = sorted(
        (due, ACTIONS[kind])
        for kind, _key, _start, due, completed in clocks
        if completed is None and kind in ACTIONS
    )
    if open_clocks:
        earliest, action = open_clocks[0]
        return action, earliest
    by_status = BY_STATUS.get(status)
    return (by_status, None) if by_status else None


class WorklistProjection(Projection):
    name: ClassVar[str] = "worklist"
    tables: ClassVar[tuple[Table, ...]] = (WORKLIST, WORKLIST_PAYMENTS)
    rules_version: ClassVar[int] = 2  # 2: the money ledger's payments (docs/adr/0027)

    def __init__(self, calendar: FrenchCalendar) -> None:
        self.calendar = calendar

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        claim = fold_claim(state["claim"] if state else None, event)
        sla = fold_sla(state["sla"] if state else None, event, self.calendar)
        if claim is None or sla is None:
            return None
        payments = fold_payments(state["payments"] if state else {}, event)
        return {"claim": claim, "sla": sla, "payments": payments}

    def thaw(self, stored: State) -> State:
        return {
            "claim": stored["claim"],
            "sla": thaw_sla(stored["sla"], self.calendar),
            "payments": stored["payments"],
        }

    def freeze(self, state: State) -> State:
        return {
            "claim": state["claim"],
            "sla": freeze_sla(state["sla"]),
            "payments": state["payments"],
        }

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        claim = state["claim"]
        status = status_of(claim)
        payments = [
            (
                str(claim_id),
                payment_id,
                claim["claim_number"],
                claim["handler"],
                QUEUES[payment_state],
                payment_state,
                amount,
                requested_by,
                since,
            )
            for payment_id, (payment_state, amount, requested_by, since) in state[
                "payments"
            ].items()
            if payment_state in QUEUES
        ]
        todo = next_action(status, state["sla"].fold.clock_entries())
        if todo is None:
            return {"worklist_payments": payments}
        action, due = todo
        return {
            "worklist_payments": payments,
            "worklist": [
                (
                    str(claim_id),
                    claim["claim_number"],
                    claim["handler"],
                    status,
                    action,
                    due,
                    due or NO_DUE,
                )
            ],
        }
