"""A random but reproducible workload of commands over many claims."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from domain.errors import ClaimError
from domain.values import AssessmentInputs, FeeInput
from services.application import ClaimsApplication
from tests.domain.gwt import declaration


def random_workload(app: ClaimsApplication, *, claims: int, commands: int, seed: int) -> int:
    """Declare `claims` claims, then run commands until `commands` in all; returns how many
    were accepted by the rules."""
    rng = random.Random(seed)
    ids: list[UUID] = []
    complaints: dict[UUID, list[str]] = {}
    accepted = 0
    for _ in range(claims):
        ids.append(app.declare(declaration(), by="h0").id)
        accepted += 1
    base = date(2026, 3, 5)
    for n in range(commands - claims):
        claim_id = rng.choice(ids)
        day = base + timedelta(days=n // 10)
        by = f"h{rng.randint(1, 4)}"
        choice = rng.randrange(15)
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
            else:
                app.add_note(claim_id, text="called", noted_on=day, by=by)
        except ClaimError:
            continue
        accepted += 1
    return accepted
