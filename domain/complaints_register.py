"""The register of complaints (ACPR recommendation 2024-R-02): one row per complaint, with its
motive, the analysis of its causes, its corrective actions, its delays and the clocks it
breached.

Pure: a claim's events in, rows out. A register asked as of a day sees the facts dated on or
before it (docs/rules.md "Business dates follow cause and effect"), so the same question gives
the same rows until a fact is recorded late.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.calendar import FrenchCalendar, WorkingDays
from domain.claim import Claim
from domain.sla import ClockKind, ClockState, business_date, clocks_as_of
from domain.values import Complaint

# The insurer's own deadlines on a complaint; the mediation referral window is the
# complainant's, not a breach of the insurer's.
_CLOCKS = (ClockKind.COMPLAINT_ACKNOWLEDGEMENT, ClockKind.COMPLAINT_ANSWER)
_LATE = (ClockState.BREACHED, ClockState.MISSED)

COLUMNS = (
    "complaint_id",
    "claim_number",
    "sent_on",
    "received_on",
    "channel",
    "motive",
    "root_cause",
    "acknowledged_on",
    "answered_on",
    "outcome",
    "escalated_on",
    "days_to_acknowledge",
    "days_to_answer",
    "breaches",
    "mediation_referred_on",
    "corrective_actions",
)


def _fold(events: Sequence[Any]) -> Claim:
    claim = events[0].mutate(None)
    assert isinstance(claim, Claim)
    for domain_event in events[1:]:
        domain_event.apply(claim)
    return claim


def register_rows(
    events: Sequence[Any],
    *,
    received_from: date,
    received_to: date,
    as_of: date,
    calendar: FrenchCalendar,
) -> list[dict[str, Any]]:
    """The rows of the claim's complaints received in [received_from, received_to], as of
    `as_of` (at least `received_to`), in complaint order."""
    known = [e for e in events if business_date(e) <= as_of]
    if not known:
        return []
    claim = _fold(known)
    statuses = clocks_as_of(known, as_of, calendar)
    rows = []
    for complaint in claim.complaints:
        if not received_from <= complaint.received_on <= received_to:
            continue
        prefix = f"{complaint.complaint_id}:"
        late = {
            s.clock.kind
            for s in statuses
            if s.clock.key.startswith(prefix) and s.clock.kind in _CLOCKS and s.state in _LATE
        }
        rows.append(
            _row(
                claim,
                complaint,
                calendar,
                breaches=[kind.value for kind in _CLOCKS if kind in late],
            )
        )
    return rows


def _row(
    claim: Claim, complaint: Complaint, calendar: FrenchCalendar, *, breaches: list[str]
) -> dict[str, Any]:
    # Both clocks run from the day the complainant sent the complaint (docs/rules.md
    # "Complaints"): the delays are counted from there too.
    start = complaint.sent_on
    acknowledged = complaint.acknowledged_on
    answered = complaint.answered_on
    referred = claim.mediation.referred_on if claim.mediation is not None else None
    return {
        "complaint_id": complaint.complaint_id,
        "claim_number": claim.claim_number,
        "sent_on": complaint.sent_on,
        "received_on": complaint.received_on,
        "channel": complaint.channel,
        "motive": complaint.motive,
        "root_cause": complaint.root_cause,
        "acknowledged_on": acknowledged,
        "answered_on": answered,
        "outcome": complaint.outcome,
        "escalated_on": complaint.escalated_on,
        "days_to_acknowledge": None
        if acknowledged is None
        else calendar.working_days_between(start, acknowledged, WorkingDays.OUVRABLES),
        "days_to_answer": None if answered is None else (answered - start).days,
        "breaches": breaches,
        # The referral concerns the complaints sent on or before it.
        "mediation_referred_on": referred
        if referred is not None and complaint.sent_on <= referred
        else None,
        "corrective_actions": [
            {
                "action_id": a.action_id,
                "action": a.action,
                "owner": a.owner,
                "due_on": a.due_on,
                "done_on": a.done_on,
            }
            for a in complaint.corrective_actions
        ],
    }
