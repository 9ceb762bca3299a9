"""The notification policy: reads the stored log after its own position and asks for the
notifications the declarant is owed (api.md v2 §5 "Trigger → template").

It reads through the event-log port, as the projection runner does, and keeps its position in
the read-model database (`notification_positions`). A notification is recorded in the event
store before the position moves past its trigger; after a crash in between, the trigger is
read again and asks for the same notification, whose id (a uuid5 of trigger, template, channel
and reminder day) the store already holds: requested once, whatever happens.

Who receives it is the claim's declarant, by e-mail and/or SMS (one notification per channel);
a claim without a declarant gets none. `recipients` is that look-up, given by the wiring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import structlog

from domain.claim import Claim
from domain.notification import Channel, Template
from infra.notification_index import ProofRequest
from projections.event_log import EventLog
from services.application import ClaimsApplication
from services.notifications.service import Notifications, Recipient

log = structlog.get_logger(__name__)
POLICY_NAME = "policy"
BATCH_SIZE = 200
# The events that may follow a declaration in its own save (a portal declaration's access code
# and automatic proof request): they belong to the receipt, not to notifications of their own.
DECLARATION_FOLLOW_UPS = ("AccessCodeIssued", "ProofsRequested")
FOLLOW_UP_VERSIONS = (2, 3, 4)

# What the reminders' table learns from an event: a proof request, or (claim id, complete?).
ProofChange = ProofRequest | tuple[str, bool]
# Who to notify for a claim: (channel, recipient) pairs; empty: nobody.
RecipientLookup = Callable[[Claim], Sequence[tuple[Channel, Recipient]]]


@dataclass(frozen=True)
class Wanted:
    """A notification the policy asks for."""

    template: Template
    params: dict[str, Any]


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


class NotificationPolicy:
    """Declared, ProofsRequested, proofs complete, decisions, payments and complaint letters ->
    NotificationRequested, one per channel of the declarant."""

    def __init__(
        self,
        event_log: EventLog,
        app: ClaimsApplication,
        notifications: Notifications,
        recipients: RecipientLookup,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.event_log = event_log
        self.app = app
        self.notifications = notifications
        self.index = notifications.index
        self.recipients = recipients
        self.batch_size = batch_size

    def position(self) -> int:
        return self.index.position(POLICY_NAME)

    def run_once(self) -> int:
        """One batch of the log; returns the notifications of the log read (0: caught up)."""
        read = self.event_log.read(start=self.position() + 1, limit=self.batch_size)
        if not read.count:
            return 0
        proofs: list[ProofChange] = []  # in log order: a request, completed, reopened
        for _position, event in read.events:
            for wanted in self._wanted(event, proofs):
                self._request(event, wanted)
        with self.index.store.transaction() as tx:
            for change in proofs:
                if isinstance(change, ProofRequest):
                    self.index.track_proof_request(change, tx)
                elif change[1]:
                    self.index.proofs_completed(change[0], tx)
                else:
                    self.index.proofs_reopened(change[0], tx)
            self.index.save_position(POLICY_NAME, read.last, tx)
        return read.count

    def catch_up(self) -> None:
        while self.run_once():
            pass

    # ------------------------------------------------------------------ what an event asks

    def _wanted(self, event: Any, proofs: list[ProofChange]) -> list[Wanted]:
        kind = type(event).__name__
        claim_id: UUID = event.originator_id
        version: int = event.originator_version
        if kind == "Declared":
            return [self._receipt(event)]
        if kind == "ProofsRequested":
            trigger = f"{claim_id}:{version}"
            proofs.append(ProofRequest(str(claim_id), trigger, event.requested_on))
            if self._part_of_declaration(claim_id, version):
                return []
            return [
                Wanted(
                    Template.PROOFS_REQUESTED,
                    {"proofs": list(event.documents), "requested_on": _day(event.requested_on)},
                )
            ]
        if kind == "AccessCodeIssued":
            if self._part_of_declaration(claim_id, version):
                return []  # the receipt carries it
            return [Wanted(Template.ACCESS_CODE, {"access_code_ref": str(event.code_hash)})]
        if kind == "DocumentRejected":
            proofs.append((str(claim_id), False))
            return []
        if kind == "ProofReceived" or hasattr(event, "proof_code"):
            if self._completes_proofs(event):
                proofs.append((str(claim_id), True))
                return [Wanted(Template.PROOFS_COMPLETE, {})]
            return []
        if kind == "Accepted":
            total = str(event.indemnity.total)
            return [Wanted(Template.DECISION, {"decision": "accepted", "amount": total})]
        if kind == "Refused":
            return [Wanted(Template.DECISION, {"decision": "refused", "amount": None})]
        if kind in ("PaymentIssued", "Settled"):
            on = event.issued_on if kind == "PaymentIssued" else event.paid_on
            return [
                Wanted(Template.PAYMENT_ISSUED, {"amount": str(event.amount), "paid_on": _day(on)})
            ]
        if kind == "ComplaintAcknowledged":
            return [Wanted(Template.COMPLAINT_ACKNOWLEDGEMENT, {"sent_on": _day(event.sent_on)})]
        if kind == "ComplaintAnswered":
            return [Wanted(Template.COMPLAINT_ANSWER, {"sent_on": _day(event.sent_on)})]
        return []

    def _follow_ups(self, declared: Any) -> list[Any]:
        """The access code and proof request saved with the declaration: the events right
        after it, of the same actor and day (a portal declaration's)."""
        found = []
        events = self.event_log.claim_events(declared.originator_id, FOLLOW_UP_VERSIONS)
        for event in events:
            on = getattr(event, "issued_on", None) or getattr(event, "requested_on", None)
            if (
                type(event).__name__ not in DECLARATION_FOLLOW_UPS
                or getattr(event, "by", None) != declared.by
                or on != declared.declared_on
            ):
                break
            found.append(event)
        return found

    def _receipt(self, declared: Any) -> Wanted:
        code_hash: str | None = None
        proofs: list[str] = []
        for event in self._follow_ups(declared):
            if type(event).__name__ == "AccessCodeIssued":
                code_hash = str(event.code_hash)
            else:
                proofs += [d for d in event.documents if d not in proofs]
        return Wanted(
            Template.DECLARATION_RECEIPT,
            {
                "declared_on": _day(declared.declared_on),
                "access_code_ref": code_hash,
                "proofs": proofs,
            },
        )

    def _part_of_declaration(self, claim_id: UUID, version: int) -> bool:
        if version not in FOLLOW_UP_VERSIONS:
            return False
        (declared,) = self.event_log.claim_events(claim_id, [1])
        return any(e.originator_version == version for e in self._follow_ups(declared))

    def _completes_proofs(self, event: Any) -> bool:
        """True when the claim's proofs were incomplete before this event and complete after."""
        claim_id, version = event.originator_id, event.originator_version
        before = self.app.get_claim(claim_id, version=version - 1)
        after = self.app.get_claim(claim_id, version=version)
        return not before.proofs_complete and after.proofs_complete

    # ------------------------------------------------------------------ recording

    def _request(self, event: Any, wanted: Wanted) -> None:
        claim_id: UUID = event.originator_id
        claim = self.app.get_claim(claim_id)
        params = {"claim_number": claim.claim_number, **wanted.params}
        for channel, recipient in self.recipients(claim):
            nid, created = self.notifications.request(
                template=wanted.template,
                channel=channel,
                recipient=recipient,
                params=params,
                trigger=f"{claim_id}:{event.originator_version}",
                trigger_type=type(event).__name__,
                claim_id=claim_id,
            )
            if created:
                log.info(
                    "notification.requested",
                    notification_id=str(nid),
                    claim_id=str(claim_id),
                    template=wanted.template.value,
                    channel=channel.value,
                )


def no_recipients(_claim: Claim) -> Sequence[tuple[Channel, Recipient]]:
    """Before claims had declarants: nobody to notify."""
    return ()
