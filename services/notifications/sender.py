"""The sender behind `claims notify`: renders each requested notification, delivers it (SMTP or
the SMS gateway), retries with back-off (projections/retry.py) and reports the outcome, which
records NotificationSent or NotificationFailed (docs/adr/0034-notifications.md).

It also computes the proof reminders: a claim whose proofs are still missing 15 or 30 days
after its latest proof request, as of the day it is given, is owed a `proofs_reminder`,
recorded like every notification (its id names the request and the day: once per day).

The access code of a declaration receipt is read from the outbox when the message is rendered
and removed once every message carrying it was sent ("kept only until it is sent").
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import UUID

import structlog

from domain.claim import Claim
from domain.notification import (
    REMINDER_DAYS,
    Channel,
    NotificationState,
    Outcome,
    Template,
)
from domain.values import ClaimStatus
from projections.retry import Backoff, attempts, exponential
from services.notifications.policy import RecipientLookup
from services.notifications.render import Renderer
from services.notifications.service import Notifications
from services.notifications.transports import DeliveryError, Transport

log = structlog.get_logger(__name__)
SENDER_ACTOR = "notifier"
# A claim past these gets no reminder any more (nothing left to prove, or nothing to decide).
NO_REMINDER = frozenset(
    {
        ClaimStatus.ACCEPTED,
        ClaimStatus.REFUSED,
        ClaimStatus.SETTLED,
        ClaimStatus.CLOSED,
        ClaimStatus.WITHDRAWN,
    }
)


class AccessCodes(Protocol):
    """The plaintext access codes waiting to be sent (infra/access_code_outbox.py)."""

    def get(self, claim_id: UUID, code_hash: str) -> str | None: ...

    def remove(self, claim_id: UUID, code_hash: str) -> None: ...


class Reporter(Protocol):
    def report(self, nid: UUID, outcome: Outcome, at: datetime, reason: str | None) -> None: ...


class DirectReporter:
    """In the same process as the store: the application's own method, as the API calls it."""

    def __init__(self, notifications: Notifications, actor: str = SENDER_ACTOR) -> None:
        self.notifications = notifications
        self.actor = actor

    def report(self, nid: UUID, outcome: Outcome, at: datetime, reason: str | None) -> None:
        self.notifications.report(nid, outcome=outcome, at=at, reason=reason, by=self.actor)


