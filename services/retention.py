"""`claims retention [--apply] [--as-of]`: erase the personal data of the claims whose
retention ended (contract v2 §6; docs/adr/0037-erasure-and-retention.md).

The retention read model (projections/retention) says which claims are due as of the day; for
each, every subject not yet erased is erased in one `PersonalDataErased` (basis `retention`),
through the same path as `POST /subjects/{id}/erasure`, which checks the holds again on the
claim itself. Held claims are reported with their holds, never erased. Without `--apply`
nothing is written: the report says what would be done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain.errors import ClaimError
from projections.retention.queries import retention_items
from projections.store import ReadStore
from services.application import ClaimsApplication

RETENTION_ACTOR = "retention"  # who erases on the retention's basis (the scheduled job)


@dataclass
class RetentionReport:
    as_of: date
    applied: bool
    lines: list[str] = field(default_factory=list)
    erased: int = 0
    due: int = 0
    held: int = 0
    failed: int = 0

    def summary(self) -> str:
        verb = "erased" if self.applied else "due (dry run: --apply erases them)"
        return (
            f"retention as of {self.as_of.isoformat()}: {self.erased if self.applied else self.due}"
            f" claim(s) {verb}, {self.held} held, {self.failed} refused"
        )


def _items(store: ReadStore, as_of: date, months: int, state: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page, cursor = retention_items(
            store, as_of=as_of, months=months, state=state, limit=500, cursor=cursor
        )
        found += page
        if cursor is None:
            return found


def run_retention(
    app: ClaimsApplication,
    store: ReadStore,
    *,
    as_of: date,
    months: int,
    apply: bool,
    on_erased: Callable[[UUID], None] | None = None,
) -> RetentionReport:
    """The report of the claims due and held as of the day; with `apply`, the due erased."""
    report = RetentionReport(as_of, apply)
    for item in _items(store, as_of, months, "held"):
        report.held += 1
        report.lines.append(f"{item['claim_number']}: held ({', '.join(item['holds'])})")
    for item in _items(store, as_of, months, "due"):
        report.due += 1
        claim_id = UUID(item["claim_id"])
        claim = app.get_claim(claim_id)
        remaining = [s for s in claim.subject_ids if s not in claim.erased_subjects]
        if not remaining:
            report.lines.append(f"{item['claim_number']}: no subject id (declared before v2)")
            continue
        if not apply:
            report.lines.append(f"{item['claim_number']}: due, {len(remaining)} subject(s)")
            continue
        try:
            app.erase_subjects(
                claim_id, remaining, erased_on=as_of, basis="retention", by=RETENTION_ACTOR
            )
        except ClaimError as exc:
            report.failed += 1
            report.lines.append(f"{item['claim_number']}: refused ({exc.rule}: {exc.message})")
            continue
        if on_erased is not None:
            on_erased(claim_id)
        report.erased += 1
        report.lines.append(f"{item['claim_number']}: erased {len(remaining)} subject(s)")
    return report
