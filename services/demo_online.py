"""Demo claims declared online (issue 19): through the portal's own command, each with its
access code and the cause's proofs requested, and the insured's documents received for some of
them (small PDFs, a medical certificate among them), so that the insured's page, the
documents screens and the access register have something to show.

Run by `claims demo` after the other demo claims, with the insured's side wired (outbox,
document store): services/cli.py. Deterministic for a seed and `today`, but for the access
codes and the sealed values, which are drawn.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from domain.declaration import ClaimDeclaration
from domain.errors import ClaimError
from domain.values import Cause, Insured, Trip
from services.application import ClaimsApplication
from services.insured import DeclarantContact

PORTAL = "portal.demo"
CAUSES = (
    ("A", "serious_illness", "hospitalisation"),
    ("A", "serious_accident", "fracture"),
    ("B", "economic_dismissal", "licenciement"),
    ("D", "personal_reason", "raison personnelle"),
)
NAMES = ("Camille Petit", "Hugo Bernard", "Léa Dubois", "Nathan Moreau", "Chloé Laurent")


def _pdf(number: str, code: str) -> bytes:
    return f"%PDF-1.4\n% demo {number} {code}\n1 0 obj << >> endobj\n%%EOF\n".encode()


def online_claims(app: ClaimsApplication, *, count: int, seed: int, today: date) -> int:
    """`count` CA2624 claims declared online in the last weeks before `today`; returns how
    many were recorded (a declaration the rules refuse is skipped)."""
    rng = random.Random(seed * 7919 + 19)  # noqa: S311 - reproducible demo data
    recorded = 0
    for n in range(count):
        category, code, description = CAUSES[n % len(CAUSES)]
        declared = today - timedelta(days=rng.randint(3, 40))
        event = declared - timedelta(days=rng.randint(0, 3))
        departure = declared + timedelta(days=rng.randint(10, 60))
        name = NAMES[n % len(NAMES)]
        declaration = ClaimDeclaration(
            contract="CA2624",
            subscription_number=f"NQ{rng.randint(100000, 999999)}",
            guarantee="cancellation",
            cause=Cause(category, code, description),
            event_date=event,
            known_on=event,
            declared_on=declared,
            booking_date=departure - timedelta(days=120),
            subscription_date=departure - timedelta(days=120),
            trip=Trip(departure, departure + timedelta(days=7), "Lisbonne", Decimal("300.00")),
            insured=(Insured(name, Decimal(rng.randint(600, 2400)).quantize(Decimal("1.00"))),),
            channel="online",
        )
        contact = DeclarantContact(name, f"demo{n + 1}@example.invalid", None)
        try:
            claim, _code = app.declare_online(declaration, contact=contact, by=PORTAL)
            # The insured sends some of the requested proofs, a few days later.
            for k, proof in enumerate(claim.proofs_requested[: 1 + n % 3]):
                app.receive_document(
                    claim.id,
                    content=_pdf(claim.claim_number, proof),
                    filename=f"{proof}.pdf",
                    proof_code=proof,
                    received_on=min(today, declared + timedelta(days=1 + k)),
                    by="insured",
                    requested_only=True,
                )
        except ClaimError:
            continue
        recorded += 1
    return recorded
