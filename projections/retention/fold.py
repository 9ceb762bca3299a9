"""Retention of each claim's personal data: when it may be erased, and what holds it.

Per claim: its subjects (the insured persons' and the declarant's ids), the subjects erased,
the closure (or withdrawal) day, the end of the prescription (the SLA fold's prescription
clock: two years from the event or the last interrupting act, suspended by a mediation), and
the holds (an open complaint, a mediation not concluded). The period after the prescription is
a setting, applied by the query (`queries.py`): the rows hold no personal data, only ids,
dates and the holds' ids.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import FrenchCalendar
from domain.claim import Claim
from domain.sla import ClockKind
from projections.base import Projection, Row, State, Table
from projections.sla.fold import SlaClaim, fold_sla, freeze_sla, thaw_sla

RETENTION = Table(
    "retention",
    (
        ("claim_id", "TEXT NOT NULL"),
        ("claim_number", "TEXT NOT NULL"),
        ("subject_ids", "TEXT NOT NULL"),  # JSON list
        ("erased_subject_ids", "TEXT NOT NULL"),  # JSON list
        ("erased", "INTEGER NOT NULL"),  # every subject erased
        ("closed_on", "TEXT"),  # closure or withdrawal; NULL while the claim is open
        ("prescription_end", "TEXT"),
        ("basis_on", "TEXT"),  # max(closed_on, prescription_end); NULL while open
        ("holds", "TEXT NOT NULL"),  # JSON list: "complaint <id>", "mediation"
        ("held", "INTEGER NOT NULL"),
    ),
    ("claim_id",),
    (("claim_number",), ("basis_on",)),
)


def _subjects(event: Any) -> list[str]:
    ids = [str(p.subject_id) for p in event.insured if getattr(p, "subject_id", None)]
    declarant = getattr(event, "declarant", None)
    if declarant is not None:
        ids.append(str(declarant.subject_id))
    return ids


def fold_retention(state: State | None, event: Any, calendar: FrenchCalendar) -> State | None:
    """The claim's retention facts after one event (`state` is changed in place)."""
    kind = type(event).__name__
    e: Any = event
    if isinstance(event, Claim.Declared):
        state = {
            "claim_number": e.claim_number,
            "subject_ids": _subjects(e),
            "erased": [],
            "closed_on": None,
            "complaints": {},
            "mediation": None,
            "sla": None,
        }
    elif state is None or not isinstance(event, Claim.Event):
        return None
    state["sla"] = fold_sla(state["sla"], event, calendar)
    if kind == "Closed":
        state["closed_on"] = e.closed_on.isoformat()
    elif kind == "Withdrawn":
        state["closed_on"] = e.withdrawn_on.isoformat()
    elif kind == "Reopened":
        state["closed_on"] = None
    elif kind in ("ComplaintOpened", "ComplaintEscalated"):
        state["complaints"] = {**state["complaints"], e.complaint_id: "open"}
    elif kind == "ComplaintAnswered":
        state["complaints"] = {**state["complaints"], e.complaint_id: "answered"}
    elif kind == "MediationReferred":
        state["mediation"] = "open"
    elif kind == "MediationConcluded":
        state["mediation"] = "concluded"
    elif kind == "PersonalDataErased":
        state["erased"] = [*state["erased"], *(str(s) for s in e.subject_ids)]
    return state


def holds_of(state: State) -> list[str]:
    holds = [f"complaint {c}" for c, s in sorted(state["complaints"].items()) if s == "open"]
    return holds + (["mediation"] if state["mediation"] == "open" else [])


def prescription_end(sla: SlaClaim | None) -> str | None:
    if sla is None:
        return None
    ends = [
        c.due_on.isoformat() for c in sla.fold.clocks.values() if c.kind == ClockKind.PRESCRIPTION
    ]
    return max(ends) if ends else None


class RetentionProjection(Projection):
    name: ClassVar[str] = "retention"
    tables: ClassVar[tuple[Table, ...]] = (RETENTION,)

    def __init__(self, calendar: FrenchCalendar) -> None:
        self.calendar = calendar

    def fold(self, state: State | None, event: Any, position: int) -> State | None:
        return fold_retention(state, event, self.calendar)

    def thaw(self, stored: State) -> State:
        sla = stored.get("sla")
        return {**stored, "sla": None if sla is None else thaw_sla(sla, self.calendar)}

    def freeze(self, state: State) -> State:
        sla = state.get("sla")
        return {**state, "sla": None if sla is None else freeze_sla(sla)}

    def rows(self, claim_id: UUID, state: State) -> dict[str, list[Row]]:
        closed_on = state["closed_on"]
        ends = prescription_end(state["sla"])
        basis = None if closed_on is None else max(d for d in (closed_on, ends) if d)
        subjects, erased = state["subject_ids"], state["erased"]
        holds = holds_of(state)
        return {
            "retention": [
                (
                    str(claim_id),
                    state["claim_number"],
                    json.dumps(subjects),
                    json.dumps(erased),
                    int(bool(erased) and set(subjects) <= set(erased)),
                    closed_on,
                    ends,
                    basis,
                    json.dumps(holds),
                    int(bool(holds)),
                )
            ]
        }
