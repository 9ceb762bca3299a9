"""Rules of a complaint's qualification and corrective actions (ACPR recommendation
2024-R-02: the register keeps each complaint's motive, the analysis of its causes and the
corrective actions decided, even when handling is delegated).

Pure functions over `Complaint` values: the `Claim` aggregate calls them before recording.
The causal dates follow docs/rules.md "Business dates follow cause and effect" (the table of
docs/adr/0014-causal-business-dates.md): a qualification not before the complaint's receipt
nor before the qualification it revises; an action not before the complaint's receipt, due
not before it is recorded; a completion not before the action's record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.errors import CorrectiveActionAlreadyCompleted, UnknownCorrectiveAction
from domain.validation import not_before, require_code
from domain.values import Complaint, ComplaintMotive, CorrectiveAction, RootCause


@dataclass(frozen=True)
class Qualification:
    motive: str
    root_cause: str


def qualify(
    complaint: Complaint, *, qualified_on: date, motive: str, root_cause: str
) -> Qualification:
    """Check a (re)qualification; its codes as stored."""
    decision = Qualification(
        motive=require_code("motive", motive, ComplaintMotive),
        root_cause=require_code("root_cause", root_cause, RootCause),
    )
    not_before("qualified_on", qualified_on, "the complaint's received_on", complaint.received_on)
    not_before("qualified_on", qualified_on, "the previous qualification", complaint.qualified_on)
    return decision


def check_new_action(complaint: Complaint, *, recorded_on: date, due_on: date) -> None:
    not_before("recorded_on", recorded_on, "the complaint's received_on", complaint.received_on)
    not_before("due_on", due_on, "recorded_on", recorded_on)


def next_action_id(complaint: Complaint) -> str:
    """`<complaint id>-A<n>`, numbered per complaint from 1, never reused."""
    return f"{complaint.complaint_id}-A{len(complaint.corrective_actions) + 1}"


def _number(action: CorrectiveAction) -> int:
    return int(action.action_id.rsplit("-A", 1)[1])


def in_order(actions: Iterable[CorrectiveAction]) -> tuple[CorrectiveAction, ...]:
    """The complaint's actions by number, whatever order their records are folded in."""
    return tuple(sorted(actions, key=_number))


def check_completion(
    complaint: Complaint, *, action_id: str, done_on: date, claim_id: UUID
) -> None:
    action = complaint.corrective_action(action_id)
    if action is None:
        raise UnknownCorrectiveAction(
            f"no corrective action {action_id!r} on complaint {complaint.complaint_id}",
            claim_id=claim_id,
        )
    if action.done_on is not None:
        raise CorrectiveActionAlreadyCompleted(
            f"corrective action {action_id} was completed on {action.done_on}",
            claim_id=claim_id,
        )
    not_before("done_on", done_on, "the action's recorded_on", action.recorded_on)
