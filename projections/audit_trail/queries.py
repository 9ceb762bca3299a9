from __future__ import annotations

from typing import Any

from projections.store import ReadStore

COLUMNS = ("version", "recorded_at", "actor", "event_type", "business_date", "codes")
# The API names the codes column `summary` (its name before docs/adr/0021-data-at-rest.md).
KEYS = ("version", "recorded_at", "actor", "event_type", "business_date", "summary")


def audit_trail(store: ReadStore, claim_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        f"SELECT {', '.join(COLUMNS)} FROM audit_trail WHERE claim_id = ? ORDER BY version",
        [claim_id],
    )
    return [dict(zip(KEYS, row, strict=True)) for row in rows]


def event_counts(store: ReadStore, event_types: tuple[str, ...], as_of: str) -> dict[str, int]:
    """How many events of each type happened on or before a business date (from the trail's
    totals by type and day)."""
    marks = ", ".join("?" for _ in event_types)
    rows = store.query(
        "SELECT value, SUM(amount) FROM audit_trail_totals WHERE measure = 'events' "
        f"AND day <= ? AND value IN ({marks}) GROUP BY value",
        [as_of, *event_types],
    )
    counts = {str(kind): int(count) for kind, count in rows}
    return {kind: counts.get(kind, 0) for kind in event_types}
