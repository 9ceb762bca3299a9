"""Complaints (§11): their receipt, acknowledgement, answer, recours, qualification and
corrective actions; referral to the mediator and his conclusion.

Part of the `Claim` aggregate (see `domain/claim/__init__.py` for how parts make one aggregate).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from domain import complaints as complaint_rules
from domain.calendar import FrenchCalendar
from domain.claim.state import ClaimState
from domain.deadlines import mediation_referral_deadline, mediation_referral_possible
from domain.errors import (
    ComplaintAlreadyAcknowledged,
    ComplaintAlreadyAnswered,
    ComplaintAlreadyEscalated,
    ComplaintNotAnswered,
    MediationAlreadyConcluded,
    MediationAlreadyReferred,
    MediationNotReferred,
    MediationPremature,
    MediationTooLate,
    MediationWithoutWrittenComplaint,
)
from domain.validation import not_before, require_code, require_text
from domain.values import (
    Complaint,
    ComplaintChannel,
    ComplaintMotive,
    ComplaintOutcome,
    CorrectiveAction,
    Mediation,
    MediationOutcome,
    RootCause,
)


class ComplaintsPart(ClaimState):
    """Complaints and mediation: allowed on closed and withdrawn claims too."""

    # ------------------------------------------------------------------ complaints (§11)

    class ComplaintOpened(Aggregate.Event):
        complaint_id: str
        sent_on: date
        received_on: date
        channel: str
        summary: str
        motive: str | None
        root_cause: str | None
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Round-1 complaints were opened unqualified."""
            state["motive"] = None
            state["root_cause"] = None

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._complaint_opened(
                complaint_id=self.complaint_id,
                sent_on=self.sent_on,
                received_on=self.received_on,
                channel=self.channel,
                summary=self.summary,
                motive=self.motive,
                root_cause=self.root_cause,
                by=self.by,
            )

    def open_complaint(
        self,
        *,
        sent_on: date,
        received_on: date,
        channel: str,
        summary: str,
        by: str,
        motive: str | None = None,
        root_cause: str | None = None,
    ) -> str:
        """Record a complaint (allowed on closed and withdrawn claims), qualified or not yet;
        returns its id."""
        code = require_code("channel", channel, ComplaintChannel)
        motive_code = None if motive is None else require_code("motive", motive, ComplaintMotive)
        cause_code = (
            None if root_cause is None else require_code("root_cause", root_cause, RootCause)
        )
        not_before("received_on", received_on, "sent_on", sent_on)
        self._after_declaration("received_on", received_on)
        complaint_id = f"{self.claim_number}-R{len(self.complaints) + 1}"
        self.trigger_event(
            self.ComplaintOpened,
            complaint_id=complaint_id,
            sent_on=sent_on,
            received_on=received_on,
            channel=code,
            summary=require_text("summary", summary),
            motive=motive_code,
            root_cause=cause_code,
            by=by,
        )
        return complaint_id

    def _complaint_opened(
        self,
        *,
        complaint_id: str,
        sent_on: date,
        received_on: date,
        channel: str,
        summary: str,
        motive: str | None,
        root_cause: str | None,
        by: str,
    ) -> None:
        self._fact(received_on, "the complaint's receipt")
        self.complaints.append(
            Complaint(
                complaint_id=complaint_id,
                sent_on=sent_on,
                received_on=received_on,
                channel=channel,
                summary=summary,
                motive=motive,
                root_cause=root_cause,
                qualified_on=received_on if motive or root_cause else None,
            )
        )

    def _update_complaint(self, updated: Complaint) -> None:
        self.complaints = [
            updated if c.complaint_id == updated.complaint_id else c for c in self.complaints
        ]

    class ComplaintAcknowledged(Aggregate.Event):
        complaint_id: str
        sent_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.sent_on

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._complaint_acknowledged(
                complaint_id=self.complaint_id, sent_on=self.sent_on, by=self.by
            )

    def acknowledge_complaint(self, *, complaint_id: str, sent_on: date, by: str) -> None:
        complaint = self.complaint(complaint_id)
        if complaint.acknowledged_on is not None:
            raise ComplaintAlreadyAcknowledged(
                f"complaint {complaint_id} was acknowledged on {complaint.acknowledged_on}",
                claim_id=self.id,
            )
        not_before("sent_on", sent_on, "the complaint's received_on", complaint.received_on)
        # Judged as of sent_on: an answer dated later was not there yet.
        if complaint.answered_on is not None and complaint.answered_on <= sent_on:
            raise ComplaintAlreadyAnswered(
                f"complaint {complaint_id} was already answered on {complaint.answered_on}",
                claim_id=self.id,
            )
        self.trigger_event(
            self.ComplaintAcknowledged, complaint_id=complaint_id, sent_on=sent_on, by=by
        )

    def _complaint_acknowledged(self, *, complaint_id: str, sent_on: date, by: str) -> None:
        self._fact(sent_on, "the complaint's acknowledgement")
        self._update_complaint(replace(self.complaint(complaint_id), acknowledged_on=sent_on))

    class ComplaintAnswered(Aggregate.Event):
        complaint_id: str
        sent_on: date
        outcome: str
        recours: bool
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.sent_on

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._complaint_answered(
                complaint_id=self.complaint_id,
                sent_on=self.sent_on,
                outcome=self.outcome,
                recours=self.recours,
                by=self.by,
            )

    def answer_complaint(self, *, complaint_id: str, sent_on: date, outcome: str, by: str) -> None:
        """Answer the complaint, or its recours when it was escalated after a first answer."""
        complaint = self.complaint(complaint_id)
        code = require_code("outcome", outcome, ComplaintOutcome)
        if complaint.answered_on is None:
            recours = False
            not_before("sent_on", sent_on, "the complaint's received_on", complaint.received_on)
            not_before("sent_on", sent_on, "the acknowledgement", complaint.acknowledged_on)
        elif complaint.escalated_on is not None and complaint.recours_answered_on is None:
            recours = True
            not_before("sent_on", sent_on, "the recours' received_on", complaint.escalated_on)
        else:
            raise ComplaintAlreadyAnswered(
                f"complaint {complaint_id} was already answered", claim_id=self.id
            )
        self.trigger_event(
            self.ComplaintAnswered,
            complaint_id=complaint_id,
            sent_on=sent_on,
            outcome=code,
            recours=recours,
            by=by,
        )

    def _complaint_answered(
        self, *, complaint_id: str, sent_on: date, outcome: str, recours: bool, by: str
    ) -> None:
        self._fact(sent_on, "the complaint's answer")
        complaint = self.complaint(complaint_id)
        if recours:
            updated = replace(complaint, recours_answered_on=sent_on, recours_outcome=outcome)
        else:
            updated = replace(complaint, answered_on=sent_on, outcome=outcome)
        self._update_complaint(updated)

    class ComplaintEscalated(Aggregate.Event):
        complaint_id: str
        received_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._complaint_escalated(
                complaint_id=self.complaint_id, received_on=self.received_on, by=self.by
            )

    def escalate_complaint(self, *, complaint_id: str, received_on: date, by: str) -> None:
        """The complainant takes the answered complaint to the second level (recours)."""
        complaint = self.complaint(complaint_id)
        if complaint.answered_on is None:
            raise ComplaintNotAnswered(
                f"complaint {complaint_id} has no first-level answer yet", claim_id=self.id
            )
        if complaint.escalated_on is not None:
            raise ComplaintAlreadyEscalated(
                f"complaint {complaint_id} was already escalated", claim_id=self.id
            )
        not_before("received_on", received_on, "the answer's sent_on", complaint.answered_on)
        if self.mediation is not None:
            # The referral judged the complaints without this recours: it cannot come before.
            not_before(
                "received_on", received_on, "the mediation referral", self.mediation.referred_on
            )
        self.trigger_event(
            self.ComplaintEscalated, complaint_id=complaint_id, received_on=received_on, by=by
        )

    def _complaint_escalated(self, *, complaint_id: str, received_on: date, by: str) -> None:
        self._fact(received_on, "the recours")
        self._update_complaint(replace(self.complaint(complaint_id), escalated_on=received_on))

    # Qualification and corrective actions (ACPR recommendation 2024-R-02: the register of
    # complaints keeps their motive, the analysis of causes and the corrective actions).
    # The rules are in domain/complaints.py.

    class ComplaintQualified(Aggregate.Event):
        complaint_id: str
        qualified_on: date
        motive: str
        root_cause: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.qualified_on

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._complaint_qualified(
                complaint_id=self.complaint_id,
                qualified_on=self.qualified_on,
                motive=self.motive,
                root_cause=self.root_cause,
                by=self.by,
            )

    def qualify_complaint(
        self, *, complaint_id: str, qualified_on: date, motive: str, root_cause: str, by: str
    ) -> None:
        """Set (or revise) the complaint's motive and root cause."""
        decision = complaint_rules.qualify(
            self.complaint(complaint_id),
            qualified_on=qualified_on,
            motive=motive,
            root_cause=root_cause,
        )
        self.trigger_event(
            self.ComplaintQualified,
            complaint_id=complaint_id,
            qualified_on=qualified_on,
            motive=decision.motive,
            root_cause=decision.root_cause,
            by=by,
        )

    def _complaint_qualified(
        self, *, complaint_id: str, qualified_on: date, motive: str, root_cause: str, by: str
    ) -> None:
        self._fact(qualified_on, "the complaint's qualification")
        self._update_complaint(
            replace(
                self.complaint(complaint_id),
                motive=motive,
                root_cause=root_cause,
                qualified_on=qualified_on,
            )
        )

    class CorrectiveActionRecorded(Aggregate.Event):
        complaint_id: str
        action_id: str
        recorded_on: date
        action: str
        owner: str
        due_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.recorded_on

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._corrective_action_recorded(
                complaint_id=self.complaint_id,
                action_id=self.action_id,
                recorded_on=self.recorded_on,
                action=self.action,
                owner=self.owner,
                due_on=self.due_on,
                by=self.by,
            )

    def record_corrective_action(
        self,
        *,
        complaint_id: str,
        recorded_on: date,
        action: str,
        owner: str,
        due_on: date,
        by: str,
    ) -> str:
        """Record an action decided after the complaint's analysis; returns its id."""
        complaint = self.complaint(complaint_id)
        complaint_rules.check_new_action(complaint, recorded_on=recorded_on, due_on=due_on)
        action_id = complaint_rules.next_action_id(complaint)
        self.trigger_event(
            self.CorrectiveActionRecorded,
            complaint_id=complaint_id,
            action_id=action_id,
            recorded_on=recorded_on,
            action=require_text("action", action),
            owner=require_text("owner", owner),
            due_on=due_on,
            by=by,
        )
        return action_id

    def _corrective_action_recorded(
        self,
        *,
        complaint_id: str,
        action_id: str,
        recorded_on: date,
        action: str,
        owner: str,
        due_on: date,
        by: str,
    ) -> None:
        self._fact(recorded_on, "the corrective action")
        complaint = self.complaint(complaint_id)
        recorded = CorrectiveAction(
            action_id=action_id, action=action, owner=owner, recorded_on=recorded_on, due_on=due_on
        )
        self._update_complaint(
            replace(
                complaint,
                corrective_actions=complaint_rules.in_order(
                    (*complaint.corrective_actions, recorded)
                ),
            )
        )

    class CorrectiveActionCompleted(Aggregate.Event):
        complaint_id: str
        action_id: str
        done_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.done_on

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._corrective_action_completed(
                complaint_id=self.complaint_id,
                action_id=self.action_id,
                done_on=self.done_on,
                by=self.by,
            )

    def complete_corrective_action(
        self, *, complaint_id: str, action_id: str, done_on: date, by: str
    ) -> None:
        """Record that the corrective action was carried out."""
        complaint_rules.check_completion(
            self.complaint(complaint_id), action_id=action_id, done_on=done_on, claim_id=self.id
        )
        self.trigger_event(
            self.CorrectiveActionCompleted,
            complaint_id=complaint_id,
            action_id=action_id,
            done_on=done_on,
            by=by,
        )

    def _corrective_action_completed(
        self, *, complaint_id: str, action_id: str, done_on: date, by: str
    ) -> None:
        self._fact(done_on, "the corrective action's completion")
        complaint = self.complaint(complaint_id)
        self._update_complaint(
            replace(
                complaint,
                corrective_actions=tuple(
                    replace(a, done_on=done_on) if a.action_id == action_id else a
                    for a in complaint.corrective_actions
                ),
            )
        )

    # ------------------------------------------------------------------ mediation (§11)

    class MediationReferred(Aggregate.Event):
        referred_on: date
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.referred_on

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._mediation_referred(referred_on=self.referred_on, by=self.by)

    def refer_to_mediation(self, *, referred_on: date, calendar: FrenchCalendar, by: str) -> None:
        """The insured refers the dispute to the Médiateur de l'Assurance. Judged as of
        `referred_on`: complaints, answers and recours dated later are not seen (rules.md
        "Mediation"; the SLA clock uses the same deadline functions)."""
        if self.mediation is not None:
            raise MediationAlreadyReferred(
                f"claim {self.claim_number} was referred on {self.mediation.referred_on}",
                claim_id=self.id,
            )
        written = [c for c in self.complaints if c.is_written and c.sent_on <= referred_on]
        if not written:
            raise MediationWithoutWrittenComplaint(
                "mediation needs a prior written complaint", claim_id=self.id
            )
        in_time = [
            c for c in written if referred_on <= mediation_referral_deadline(c.sent_on, calendar)
        ]
        if not in_time:
            raise MediationTooLate(
                "mediation must be referred within one year of the written complaint",
                claim_id=self.id,
            )
        if not any(mediation_referral_possible(c, referred_on, calendar) for c in in_time):
            raise MediationPremature(
                "internal avenues are not exhausted and the 2-month answer window is still running",
                claim_id=self.id,
            )
        self.trigger_event(self.MediationReferred, referred_on=referred_on, by=by)

    def _mediation_referred(self, *, referred_on: date, by: str) -> None:
        self._fact(referred_on, "the mediation referral")
        self.mediation = Mediation(referred_on=referred_on)

    class MediationConcluded(Aggregate.Event):
        decided_on: date
        outcome: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

        def apply(self, aggregate: ComplaintsPart) -> None:
            aggregate._mediation_concluded(
                decided_on=self.decided_on, outcome=self.outcome, by=self.by
            )

    def conclude_mediation(self, *, decided_on: date, outcome: str, by: str) -> None:
        if self.mediation is None:
            raise MediationNotReferred(
                f"claim {self.claim_number} is not in mediation", claim_id=self.id
            )
        if self.mediation.decided_on is not None:
            raise MediationAlreadyConcluded(
                f"the mediator decided on {self.mediation.decided_on}", claim_id=self.id
            )
        code = require_code("outcome", outcome, MediationOutcome)
        not_before("decided_on", decided_on, "referred_on", self.mediation.referred_on)
        self.trigger_event(self.MediationConcluded, decided_on=decided_on, outcome=code, by=by)

    def _mediation_concluded(self, *, decided_on: date, outcome: str, by: str) -> None:
        assert self.mediation is not None  # guaranteed by the command; replays follow it
        self._fact(decided_on, "the mediator's conclusion")
        self.mediation = replace(self.mediation, decided_on=decided_on, outcome=outcome)
