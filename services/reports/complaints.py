"""The complaints register report (api.md v2 §2 "complaints-register"), computed from the
event store: one pass over the log finds the claims with a complaint received in the period,
then each of them is folded from its own events (`domain/complaints_register.py`).

No read model: the register needs the corrective actions' free text, which stays out of the
read models (docs/adr/0021-data-at-rest.md). The scan reads the whole log, once per report
(docs/adr/0025 says when to replace it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from domain.calendar import FrenchCalendar
from domain.claim import Claim
from domain.complaints_register import COLUMNS, register_rows
from projections.event_log import EventLog

BATCH = 1000
Progress = Callable[[int], object]

__all__ = ["COLUMNS", "complaints_register"]


def _claims_with_complaints(
    log: EventLog, received_from: date, received_to: date, progress: Progress | None
) -> list[UUID]:
    """The claims with a complaint received in the period, in the order of their first such
    complaint in the log (so the register's order is stable)."""
    found: dict[UUID, None] = {}
    head = log.head()
    position = 0
    while position < head:
        chunk = log.read(start=position + 1, limit=BATCH, stop=head)
        if chunk.count == 0:
            break
        for _position, event in chunk.events:
            if (
                isinstance(event, Claim.ComplaintOpened)
                and received_from <= event.received_on <= received_to
            ):
                found.setdefault(event.originator_id, None)
        if progress is not None:
            progress(chunk.last - position)
        position = chunk.last
    return list(found)


def complaints_register(
    log: EventLog,
    events_of: Callable[[UUID], list[Any]],
    calendar: FrenchCalendar,
    *,
    received_from: date,
    received_to: date,
    as_of: date,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The register's JSON body: `{from, to, as_of, items}`, items ordered by received_on,
    then complaint id. `progress` is told of each notification read."""
    claim_ids = _claims_with_complaints(log, received_from, received_to, progress)
    rows: list[dict[str, Any]] = []
    for claim_id in claim_ids:
        rows += register_rows(
            events_of(claim_id),
            received_from=received_from,
            received_to=received_to,
            as_of=as_of,
            calendar=calendar,
        )
    rows.sort(key=lambda r: (r["received_on"], r["claim_number"], _number(r["complaint_id"])))
    return {
        "from": received_from,
        "to": received_to,
        "as_of": as_of,
        "items": rows,
    }


def _number(complaint_id: str) -> int:
    return int(complaint_id.rsplit("-R", 1)[1])
