"""SLA clocks, derived purely from a claim's events and evaluated as of any business date.

`clocks_as_of(events, as_of, calendar)` keeps the events whose business date is on or before
`as_of` (what had happened by then), folds them into clocks, and gives each clock its state on
that day. No timers: any past day can be reported exactly, and the read models can store the
dates and compute states at query time with `Clock.state`.

Counting conventions: docs/adr/0006-sla-clocks.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from domain.calendar import FrenchCalendar
from domain.catalogue import load_catalogue
from domain.claim import Claim
from domain.deadlines import (
    ACKNOWLEDGEMENT_WORKING_DAYS,
    ANSWER_MONTHS,
    DECLARATION_WORKING_DAYS,
    HANDLING_ONLINE_WORKING_DAYS,
    MEDIATION_REFERRAL_MONTHS,
    PAYMENT_CALENDAR_DAYS,
    PRESCRIPTION_MONTHS,
    acknowledgement_due,
    answer_due,
    declaration_due,
    handling_due,
    mediation_referral_deadline,
    payment_due,
    prescription_after_mediation,
    prescription_due,
    prescription_during_mediation,
)

HANDLING_WORKING_DAYS = HANDLING_ONLINE_WORKING_DAYS
AT_RISK_WORKING_DAYS = 2
__all__ = [
    "ACKNOWLEDGEMENT_WORKING_DAYS",
    "ANSWER_MONTHS",
    "AT_RISK_WORKING_DAYS",
    "DECLARATION_WORKING_DAYS",
    "HANDLING_WORKING_DAYS",
    "MEDIATION_REFERRAL_MONTHS",
    "PAYMENT_CALENDAR_DAYS",
    "PRESCRIPTION_MONTHS",
    "Clock",
    "ClockKind",
    "ClockState",
    "ClockStatus",
    "SlaFold",
    "business_date",
    "clocks_as_of",
    "derive_clocks",
]


class ClockKind(StrEnum):
    DECLARATION = "declaration"
    COMPLAINT_ACKNOWLEDGEMENT = "complaint_acknowledgement"
    COMPLAINT_ANSWER = "complaint_answer"
    HANDLING = "handling"
    PAYMENT = "payment"
    MEDIATION_REFERRAL = "mediation_referral"
    PRESCRIPTION = "prescription"


class ClockState(StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True)
class Clock:
    """One deadline of one claim. `key` tells clocks of the same kind apart."""

    kind: ClockKind
    key: str
    started_on: date
    due_on: date
    completed_on: date | None = None

    def state(self, as_of: date, calendar: FrenchCalendar) -> ClockState:
        """The clock's state on `as_of` (the clock must have started by then)."""
        if self.completed_on is not None and self.completed_on <= as_of:
            return ClockState.MET if self.completed_on <= self.due_on else ClockState.MISSED
        if as_of > self.due_on:
            return ClockState.BREACHED
        if calendar.working_days_between(as_of, self.due_on) <= AT_RISK_WORKING_DAYS:
            return ClockState.AT_RISK
        return ClockState.RUNNING

    def at_risk_from(self, calendar: FrenchCalendar) -> date:
        """The first day the clock is at risk (if still open): at most 2 jours ouvrés left."""
        return _at_risk_from(calendar, self.due_on)

    def spans(
        self, visible_from: date, calendar: FrenchCalendar
    ) -> list[tuple[ClockState, date, date | None]]:
        """The clock's states over time from `visible_from` on, as [start, end) spans (end None:
        for ever), each day in exactly one span with the state `state` gives for that day.
        Counting spans instead of clocks lets a read model answer "how many clocks were in
        each state on day d" from totals per day (docs/adr/0011)."""
        completed = self.completed_on
        if completed is not None:
            # `state` gives MET/MISSED from the completion day on, whatever came before.
            finished = ClockState.MET if completed <= self.due_on else ClockState.MISSED
        after_due = self.due_on + timedelta(days=1)
        at_risk = self.at_risk_from(calendar)
        timeline: list[tuple[ClockState, date, date | None]] = [
            (ClockState.RUNNING, visible_from, at_risk),
            (ClockState.AT_RISK, at_risk, after_due),
            (ClockState.BREACHED, after_due, None),
        ]
        spans: list[tuple[ClockState, date, date | None]] = []
        for state, start, end in timeline:
            start = max(start, visible_from)
            if completed is not None:
                end = completed if end is None else min(end, completed)
            if end is None or start < end:
                spans.append((state, start, end))
        if completed is not None:
            spans.append((finished, max(completed, visible_from), None))
        return spans


