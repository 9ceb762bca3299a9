"""`claims replay`: a claim as it was (audit replay) and its history, for a terminal."""

from __future__ import annotations

import argparse
import json
from typing import Any

from domain.claim import Claim
from domain.claim_view import ClaimDisplay
from services.application import ClaimsApplication
from services.audit import HistoryEntry
from services.http.views import claim_body, history_entry


def _format_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return str(value)


def render_replay(claim: Claim, display: ClaimDisplay, history: list[HistoryEntry]) -> str:
    """The claim's state at its version (its display facts folded from its events), then
    every event up to that version."""
    lines = [
        f"claim {claim.claim_number} ({claim.id}) version {claim.version}",
        f"  status: {claim.status}",
        f"  contract: {claim.contract}  guarantee: {claim.guarantee}  "
        f"cause category: {claim.cause.category}",
        f"  event date: {claim.event_date}  declared on: {claim.declared_on}  "
        f"late declaration: {display.late_declaration} "
        f"({display.declaration_working_days_late} working days late)",
        f"  trip: {claim.trip.departure_date} to {claim.trip.return_date}",
        f"  insured: {len(claim.insured)}  handler: {claim.handler or '-'}",
        f"  proofs requested: {_format_value(claim.proofs_requested)}  "
        f"received: {_format_value(list(display.proofs_received))}  "
        f"complete: {claim.proofs_complete}",
    ]
    if claim.indemnity is not None:
        lines.append(f"  indemnity: {claim.indemnity.total} {claim.indemnity.currency}")
        for share in claim.indemnity.per_insured:
            lines.append(
                f"    {share.insured}: basis {share.basis} - deductible {share.deductible}"
                f" - caps {share.capped_per_person + share.capped_per_event}"
                f" - card insurer {share.card_insurer_deduction} = {share.payable}"
            )
        lines.extend(f"    | {line}" for line in claim.indemnity.trace)
    lines.append(
        f"  complaints: {len(claim.complaints)}  "
        f"mediation: {claim.mediation.referred_on if claim.mediation else '-'}"
    )
    lines.append("history:")
    for entry in history:
        if entry.version > claim.version:
            break
        business = ", ".join(
            f"{key}={_format_value(value)}"
            for key, value in entry.data.items()
            if value is not None and (key.endswith("_on") or key.endswith("_date"))
        )
        lines.append(
            f"  v{entry.version:<4} {entry.recorded_at.isoformat()}  "
            f"{entry.type:<28} by {entry.actor:<12} {business}"
        )
    return "\n".join(lines)


def replay_text(app: ClaimsApplication, args: argparse.Namespace) -> str:
    """`claims replay`: the claim at a version or a time, as text or JSON."""
    claim_id = app.claim_id_for_number(args.claim_number)
    if args.as_of is not None:
        claim = app.claim_as_of(claim_id, args.as_of)
    else:
        claim = app.get_claim(claim_id, version=args.version)
    history = app.history(claim_id)
    display = app.claim_display(claim)
    if args.format == "json":
        body = {
            "claim": claim_body(claim, display).model_dump(mode="json"),
            "history": [
                history_entry(e).model_dump(mode="json")
                for e in history
                if e.version <= claim.version
            ],
        }
        return json.dumps(body, indent=2, ensure_ascii=False)
    return render_replay(claim, display, history)