class HttpReporter:
    """Through the API: `POST /api/v1/notifications/{nid}/delivery` with a notifier token."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def report(self, nid: UUID, outcome: Outcome, at: datetime, reason: str | None) -> None:
        body = {"outcome": outcome.value, "at": at.isoformat(), "reason": reason}
        request = urllib.request.Request(  # noqa: S310 - the configured API's URL
            f"{self.base_url}/api/v1/notifications/{nid}/delivery",
            data=json.dumps(body).encode(),
            method="POST",
        )
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 409:  # already reported otherwise: the store keeps the first
                log.warning("notification.already_reported", notification_id=str(nid))
                return
            raise


class Sender:
    """Delivers the requested notifications and records what became of them."""

    def __init__(
        self,
        notifications: Notifications,
        transports: Mapping[Channel, Transport],
        reporter: Reporter,
        recipients: RecipientLookup,
        *,
        access_codes: AccessCodes | None = None,
        renderer: Renderer | None = None,
        clock: Callable[[], datetime],
        attempts: int = 4,
        backoff: Backoff | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.notifications = notifications
        self.index = notifications.index
        self.transports = transports
        self.reporter = reporter
        self.recipients = recipients
        self.access_codes = access_codes
        self.renderer = renderer or Renderer()
        self.clock = clock
        self.attempts = attempts
        self.backoff = backoff or exponential(0.5, cap=60.0)
        self.sleep = sleep

    # ------------------------------------------------------------------ delivery

    def run_once(self, *, as_of: date, limit: int = 100) -> int:
        """Record the reminders due as of `as_of`, then deliver what is pending; returns the
        notifications delivered or failed."""
        self.remind(as_of)
        return self.deliver_pending(limit)

    def deliver_pending(self, limit: int = 100) -> int:
        """Deliver the oldest notifications still requested (read from the store)."""
        done = 0
        for row in self.index.pending(limit):
            if self.deliver(UUID(row.notification_id)) is not None:
                done += 1
        return done

    def deliver(self, nid: UUID) -> Outcome | None:
        """Send one notification if it is still requested; None: nothing to do (already
        reported, or no transport configured for its channel)."""
        notification = self.notifications.get(nid)
        if notification.state != NotificationState.REQUESTED:
            self.index.set_state(str(nid), notification.state.value)
            return None
        channel = Channel(notification.channel)
        transport = self.transports.get(channel)
        if transport is None:
            log.warning("notification.no_transport", notification_id=str(nid), channel=channel)
            return None
        opened = self.notifications.open(notification)
        code_ref = opened.params.get("access_code_ref")
        code = None
        if code_ref and self.access_codes is not None:
            code = self.access_codes.get(notification.claim_id, str(code_ref))
        message = self.renderer.render(
            Template(notification.template),
            name=opened.recipient.name,
            params=opened.params,
            access_code=code,
        )
        reason = "not attempted"
        for attempt in attempts(self.attempts, self.backoff, sleep=self.sleep):
            try:
                transport.send(opened.recipient, message)
            except DeliveryError as exc:
                reason = exc.reason
                log.warning(
                    "notification.attempt_failed",
                    notification_id=str(nid),
                    attempt=attempt + 1,
                    reason=reason,
                )
                continue
            self.reporter.report(nid, Outcome.SENT, self.clock(), None)
            log.info("notification.sent", notification_id=str(nid), channel=channel.value)
            if code_ref and self.access_codes is not None:
                self._forget_code(notification.claim_id, notification.trigger, str(code_ref), nid)
            return Outcome.SENT
        self.reporter.report(nid, Outcome.FAILED, self.clock(), reason)
        log.warning("notification.failed", notification_id=str(nid), reason=reason)
        return Outcome.FAILED

    def _forget_code(self, claim_id: UUID, trigger: str, code_ref: str, sent: UUID) -> None:
        """Remove the code once no message of its receipt waits any more."""
        waiting = [
            row
            for row in self.index.for_claim(str(claim_id))
            if row.trigger_event == trigger
            and row.state == NotificationState.REQUESTED.value
            and row.notification_id != str(sent)
        ]
        if not waiting and self.access_codes is not None:
            self.access_codes.remove(claim_id, code_ref)

    # ------------------------------------------------------------------ reminders

    def remind(self, as_of: date) -> int:
        """Request the proof reminders due as of `as_of`; returns those newly recorded."""
        recorded = 0
        first = timedelta(days=REMINDER_DAYS[0])
        for request in self.index.open_proof_requests(as_of - first):
            claim = self.notifications.app.get_claim(UUID(request.claim_id))
            if claim.proofs_complete or claim.status in NO_REMINDER:
                self.index.proofs_completed(request.claim_id)
                continue
            if not claim.proofs_outstanding:
                continue
            due = [d for d in REMINDER_DAYS if request.requested_on + timedelta(days=d) <= as_of]
            recorded += self._remind(claim, request.trigger_event, due[-1])
        return recorded

    def _remind(self, claim: Claim, trigger: str, day: int) -> int:
        recorded = 0
        params = {
            "claim_number": claim.claim_number,
            "proofs": list(claim.proofs_outstanding),
            "reminder_day": day,
        }
        for channel, recipient in self.recipients(claim):
            _, created = self.notifications.request(
                template=Template.PROOFS_REMINDER,
                channel=channel,
                recipient=recipient,
                params=params,
                trigger=trigger,
                trigger_type="ProofsRequested",
                claim_id=claim.id,
                reminder_day=day,
                by=SENDER_ACTOR,
            )
            recorded += created
        return recorded
