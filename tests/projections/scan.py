"""The oracle of the dashboard's figures: a scan of every claim's events in the event store.

It shares nothing with the projections: each claim is the `Claim` aggregate folded from its
events, its clocks are `derive_clocks` of them, and each figure is restated here from its
definition (projections/dashboard/queries.py) in terms of the aggregate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate

from domain.calendar import FrenchCalendar
from domain.claim import Claim
from domain.sla import ClockKind, ClockState, business_date, derive_clocks
from services.application import ClaimsApplication

AGE_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("over-90", 91, None))
STAGE_EVENTS = {
    "received": Claim.ComplaintOpened,
    "acknowledged": Claim.ComplaintAcknowledged,
    "answered": Claim.ComplaintAnswered,
    "escalated": Claim.ComplaintEscalated,
    "mediation_referred": Claim.MediationReferred,
    "mediation_concluded": Claim.MediationConcluded,
}


@dataclass(frozen=True)
class ScannedClaim:
    claim: Claim
    events: list[Any]

    @property
    def payments(self) -> list[tuple[date, Decimal]]:
        """Money moved, on its day: each issuance (and round-1 settlement), less each failure
        or return."""
        moves = []
        for e in self.events:
            if isinstance(e, Claim.Settled | Claim.PaymentIssued):
                moves.append((business_date(e), e.amount))
            elif isinstance(e, Claim.PaymentFailed | Claim.PaymentReturned):
                moves.append((e.failed_on, -e.amount))
        return moves

    @property
    def paid_before_reopening(self) -> Decimal:
        """What is paid (issued, not failed since) by an issuance before the last reopening."""
        reopenings = [n for n, e in enumerate(self.events) if isinstance(e, Claim.Reopened)]
        if not reopenings:
            return Decimal("0.00")
        last_issued: dict[str, int] = {}
        for n, e in enumerate(self.events):
            if isinstance(e, Claim.Settled):
                last_issued[f"settled#{n}"] = n
            elif isinstance(e, Claim.PaymentIssued):
                last_issued[e.payment_id] = n
        amounts = {p.payment_id: p.amount for p in self.claim.payments if p.state == "issued"}
        # Settled events are the claim's payments in order of issue: P1, P2...
        settled = [n for n, e in enumerate(self.events) if isinstance(e, Claim.Settled)]
        for index, n in enumerate(settled, start=1):
            last_issued[f"{self.claim.claim_number}-P{index}"] = last_issued.pop(f"settled#{n}")
        return sum(
            (
                amount
                for payment_id, amount in amounts.items()
                if last_issued[payment_id] < reopenings[-1]
            ),
            Decimal("0.00"),
        )

    def as_of(self, day: date, known_at: datetime | None = None) -> Claim:
        """The claim folded from its facts dated on or before the day (and recorded before
        `known_at`)."""
        claim = self.events[0].mutate(None)
        assert isinstance(claim, Claim)
        for e in self.events[1:]:
            if business_date(e) <= day and (known_at is None or e.timestamp < known_at):
                e.apply(claim)  # the state change alone (versions skip the later facts)
        return claim

    @property
    def finished(self) -> bool:
        return self.claim.closed_on is not None or self.claim.withdrawn_on is not None

    @property
    def awaiting_closure(self) -> bool:
        """Decided and done with: refused, or accepted and paid; not closed."""
        c = self.claim
        done = c.decision == "refused" or (c.decision == "accepted" and c.settled)
        return done and not self.finished


def scan_claims(app: ClaimsApplication) -> list[ScannedClaim]:
    """Every claim, from every claim event in the store's notification log."""
    events: dict[UUID, list[Any]] = defaultdict(list)
    start = 1
    while notifications := app.recorder.select_notifications(start=start, limit=1000):
        for notification in notifications:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, Claim.Declared | Claim.Event):
                events[event.originator_id].append(event)
        start = notifications[-1].id + 1
    claims: list[ScannedClaim] = []
    for claim_events in events.values():
        claim = project_aggregate(None, claim_events)
        assert isinstance(claim, Claim)
        claims.append(ScannedClaim(claim, claim_events))
    return claims


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def scanned_figures(
    claims: list[ScannedClaim], calendar: FrenchCalendar, as_of: date
) -> dict[str, Any]:
    """The dashboard's figures as of a day, as the events define them."""
    month_start = as_of.replace(day=1)
    declared = [c for c in claims if c.claim.declared_on <= as_of]
    not_finished = [c for c in declared if not c.finished]
    ageing = dict.fromkeys((name for name, _, _ in AGE_BUCKETS), 0)
    for c in not_finished:
        age = (as_of - c.claim.declared_on).days
        for name, low, high in AGE_BUCKETS:
            if age >= low and (high is None or age <= high):
                ageing[name] += 1
    awaiting = sum(1 for c in declared if c.awaiting_closure)
    finished = sum(1 for c in declared if c.finished)
    sla: dict[str, dict[str, Any]] = {
        k.value: dict.fromkeys((s.value for s in ClockState), 0) for k in ClockKind
    }
    for c in declared:
        for clock in derive_clocks(c.events, calendar):
            if max(clock.started_on, c.claim.declared_on) <= as_of:
                sla[clock.kind.value][clock.state(as_of, calendar).value] += 1
    for states in sla.values():
        done = states["met"] + states["missed"]
        states["met_rate"] = round(states["met"] / done, 4) if done else None
    current = [c.claim for c in declared if c.claim.decision == "accepted"]
    paid = sum((c.claim.amount_paid for c in declared), Decimal("0.00"))
    before = sum((c.paid_before_reopening for c in declared), Decimal("0.00"))
    return {
        "as_of": as_of.isoformat(),
        "claims": len(declared),
        "open_claims": len(not_finished),
        "by_status": dict(Counter(c.claim.status.value for c in declared)),
        "by_contract": dict(Counter(c.claim.contract for c in declared)),
        "status_groups": {
            "in_progress": len(declared) - awaiting - finished,
            "awaiting_closure": awaiting,
            "closed": finished,
        },
        "ageing": ageing,
        "sla": sla,
        "breached_clocks": sum(states["breached"] for states in sla.values()),
        "at_risk_clocks": sum(states["at_risk"] for states in sla.values()),
        "open_complaints": sum(
            1
            for c in declared
            for complaint in c.claim.complaints
            if complaint.answered_on is None
            or (complaint.escalated_on is not None and complaint.recours_answered_on is None)
        ),
        "open_mediations": sum(
            1
            for c in declared
            if c.claim.mediation is not None and c.claim.mediation.decided_on is None
        ),
        "complaint_stages": {
            stage: sum(
                1
                for c in claims
                for e in c.events
                if isinstance(e, kind) and business_date(e) <= as_of
            )
            for stage, kind in STAGE_EVENTS.items()
        },
        "indemnities": {
            "accepted": _money(
                sum((c.indemnity.total for c in current if c.indemnity), Decimal("0.00"))
            ),
            "paid": _money(paid),
            "paid_on_current_acceptances": _money(paid - before),
            "paid_before_reopening": _money(before),
            "accepted_this_month": _money(
                sum(
                    (
                        c.indemnity.total
                        for c in current
                        if c.indemnity and c.decided_on and month_start <= c.decided_on <= as_of
                    ),
                    Decimal("0.00"),
                )
            ),
            "paid_this_month": _money(
                sum(
                    (
                        amount
                        for c in claims
                        for on, amount in c.payments
                        if month_start <= on <= as_of
                    ),
                    Decimal("0.00"),
                )
            ),
        },
        "money": scanned_money(claims, as_of),
    }