@lru_cache(maxsize=8192)
def _at_risk_from(calendar: FrenchCalendar, due_on: date) -> date:
    # Cached: read models ask for the same due dates over and over.
    day = due_on
    previous = day - timedelta(days=1)
    while calendar.working_days_between(previous, due_on) <= AT_RISK_WORKING_DAYS:
        day, previous = previous, previous - timedelta(days=1)
    return day


@dataclass(frozen=True)
class ClockStatus:
    clock: Clock
    state: ClockState


def business_date(domain_event: Any) -> date:
    """The business date on which a claim event happened: each event class says which."""
    day = domain_event.business_date()
    assert isinstance(day, date)
    return day


class SlaFold:
    """Builds the clocks of one claim from its events, in order; its state can be saved as
    JSON-ready data (`to_state`/`from_state`) so read models fold incrementally."""

    def __init__(self, calendar: FrenchCalendar) -> None:
        self.calendar = calendar
        self.clocks: dict[str, Clock] = {}
        self.cycle = 0  # assessment cycles: each reopening starts a new one
        self.outstanding: set[str] = set()
        self.requested = False
        # Per document requested, the earliest receipt since its latest request (ISO date):
        # the file is complete on the latest of them, whatever the order of recording.
        self.requested_docs: set[str] = set()
        self.received_since_request: dict[str, str] = {}
        self.card_insurer_required = False
        self.card_insurer_received = False
        self.assessed = False
        self.acceptances = 0
        # The payment clock (rules.md "Payment"): the current acceptance's total while it
        # stands, and the issued payments of indemnities (id -> amount, as strings).
        self.accepted_total: str | None = None
        self.issued: dict[str, str] = {}
        self.payment_restarts = 0
        self.complaint_sent: dict[str, date] = {}
        self.prescription_key = "prescription"
        self.channel = "online"
        # While a mediation runs: its referral date and the prescription date it suspended.
        self.mediation_from: date | None = None
        self.referred_on: date | None = None  # the claim's referral to mediation, if any
        self.prescription_before_mediation: date | None = None
        self.prescription_facts: list[tuple[str, int, str]] = []  # (day, version, what)

    def clock_entries(self) -> list[list[Any]]:
        """[kind, key, started, due, completed or None] per clock, dates as ISO strings."""
        return [
            [
                c.kind.value,
                c.key,
                c.started_on.isoformat(),
                c.due_on.isoformat(),
                c.completed_on.isoformat() if c.completed_on else None,
            ]
            for c in self.clocks.values()
        ]

    def to_state(self) -> dict[str, Any]:
        return {
            "clocks": self.clock_entries(),
            "cycle": self.cycle,
            "outstanding": sorted(self.outstanding),
            "requested": self.requested,
            "requested_docs": sorted(self.requested_docs),
            "received_since_request": dict(sorted(self.received_since_request.items())),
            "card_insurer_required": self.card_insurer_required,
            "card_insurer_received": self.card_insurer_received,
            "assessed": self.assessed,
            "acceptances": self.acceptances,
            "accepted_total": self.accepted_total,
            "issued": dict(sorted(self.issued.items())),
            "payment_restarts": self.payment_restarts,
            "complaint_sent": {k: v.isoformat() for k, v in self.complaint_sent.items()},
            "prescription_key": self.prescription_key,
            "channel": self.channel,
            "mediation_from": _iso(self.mediation_from),
            "referred_on": _iso(self.referred_on),
            "prescription_before_mediation": _iso(self.prescription_before_mediation),
            "prescription_facts": [list(f) for f in self.prescription_facts],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], calendar: FrenchCalendar) -> SlaFold:
        fold = cls(calendar)
        for kind, key, started, due, completed in state["clocks"]:
            fold.clocks[key] = Clock(
                ClockKind(kind),
                key,
                date.fromisoformat(started),
                date.fromisoformat(due),
                date.fromisoformat(completed) if completed else None,
            )
        fold.cycle = state["cycle"]
        fold.outstanding = set(state["outstanding"])
        fold.requested = state["requested"]
        fold.card_insurer_required = state["card_insurer_required"]
        fold.card_insurer_received = state["card_insurer_received"]
        fold.requested_docs = set(state.get("requested_docs", []))
        fold.received_since_request = dict(state.get("received_since_request", {}))
        fold.assessed = state["assessed"]
        fold.acceptances = state["acceptances"]
        fold.accepted_total = state.get("accepted_total")
        fold.issued = dict(state.get("issued", {}))
        fold.payment_restarts = state.get("payment_restarts", 0)
        fold.complaint_sent = {k: date.fromisoformat(v) for k, v in state["complaint_sent"].items()}
        fold.prescription_key = state["prescription_key"]
        # States saved before the channel and the mediation's suspension were kept.
        fold.channel = state.get("channel", "online")
        fold.mediation_from = _from_iso(state.get("mediation_from"))
        fold.referred_on = _from_iso(state.get("referred_on"))
        fold.prescription_before_mediation = _from_iso(state.get("prescription_before_mediation"))
        fold.prescription_facts = [
            (day, version, what) for day, version, what in state.get("prescription_facts", [])
        ]
        return fold

    def _indemnity_paid(self) -> bool:
        """The issued payments of indemnities reach the current acceptance's total."""
        if self.accepted_total is None:
            return False
        issued = sum((Decimal(amount) for amount in self.issued.values()), Decimal("0.00"))
        return issued >= Decimal(self.accepted_total)

    def _put(self, clock: Clock) -> None:
        self.clocks[clock.key] = clock

    def _complete(self, key: str, on: date) -> None:
        """Completed by the earliest fact that completes it, whatever the order of recording
        (an acknowledgement recorded after the answer it preceded)."""
        clock = self.clocks.get(key)
        if clock is not None and (clock.completed_on is None or on < clock.completed_on):
            self.clocks[key] = replace(clock, completed_on=on)

    def _open(self, kind: ClockKind) -> list[Clock]:
        return [c for c in self.clocks.values() if c.kind == kind and c.completed_on is None]

    def _handling_key(self) -> str:
        return f"handling#{self.cycle + 1}"

    def _received(self, document: str, on: date) -> None:
        earlier = self.received_since_request.get(document)
        if earlier is None or on.isoformat() < earlier:
            self.received_since_request[document] = on.isoformat()

    def _complete_on(self) -> date | None:
        """The day the file became complete (and the card insurer's position was in)."""
        needed = set(self.requested_docs)
        if self.card_insurer_required:
            needed.add("card_insurer_position")
        if (
            not self.requested
            or not needed
            or any(d not in self.received_since_request for d in needed)
        ):
            return None
        return date.fromisoformat(max(self.received_since_request[d] for d in needed))

    def _maybe_start_handling(self, on: date | None = None) -> None:
        """Start the cycle's handling clock on the day the file became complete (or on `on`,
        a reopening's date, for a file complete already); a receipt recorded late moves the
        start of a clock still running back to the day it made the file complete."""
        complete_on = self._complete_on()
        if complete_on is None or self.assessed:
            return
        start = on if on is not None else complete_on
        current = self.clocks.get(self._handling_key())
        if current is not None and (
            current.completed_on is not None or current.started_on <= start
        ):
            return
        self._put(
            Clock(
                ClockKind.HANDLING,
                self._handling_key(),
                start,
                handling_due(start, self.channel, self.calendar),
            )
        )

    def _restart_prescription(self, on: date) -> None:
        current = self.clocks.get(self.prescription_key)
        completed = current.completed_on if current is not None else None
        if current is not None and (
            on > current.due_on
            or on < current.started_on
            or (completed is not None and on > completed)
        ):
            # Prescribed already, or an act older than the one the clock runs from, or after
            # the claim was concluded: the act stays in the history. (An act dated before a
            # closure recorded earlier still restarts the clock the closure completed.)
            return
        due = prescription_due(on, self.calendar)
        if self.mediation_from is not None:  # suspended: the act restarts what resumes later
            self.prescription_before_mediation = due
            due = prescription_during_mediation(due, self.mediation_from, self.calendar)
        self._put(Clock(ClockKind.PRESCRIPTION, self.prescription_key, on, due, completed))

    def _suspend_prescription(self, referred_on: date) -> None:
        """Mediation suspends the prescription (Code civil 2238, rules.md "Prescription")."""
        current = self.clocks.get(self.prescription_key)
        if current is None or referred_on > current.due_on:
            return
        self.mediation_from = referred_on
        self.prescription_before_mediation = current.due_on
        if current.completed_on is not None and referred_on > current.completed_on:
            return  # referred after the claim was concluded: a reopening will carry it
        self._put(
            replace(
                current,
                due_on=prescription_during_mediation(current.due_on, referred_on, self.calendar),
            )
        )

    def _resume_prescription(self, concluded_on: date) -> None:
        current = self.clocks.get(self.prescription_key)
        referred, before = self.mediation_from, self.prescription_before_mediation
        self.mediation_from = self.prescription_before_mediation = None
        if current is None or referred is None or before is None:
            return
        if current.completed_on is not None and referred > current.completed_on:
            return
        due = prescription_after_mediation(before, referred, concluded_on, self.calendar)
        self._put(replace(current, due_on=due))

    def _reopen_prescription(self, on: date) -> None:
        """A reopened claim is pending again: a new clock runs to the same prescription date."""
        current = self.clocks.get(self.prescription_key)
        if current is None or current.completed_on is None:
            return
        self.prescription_key = f"prescription#{on.isoformat()}"
        due = current.due_on
        if self.mediation_from is not None and self.prescription_before_mediation is not None:
            due = prescription_during_mediation(
                self.prescription_before_mediation, self.mediation_from, self.calendar
            )
        self._put(Clock(ClockKind.PRESCRIPTION, self.prescription_key, on, due))

    def apply(self, e: Any) -> None:
        cal = self.calendar
        if isinstance(e, Claim.Declared):
            self._put(
                Clock(
                    ClockKind.DECLARATION,
                    "declaration",
                    e.known_on,
                    declaration_due(e.known_on, cal, _declaration_working_days(e.contract)),
                    e.declared_on,
                )
            )
            self.channel = e.channel
            self.card_insurer_required = e.card_insurer_position_required
            self._prescription_fact(e.event_date, e, "start")
        elif isinstance(e, Claim.ProofsRequested):
            self.requested = True
            self.outstanding.update(e.documents)
            self.requested_docs.update(e.documents)
            for document in e.documents:
                self.received_since_request.pop(document, None)
        elif isinstance(e, Claim.ProofReceived):
            self.outstanding.discard(e.document)
            self._received(e.document, e.received_on)
            self._maybe_start_handling()
        elif isinstance(e, Claim.CardInsurerPositionReceived):
            self.card_insurer_received = True
            self.outstanding.discard("card_insurer_position")
            self._received("card_insurer_position", e.received_on)
            self._maybe_start_handling()
        elif isinstance(e, Claim.Accepted | Claim.Refused):
            self.assessed = True
            self._complete(self._handling_key(), e.decided_on)
            self.accepted_total = None
            if isinstance(e, Claim.Accepted):
                self.accepted_total = str(e.indemnity.total)
                self.acceptances += 1
            if isinstance(e, Claim.Accepted) and e.indemnity.total > 0:
                # A payment clock only when something is owed (the > 30 days band pays 0.00).
                self._put(
                    Clock(
                        ClockKind.PAYMENT,
                        f"payment#{self.acceptances}",
                        e.decided_on,
                        payment_due(e.decided_on),
                    )
                )
        elif isinstance(e, Claim.Settled):
            self.issued[f"settled#{e.originator_version}"] = str(e.amount)
            for clock in self._open(ClockKind.PAYMENT):
                self._complete(clock.key, e.paid_on)
        elif isinstance(e, Claim.PaymentIssued) and e.kind != "supplement":
            # Stopped by the issuance that pays the acceptance in full.
            self.issued[e.payment_id] = str(e.amount)
            if self._indemnity_paid():
                for clock in self._open(ClockKind.PAYMENT):
                    self._complete(clock.key, e.issued_on)
        elif isinstance(e, Claim.PaymentFailed | Claim.PaymentReturned) and e.kind != "supplement":
            # The money did not reach the insured: a new 15-day clock from the failure.
            self.issued.pop(e.payment_id, None)
            if (
                self.accepted_total is not None
                and not self._indemnity_paid()
                and not self._open(ClockKind.PAYMENT)
            ):
                self.payment_restarts += 1
                self._put(
                    Clock(
                        ClockKind.PAYMENT,
                        f"payment#{self.acceptances}.{self.payment_restarts}",
                        e.failed_on,
                        payment_due(e.failed_on),
                    )
                )
        elif isinstance(e, Claim.Closed | Claim.Withdrawn):
            # Nothing is handled any more: the handling clock stops there.
            self._complete(self._handling_key(), business_date(e))
        elif isinstance(e, Claim.Reopened):
            self.accepted_total = None
            for clock in self._open(ClockKind.PAYMENT):  # that acceptance is superseded
                self._complete(clock.key, e.reopened_on)
            self._complete(self._handling_key(), e.reopened_on)
            self.cycle += 1
            self.assessed = False
            self._maybe_start_handling(e.reopened_on)
        elif isinstance(e, Claim.ComplaintOpened):
            cid = e.complaint_id
            self.complaint_sent[cid] = e.sent_on
            self._put(
                Clock(
                    ClockKind.COMPLAINT_ACKNOWLEDGEMENT,
                    f"{cid}:acknowledgement",
                    e.sent_on,
                    acknowledgement_due(e.sent_on, cal),
                )
            )
            self._put(
                Clock(
                    ClockKind.COMPLAINT_ANSWER,
                    f"{cid}:answer",
                    e.sent_on,
                    answer_due(e.sent_on, cal),
                )
            )
            if e.channel not in ("phone", "in_person"):
                referred = self.referred_on
                self._put(
                    Clock(
                        ClockKind.MEDIATION_REFERRAL,
                        f"{cid}:mediation",
                        e.sent_on,
                        mediation_referral_deadline(e.sent_on, cal),
                        # Recorded after a referral it precedes: that referral ends its window.
                        referred if referred is not None and e.sent_on <= referred else None,
                    )
                )
        elif isinstance(e, Claim.ComplaintAcknowledged):
            self._complete(f"{e.complaint_id}:acknowledgement", e.sent_on)
        elif isinstance(e, Claim.ComplaintAnswered):
            cid = e.complaint_id
            # An answer within the acknowledgement window also meets it (001 §3.2).
            self._complete(f"{cid}:acknowledgement", e.sent_on)
            self._complete(f"{cid}:recours" if e.recours else f"{cid}:answer", e.sent_on)
        elif isinstance(e, Claim.ComplaintEscalated):
            cid = e.complaint_id
            sent = self.complaint_sent[cid]
            # One 2-month window covers the first level and the recours together (§11).
            self._put(
                Clock(
                    ClockKind.COMPLAINT_ANSWER,
                    f"{cid}:recours",
                    sent,
                    answer_due(sent, cal),
                )
            )
        elif isinstance(e, Claim.MediationReferred):
            self.referred_on = e.referred_on
            for clock in self._open(ClockKind.MEDIATION_REFERRAL):
                if clock.started_on <= e.referred_on:  # complaints sent later are not its own
                    self._complete(clock.key, e.referred_on)
            self._prescription_fact(e.referred_on, e, "suspend")
        elif isinstance(e, Claim.MediationConcluded):
            self._prescription_fact(e.decided_on, e, "resume")
        elif isinstance(e, Claim.PrescriptionInterrupted):
            self._prescription_fact(e.interrupted_on, e, "restart")
        if isinstance(e, Claim.Closed | Claim.Withdrawn):
            # The claim is concluded within the prescription period.
            self._prescription_fact(business_date(e), e, "complete")
        elif isinstance(e, Claim.Reopened):
            self._prescription_fact(e.reopened_on, e, "reopen")

    def _prescription_fact(self, on: date, e: Any, kind: str) -> None:
        """Acts, closures, reopenings and mediation may be recorded in any order: the
        prescription clocks are derived again from those facts in business-date order (ties by
        version), so that a late record tells the same story (rules.md "Prescription")."""
        self.prescription_facts.append((on.isoformat(), e.originator_version, kind))
        self.prescription_facts.sort()
        for key in [k for k, c in self.clocks.items() if c.kind == ClockKind.PRESCRIPTION]:
            del self.clocks[key]
        self.prescription_key = "prescription"
        self.mediation_from = self.prescription_before_mediation = None
        steps: dict[str, Callable[[date], None]] = {
            "start": self._restart_prescription,
            "restart": self._restart_prescription,
            "suspend": self._suspend_prescription,
            "resume": self._resume_prescription,
            "reopen": self._reopen_prescription,
            "complete": lambda day: self._complete(self.prescription_key, day),
        }
        for day, _, step in self.prescription_facts:
            steps[step](date.fromisoformat(day))


@cache
def _declaration_working_days(contract: str) -> int:
    """The contract's declaration deadline in jours ouvrés (the lateness flag reads the same
    value at declaration); the law's 5 for a contract no longer in the catalogue."""
    terms = load_catalogue().get(contract)
    return terms.declaration_working_days if terms is not None else DECLARATION_WORKING_DAYS


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def derive_clocks(events: Iterable[Any], calendar: FrenchCalendar) -> list[Clock]:
    """Every clock of the claim, from all the given events (in their recorded order)."""
    fold = SlaFold(calendar)
    for domain_event in events:
        fold.apply(domain_event)
    return list(fold.clocks.values())


def clocks_as_of(events: Iterable[Any], as_of: date, calendar: FrenchCalendar) -> list[ClockStatus]:
    """The claim's clocks as they stood at the end of `as_of`, with their states that day."""
    known = [e for e in events if business_date(e) <= as_of]
    return [
        ClockStatus(clock, clock.state(as_of, calendar))
        for clock in derive_clocks(known, calendar)
        if clock.started_on <= as_of
    ]
