"""A random but reproducible workload of commands over many claims."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from domain.errors import ClaimError
from domain.notification import Channel, Notification, Outcome, Template
from domain.values import AssessmentInputs, FeeInput
from services.application import ClaimsApplication
from tests.domain.gwt import declaration


def random_workload(
    app: ClaimsApplication, *, claims: int, commands: int, seed: int, receipts: bool = True
) -> int:
    """Declare `claims` claims, then run commands until `commands` in all; returns how many
    were accepted by the rules. With `receipts`, every third claim's declaration receipts are
    recorded too (notifications: their own streams)."""
    rng = random.Random(seed)
    ids: list[UUID] = []
    complaints: dict[UUID, list[str]] = {}
    accepted = 0
    for _ in range(claims):
        ids.append(app.declare(declaration(), by="h0").id)
        accepted += 1
    base = date(2026, 3, 5)
    # The first claim is paid in part and waits for a manager's approval of the rest (400.00
    # over the requester's limit): every table of the read models has rows.
    _accept(app, random.Random(0), ids[0], base, "h0")
    for amount in ("100.00", "400.00"):
        app.request_payment(
            ids[0],
            payee="Jeanne Martin",
            amount=Decimal(amount),
            kind="partial",
            mode="transfer",
            requested_on=base,
            iban=IBAN,
            reason=None,
            by="h0",
            authority=Decimal("300.00"),
        )
    # Declaration receipts (their own streams) for every third claim: sent by SMS, the e-mail
    # failed or still pending, so the reporting read model's receipts have rows.
    for number, claim_id in enumerate(ids[::3] if receipts else []):
        _receipts(app, claim_id, base, failed=number % 2 == 1)
    for n in range(commands - claims):
        claim_id = rng.choice(ids)
        day = base + timedelta(days=n // 10)
        by = f"h{rng.randint(1, 4)}"
        choice = rng.randrange(21)
        try:
            if choice == 0:
                app.request_proofs(
                    claim_id, documents=["cancellation_invoice"], requested_on=day, by=by
                )
            elif choice == 1:
                app.receive_proof(claim_id, document="cancellation_invoice", received_on=day, by=by)
            elif choice == 2:
                fees = (FeeInput("Jeanne Martin", Decimal(rng.randint(100, 1200))),)
                app.accept(claim_id, decided_on=day, inputs=AssessmentInputs(fees=fees), by=by)
            elif choice == 3:
                app.refuse(claim_id, decided_on=day, reason="excluded", by=by)
            elif choice == 4:
                app.settle(claim_id, paid_on=day, mode="cash", reference=f"V{n}", by=by)
            elif choice == 5:
                app.close_claim(claim_id, closed_on=day, by=by)
            elif choice == 6:
                app.withdraw(claim_id, withdrawn_on=day, by=by)
            elif choice == 7:
                app.reopen(claim_id, reopened_on=day, reason="review", by=by)
            elif choice == 8:
                _, cid = app.open_complaint(
                    claim_id,
                    sent_on=day,
                    received_on=day,
                    channel=rng.choice(["email", "phone", "letter"]),
                    summary="unhappy",
                    by=by,
                )
                complaints.setdefault(claim_id, []).append(cid)
            elif choice in (9, 10, 11) and complaints.get(claim_id):
                cid = rng.choice(complaints[claim_id])
                if choice == 9:
                    app.acknowledge_complaint(claim_id, complaint_id=cid, sent_on=day, by=by)
                elif choice == 10:
                    app.answer_complaint(
                        claim_id, complaint_id=cid, sent_on=day, outcome="rejected", by=by
                    )
                else:
                    app.escalate_complaint(claim_id, complaint_id=cid, received_on=day, by=by)
            elif choice == 12:
                app.refer_to_mediation(claim_id, referred_on=day + timedelta(days=70), by=by)
            elif choice == 13:
                app.assign_handler(
                    claim_id, handler=rng.choice(["marie", "paul"]), assigned_on=day, by="manager"
                )
            elif choice == 14:
                app.add_note(claim_id, text="called", noted_on=day, by=by)
            else:
                _money(app, rng, choice, claim_id, day, by, n)
        except ClaimError:
            continue
        accepted += 1
    return accepted


IBAN = "FR76 3000 6000 0112 3456 7890 189"


def _receipts(app: ClaimsApplication, claim_id: UUID, day: date, *, failed: bool) -> None:
    """The claim's declaration receipt by SMS (sent) and e-mail (failed, or left requested),
    recorded as the notification service records them (recipient and parameters sealed)."""
    at = datetime.combine(day, time(10), tzinfo=UTC)
    for channel in (Channel.SMS, Channel.EMAIL):
        notification = Notification.request(
            template=Template.DECLARATION_RECEIPT,
            channel=channel,
            recipient="sealed",
            params="sealed",
            trigger=f"{claim_id}:1",
            trigger_type="Declared",
            claim_id=claim_id,
            reminder_day=None,
            by="notifications",
        )
        if channel == Channel.SMS:
            notification.report(outcome=Outcome.SENT, at=at, reason=None, by="notifier")
        elif failed:
            notification.report(outcome=Outcome.FAILED, at=at, reason="550", by="notifier")
        app.save(notification)


def _money(
    app: ClaimsApplication,
    rng: random.Random,
    choice: int,
    claim_id: UUID,
    day: date,
    by: str,
    n: int,
) -> None:
    """Reserves, payments (some over the limit, some failed) and recoveries."""
    if choice == 15:
        amount = Decimal(rng.choice([0, 300, 800]))
        app.set_reserve(claim_id, amount=amount, set_on=day, reason="estimate", by=by)
        return
    if choice == 16:
        if app.get_claim(claim_id).decision is None:
            _accept(app, rng, claim_id, day, by)
        app.request_payment(
            claim_id,
            payee="Jeanne Martin",
            amount=Decimal(rng.choice([100, 250, 400])),
            kind="partial",
            mode=rng.choice(["transfer", "cheque"]),
            requested_on=day,
            iban=IBAN if rng.random() < 0.5 else None,
            reason=None,
            by=by,
            authority=Decimal("300.00"),
        )
        return
    claim = app.get_claim(claim_id)
    if choice == 20:
        if claim.recoveries and rng.random() < 0.5:
            app.receive_recovery(
                claim_id,
                recovery_id=rng.choice(claim.recoveries).recovery_id,
                received_on=day,
                amount=Decimal("20.00"),
                by=by,
            )
        else:
            app.expect_recovery(
                claim_id, source="carrier", amount=Decimal("30.00"), expected_on=day, by=by
            )
        return
    if not claim.payments:
        return
    payment_id = rng.choice(claim.payments).payment_id
    if choice == 17:
        app.decide_payment(
            claim_id,
            payment_id=payment_id,
            decision=rng.choice(["approve", "approve", "reject"]),
            decided_on=day,
            reason="checked",
            by="manager",
            authority=Decimal("50000.00"),
        )
    elif choice == 18:
        app.issue_payment(
            claim_id, payment_id=payment_id, issued_on=day, bank_reference=f"B{n}", by=by
        )
    else:
        app.fail_payment(
            claim_id,
            payment_id=payment_id,
            failed_on=day,
            reason="account closed",
            returned=rng.random() < 0.5,
            by=by,
        )


def _accept(app: ClaimsApplication, rng: random.Random, claim_id: UUID, day: date, by: str) -> None:
    """Take the claim to an acceptance on the day, as far as the rules let it."""
    try:
        app.request_proofs(claim_id, documents=["booking_form"], requested_on=day, by=by)
        app.receive_proof(claim_id, document="booking_form", received_on=day, by=by)
        fees = (FeeInput("Jeanne Martin", Decimal(rng.randint(600, 1200))),)
        app.accept(claim_id, decided_on=day, inputs=AssessmentInputs(fees=fees), by=by)
    except ClaimError:
        return
