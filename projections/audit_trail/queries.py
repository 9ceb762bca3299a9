from __future__ import annotations

from typing import Any

from projections.store import ReadStore

COLUMNS = ("version", "recorded_at", "actor", "event_type", "business_date", "summary")


def audit_trail(store: ReadStore, claim_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        f"SELECT {', '.join(COLUMNS)} FROM audit_trail WHERE claim_id = ? ORDER BY version",
        [claim_id],
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]
