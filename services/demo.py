"""Realistic demo claims, generated only through the application's commands.

Deterministic for a given seed and `today`: claims spread over the 18 months before `today`
across the three contracts and their guarantees, with proofs, card-insurer positions for
trips over €10,000, reserves, accepted and refused assessments, payments (by v1's settlement,
or over the handler's limit approved by a manager; some transfers returned and issued again),
recoveries from card insurers and carriers, complaints (some acknowledged or answered late),
recours, mediations and reopenings. A command the rules refuse
is simply skipped, so the data always obeys the rules.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID

from domain.declaration import ClaimDeclaration
from domain.errors import ClaimError
from domain.proofs import checklist
from domain.values import (
    AssessmentInputs,
    BaggageItem,
    Cause,
    FeeInput,
    Insured,
    LegDelay,
    TicketCost,
    Trip,
)
from services.application import ClaimsApplication
from services.demo_data import (
    CATEGORIES,
    CAUSES,
    DEMO_IBANS,
    DESTINATIONS,
    FIRST_NAMES,
    GUARANTEES,
    HANDLER_LIMIT,
    LAST_NAMES,
    MANAGER_LIMIT,
)


@dataclass
class DemoReport:
    claims: int = 0
    commands: int = 0
    refused_by_rules: int = 0


DEMO_SUBJECTS = uuid.UUID("6f1c1f0e-5d2b-4c1e-9a57-0d3e2f7f0a19")


class DemoGenerator:
    def __init__(self, app: ClaimsApplication, *, seed: int, today: date) -> None:
        self.app = app
        self.rng = random.Random(seed)
        # Subject ids (api.md v2 §6) derived, not drawn: the demo stays deterministic.
        self.subjects = (uuid.uuid5(DEMO_SUBJECTS, f"{seed}:{n}") for n in itertools.count())
        self.today = today
        self.report = DemoReport()

    def _try(self, command: Callable[[], object]) -> bool:
        try:
            command()
        except ClaimError:
            self.report.refused_by_rules += 1
            return False
        self.report.commands += 1
        return True

    def _money(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randrange(low * 100, high * 100, 500)) / 100

    def claim(self) -> None:
        rng = self.rng
        contract = rng.choice(tuple(GUARANTEES))
        guarantee = rng.choice(GUARANTEES[contract])
        category = rng.choice(CATEGORIES[contract])
        code, description = rng.choice(CAUSES[category])
        # The event happened within the last 18 months.
        event = self.today - timedelta(days=rng.randint(20, 540))
        booking = event - timedelta(days=rng.randint(30, 200))
        subscription = booking + timedelta(days=rng.choice((0, 0, 0, 1, 2, 5)))
        if guarantee in ("cancellation", "missed_departure"):
            departure = event + timedelta(days=rng.choice((1, 3, 5, 10, 15, 25, 40)))
            if guarantee == "missed_departure":
                departure = event
        else:
            departure = event - timedelta(days=rng.randint(1, 6))
        trip_days = rng.randint(5, 16)
        back = departure + timedelta(days=trip_days)
        known = event + timedelta(days=rng.choice((0, 0, 0, 1, 3)))
        declared = known + timedelta(days=rng.choice((1, 2, 3, 4, 6, 9, 15)))
        big = contract == "CA2624" and rng.random() < 0.08
        persons = rng.choice((1, 1, 2, 2, 2, 3, 4))
        names = rng.sample([f"{f} {ln}" for f in FIRST_NAMES for ln in LAST_NAMES], persons)
        prices = [self._money(10_500, 16_000) if big else self._money(400, 3_200) for _ in names]
        interrupted = (
            departure + timedelta(days=rng.randint(1, trip_days - 1))
            if guarantee == "interruption"
            else None
        )
        if declared >= self.today:
            return
        declaration = ClaimDeclaration(
            contract=contract,
            subscription_number=f"NQ{rng.randint(10000, 99999)}",
            guarantee=guarantee,
            cause=Cause(category, code, description),
            event_date=event,
            known_on=known,
            declared_on=declared,
            booking_date=booking,
            subscription_date=subscription,
            trip=Trip(departure, back, rng.choice(DESTINATIONS), min(prices) * Decimal("0.35")),
            insured=tuple(
                Insured(n, p, next(self.subjects)) for n, p in zip(names, prices, strict=True)
            ),
            settlement_mode="voucher" if category == "D" and rng.random() < 0.4 else "cash",
            interrupted_on=interrupted,
            channel=rng.choice(("online", "online", "online", "email", "post", "phone")),
        )
        try:
            claim = self.app.declare(declaration, by=f"handler.{rng.randint(1, 6)}")
        except ClaimError:
            self.report.refused_by_rules += 1
            return
        self.report.claims += 1
        self.report.commands += 1
        self._handle(
            claim.id, declared, (contract, guarantee, category, code), names, prices, big, departure
        )

    def _handle(
        self,
        claim_id: UUID,
        declared: date,
        kind: tuple[str, str, str, str],
        names: list[str],
        prices: list[Decimal],
        big: bool,
        departure: date,
    ) -> None:
        rng, app, cid = self.rng, self.app, claim_id
        contract, guarantee, category, code = kind
        handler = f"handler.{rng.randint(1, 6)}"
        day = declared

        def step(days: int) -> date | None:
            nonlocal day
            day = day + timedelta(days=days)
            return day if day < self.today else None

        if rng.random() < 0.85 and (on := step(0)):
            self._try(
                partial(app.assign_handler, cid, handler=handler, assigned_on=on, by="manager.1")
            )
        if rng.random() < 0.05 and (on := step(rng.randint(1, 10))):
            self._try(partial(app.withdraw, cid, withdrawn_on=on, by=handler))
            return
        terms = app.catalogue.get(contract)
        assert terms is not None
        documents = checklist(  # the per-cause list of rules.md "Proofs"
            guarantee=guarantee,
            cause_code=code,
            medical=category in terms.medical_categories,
            no_proof_category=category in terms.voucher_categories,
            identity_of_each_insured=contract == "CA2624",
            card_insurer_position=big,
        )
        if not (on := step(rng.randint(1, 4))):
            return
        self._try(
            partial(app.request_proofs, cid, documents=documents, requested_on=on, by=handler)
        )
        if rng.random() < 0.4:  # a first estimate: the claim's reserve
            estimate = (sum(prices) * Decimal("0.5")).quantize(Decimal("0.01"))
            by, limit = (handler, HANDLER_LIMIT)
            if estimate > HANDLER_LIMIT:
                by, limit = ("manager.1", MANAGER_LIMIT)
            reason = "first estimate from the booking"
            self._try(
                partial(
                    app.set_reserve,
                    cid,
                    amount=estimate,
                    set_on=on,
                    reason=reason,
                    by=by,
                    authority=limit,
                )
            )
        if rng.random() < 0.12:
            return  # still waiting for proofs
        for document in documents:
            if document == "card_insurer_position":
                continue
            if not (on := step(rng.randint(2, 15))):
                return
            self._try(
                partial(app.receive_proof, cid, document=document, received_on=on, by=handler)
            )
        if big:
            if not (on := step(rng.randint(3, 20))):
                return
            paid = rng.random() < 0.5
            self._try(
                partial(
                    app.receive_card_insurer_position,
                    cid,
                    decision="paid" if paid else "refused",
                    amount_paid=Decimal("1500.00") if paid else Decimal("0.00"),
                    received_on=on,
                    by=handler,
                )
            )
        if not (on := step(rng.choice((2, 5, 8, 12, 20)))):
            return
        accepted = rng.random() < 0.78
        if accepted:
            inputs = self._inputs(guarantee, names, prices)
            ok = self._try(partial(app.accept, cid, decided_on=on, inputs=inputs, by=handler))
        else:
            ok = self._try(
                partial(app.refuse, cid, decided_on=on, reason="cause not covered", by=handler)
            )
        if not ok:
            return
        last_letter = on  # the decision, or the payment once made: what a complaint answers
        if accepted and (on := step(rng.choice((3, 7, 10, 14, 20, 30)))):
            voucher = self.app.get_claim(cid).settlement_mode == "voucher"
            paid_on = self._pay(cid, handler, on, names, voucher)
            if paid_on is not None:
                last_letter = day = paid_on
                if big or guarantee == "baggage":
                    day = self._recover(cid, handler, day, "card_insurer" if big else "carrier")
        # Closed some days after the last letter; a complaint may follow (it may be made on a
        # closed claim) and is dated after it, so that every timeline is causal.
        if rng.random() < 0.6 and (on := step(rng.randint(5, 40))):
            self._try(partial(app.close_claim, cid, closed_on=on, by=handler))
        if rng.random() < (0.45 if not accepted else 0.15):
            self._complaint(cid, handler, accepted, max(last_letter, day))

    def _pay(
        self, cid: UUID, handler: str, on: date, names: list[str], voucher: bool
    ) -> date | None:
        """The indemnity paid: by v1's settlement when within the handler's authority (most
        claims), else requested and approved by a manager; some transfers come back and are
        issued again. Returns the day of the last issuance, if any."""
        rng, app = self.rng, self.app
        claim = app.get_claim(cid)
        assert claim.indemnity is not None
        total = claim.indemnity.total - claim.amount_paid
        reference = f"VIR-{rng.randint(100000, 999999)}"
        if total <= HANDLER_LIMIT and rng.random() < 0.6:
            mode = "voucher" if voucher else "cash"
            settle = partial(
                app.settle,
                cid,
                paid_on=on,
                mode=mode,
                reference=reference,
                by=handler,
                authority=HANDLER_LIMIT,
            )
            return on if self._try(settle) else None
        cheque = not voucher and rng.random() < 0.2
        mode = "voucher" if voucher else ("cheque" if cheque else "transfer")
        requested: dict[str, str] = {}

        def request() -> None:
            _, requested["id"] = app.request_payment(
                cid,
                payee=names[0],
                amount=total,
                kind="final",
                mode=mode,
                requested_on=on,
                iban=rng.choice(DEMO_IBANS) if mode == "transfer" else None,
                reason=None,
                by=handler,
                authority=HANDLER_LIMIT,
            )

        if total <= 0 or not self._try(request):
            return None
        payment_id = requested["id"]
        day = on
        if total > HANDLER_LIMIT:  # a manager approves the next working days
            day += timedelta(days=rng.randint(1, 4))
            if day >= self.today:
                return None
            approve = partial(
                app.decide_payment,
                cid,
                payment_id=payment_id,
                decision="approve",
                decided_on=day,
                reason="indemnity checked against the contract",
                by=f"manager.{rng.randint(1, 2)}",
                authority=MANAGER_LIMIT,
            )
            if not self._try(approve):
                return None
        day += timedelta(days=rng.randint(0, 2))
        if day >= self.today or not self._issue(cid, payment_id, day, handler, reference):
            return None
        if mode == "transfer" and rng.random() < 0.15:  # the transfer came back
            failed = day + timedelta(days=rng.randint(2, 6))
            if failed >= self.today:
                return day
            fail = partial(
                app.fail_payment,
                cid,
                payment_id=payment_id,
                failed_on=failed,
                reason="account closed (R03)",
                returned=rng.random() < 0.5,
                by=handler,
            )
            if not self._try(fail):
                return day
            again = failed + timedelta(days=rng.randint(1, 5))
            if again >= self.today:
                return None
            reissue = f"VIR-{rng.randint(100000, 999999)}"
            return again if self._issue(cid, payment_id, again, handler, reissue) else None
        return day

    def _issue(self, cid: UUID, payment_id: str, on: date, handler: str, reference: str) -> bool:
        return self._try(
            partial(
                self.app.issue_payment,
                cid,
                payment_id=payment_id,
                issued_on=on,
                bank_reference=reference,
                by=handler,
            )
        )

    def _recover(self, cid: UUID, handler: str, paid_on: date, source: str) -> date:
        """Some money expected back (the card insurer, the carrier), then received or
        written off. Returns the day of the last step."""
        rng, app = self.rng, self.app
        if rng.random() < 0.6:
            return paid_on
        paid = app.get_claim(cid).amount_paid
        amount = (paid * Decimal(rng.choice(("0.1", "0.2", "0.3")))).quantize(Decimal("0.01"))
        expected = paid_on + timedelta(days=rng.randint(1, 10))
        if amount <= 0 or expected >= self.today:
            return paid_on
        recovery: dict[str, str] = {}

        def expect() -> None:
            _, recovery["id"] = app.expect_recovery(
                cid,
                source=source,
                amount=amount,
                expected_on=expected,
                subrogation=source == "carrier",
                by=handler,
            )

        if not self._try(expect):
            return paid_on
        later = expected + timedelta(days=rng.randint(10, 60))
        if later >= self.today:
            return expected
        if rng.random() < 0.8:
            self._try(
                partial(
                    app.receive_recovery,
                    cid,
                    recovery_id=recovery["id"],
                    received_on=later,
                    amount=amount,
                    by=handler,
                )
            )
        else:
            self._try(
                partial(
                    app.write_off_recovery,
                    cid,
                    recovery_id=recovery["id"],
                    written_off_on=later,
                    reason="no answer after two reminders",
                    by=handler,
                )
            )
        return later

    def _complaint(self, cid: UUID, handler: str, accepted: bool, last_letter: date) -> None:
        rng, app = self.rng, self.app
        sent = last_letter + timedelta(days=rng.randint(2, 30))
        received = sent + timedelta(days=rng.randint(1, 4))
        if received >= self.today:
            return
        written = rng.random() < 0.85
        outcome_holder: dict[str, str] = {}

        def open_it() -> None:
            _, complaint_id = app.open_complaint(
                cid,
                sent_on=sent,
                received_on=received,
                channel="letter" if written else "phone",
                summary="disagrees with the decision",
                by=handler,
            )
            outcome_holder["id"] = complaint_id

        if not self._try(open_it):
            return
        complaint_id = outcome_holder["id"]
        late_ack = rng.random() < 0.2
        ack = received + timedelta(days=rng.randint(12, 25) if late_ack else rng.randint(1, 8))
        late_answer = rng.random() < 0.2
        answer = sent + timedelta(days=rng.randint(65, 120) if late_answer else rng.randint(15, 55))
        # An answer sent before the acknowledgement would be due makes it needless.
        if ack < self.today and ack <= answer and rng.random() < 0.85:
            self._try(
                partial(
                    app.acknowledge_complaint,
                    cid,
                    complaint_id=complaint_id,
                    sent_on=ack,
                    by=handler,
                )
            )
        if answer >= self.today or rng.random() < 0.1:
            return
        outcome = rng.choice(("rejected", "rejected", "partially_upheld", "upheld"))
        self._try(
            partial(
                app.answer_complaint,
                cid,
                complaint_id=complaint_id,
                sent_on=answer,
                outcome=outcome,
                by=handler,
            )
        )
        if outcome == "upheld" and (reopen := answer + timedelta(days=3)) < self.today:
            self._try(
                partial(app.reopen, cid, reopened_on=reopen, reason="complaint upheld", by=handler)
            )
            return
        if rng.random() < 0.3 and (recours := answer + timedelta(days=rng.randint(5, 20))) < (
            self.today
        ):
            self._try(
                partial(
                    app.escalate_complaint,
                    cid,
                    complaint_id=complaint_id,
                    received_on=recours,
                    by=handler,
                )
            )
        if written and rng.random() < 0.35:
            referred = answer + timedelta(days=rng.randint(20, 200))
            if referred < self.today and self._try(
                partial(app.refer_to_mediation, cid, referred_on=referred, by="insured")
            ):
                decided = referred + timedelta(days=rng.randint(30, 90))
                if decided < self.today:
                    self._try(
                        partial(
                            app.conclude_mediation,
                            cid,
                            decided_on=decided,
                            outcome=rng.choice(
                                ("in_favour_of_insurer", "partial", "in_favour_of_insured")
                            ),
                            by="mediator",
                        )
                    )

    def _inputs(self, guarantee: str, names: list[str], prices: list[Decimal]) -> AssessmentInputs:
        rng = self.rng
        if guarantee == "cancellation":
            return AssessmentInputs(
                fees=tuple(
                    FeeInput(
                        n,
                        (p * Decimal(rng.choice(("0.25", "0.5", "0.75", "1")))).quantize(
                            Decimal("0.01")
                        ),
                        Decimal(rng.choice(("0.00", "35.00", "60.00"))),
                    )
                    for n, p in zip(names, prices, strict=True)
                )
            )
        if guarantee == "baggage":
            return AssessmentInputs(
                baggage=tuple(
                    BaggageItem(
                        n, self._money(100, 900), self._money(0, 60), valuable=rng.random() < 0.2
                    )
                    for n in names
                )
            )
        if guarantee == "flight_delay":
            return AssessmentInputs(
                delays=tuple(LegDelay(n, rng.choice((200, 260, 400))) for n in names)
            )
        if guarantee == "missed_departure":
            return AssessmentInputs(
                tickets=tuple(TicketCost(n, self._money(150, 1100)) for n in names)
            )
        return AssessmentInputs()


def generate(
    app: ClaimsApplication,
    *,
    claims: int,
    seed: int,
    today: date,
    progress: Callable[[int], object] | None = None,
    claims_per_save: int | None = None,
) -> DemoReport:
    """`claims` demo claims through the commands; with `claims_per_save`, in the application's
    bulk mode (same commands and rules, saved that many claims per transaction)."""
    generator = DemoGenerator(app, seed=seed, today=today)
    with app.bulk(claims_per_save=claims_per_save) if claims_per_save else nullcontext():
        for _ in range(claims):
            generator.claim()
            if progress is not None:
                progress(1)
    return generator.report