def scanned_money(claims: list[ScannedClaim], as_of: date) -> dict[str, Any]:
    """The money tiles: each claim folded from its facts dated up to the day."""
    reserve = Decimal("0.00")
    paid_months: Counter[str] = Counter()
    recovered_months: Counter[str] = Counter()
    incurred: dict[str, Decimal] = {}
    for c in claims:
        if c.claim.declared_on > as_of:
            continue
        then = c.as_of(as_of)
        reserve += then.reserve
        cost = then.amount_paid + then.reserve - then.amount_recovered
        incurred[then.contract] = incurred.get(then.contract, Decimal("0.00")) + cost
        for on, amount in c.payments:
            if on <= as_of:
                paid_months[on.isoformat()[:7]] += int(amount * 100)
        for r in then.recoveries:
            if r.received_on is not None and r.received_amount is not None:
                recovered_months[r.received_on.isoformat()[:7]] += int(r.received_amount * 100)
    return {
        "outstanding_reserve": _money(reserve),
        "paid_by_month": {m: _money(Decimal(v) / 100) for m, v in sorted(paid_months.items()) if v},
        "recovered_by_month": {
            m: _money(Decimal(v) / 100) for m, v in sorted(recovered_months.items()) if v
        },
        "incurred_by_contract": {k: _money(v) for k, v in sorted(incurred.items())},
    }


def scanned_financials(
    claims: list[ScannedClaim], as_of: date, known_at: datetime | None = None
) -> dict[str, dict[str, str]]:
    """`GET /financials`' items by claim number, from the events: each claim declared by the
    day (and recorded before `known_at`), folded from its facts dated up to the day."""
    items = {}
    for c in claims:
        declared = c.events[0]
        if declared.declared_on > as_of or (
            known_at is not None and declared.timestamp >= known_at
        ):
            continue
        then = c.as_of(as_of, known_at)
        cost = then.amount_paid + then.reserve - then.amount_recovered
        items[then.claim_number] = {
            "claim_id": str(then.id),
            "claim_number": then.claim_number,
            "status": then.status.value,
            "reserve": _money(then.reserve),
            "paid": _money(then.amount_paid),
            "recovered": _money(then.amount_recovered),
            "incurred": _money(cost),
        }
    return dict(sorted(items.items()))
