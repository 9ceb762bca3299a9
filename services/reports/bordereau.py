"""The claims bordereau and the loss triangles (api.md v2 §2; docs/adr/0029), from the
reporting read model (`projections/reporting`), shaped by the pure rules of
`domain/reporting.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.calendar import FrenchCalendar
from domain.reporting import (
    BORDEREAU_COLUMNS,
    BORDEREAU_TOTALS,
    Basis,
    Origin,
    Period,
    Step,
    bordereau_row,
    cut_off,
    is_final,
    money,
    triangle,
)
from projections.reporting.queries import bordereau_claims, first_origin, triangle_amounts
from projections.store import ReadStore

# A refusal's reason (free text, kept in the event store only): claim id, decision version.
ReasonOf = Callable[[str, int], str | None]
Progress = Callable[[int], object]

__all__ = ["BORDEREAU_COLUMNS", "Bordereau", "bordereau", "stored_reasons", "triangles"]


@dataclass
class Bordereau:
    """A month's bordereau, ready to be written: its head, its rows (streamed once) and its
    totals (complete once the rows are written)."""

    period: Period
    contract: str | None
    head: dict[str, Any]
    _rows: Iterator[dict[str, Any]]
    totals: dict[str, Decimal] = field(
        default_factory=lambda: dict.fromkeys(BORDEREAU_TOTALS, Decimal("0.00"))
    )
    count: int = 0

    @property
    def stem(self) -> str:
        return f"bordereau_{self.period}" + (f"_{self.contract}" if self.contract else "")

    def rows(self) -> Iterator[dict[str, Any]]:
        for row in self._rows:
            for name in BORDEREAU_TOTALS:
                self.totals[name] += row[name]
            self.count += 1
            yield row

    def tail(self) -> dict[str, Any]:
        return {"totals": dict(self.totals)}


def bordereau(
    store: ReadStore,
    calendar: FrenchCalendar,
    reason_of: ReasonOf,
    *,
    period: Period,
    now: datetime,
    contract: str | None = None,
    progress: Progress | None = None,
) -> Bordereau:
    """The bordereau of `period` as known at its cut-off; `final` once `now` is past it."""
    cut = cut_off(period, calendar)

    def rows() -> Iterator[dict[str, Any]]:
        for known in bordereau_claims(store, period, calendar, contract=contract):
            reason = None
            if known.status == "refused" and known.decision_version is not None:
                reason = reason_of(known.claim_id, known.decision_version)
            yield bordereau_row(
                known.claim,
                status=known.status,
                decided_on=known.decided_on,
                closed_on=known.closed_on,
                acknowledged_on=known.acknowledged_on,
                paid_cents=known.paid_cents,
                paid_before_cents=known.paid_before_cents,
                reserve_cents=known.reserve_cents,
                recovered_cents=known.recovered_cents,
                refusal_reason=reason,
            )
            if progress is not None:
                progress(1)

    head: dict[str, Any] = {
        "period": str(period),
        "cut_off": cut.isoformat(),
        "final": is_final(period, calendar, now),
    }
    return Bordereau(period, contract, head, rows())


def stored_reasons(recorder: Any, mapper: Any) -> ReasonOf:
    """A refusal's reason read from the event store: the one event at that version."""

    def reason_of(claim_id: str, version: int) -> str | None:
        for stored in recorder.select_events(UUID(claim_id), gt=version - 1, lte=version):
            event = mapper.to_domain_event(stored)
            reason = getattr(event, "reason", None)
            return None if reason is None else str(reason)
        return None

    return reason_of


def triangles(
    store: ReadStore, *, basis: Basis, origin: Origin, step: Step, as_of: date
) -> dict[str, Any]:
    """`{origins, cells}`: counts as integers, money as decimal strings (null after as_of)."""
    origins, cells = triangle(
        triangle_amounts(store, basis=basis, origin=origin, as_of=as_of),
        step=step,
        as_of=as_of,
        first_origin=first_origin(store, origin=origin, as_of=as_of),
    )
    shaped: list[list[Any]] = (
        cells
        if basis is Basis.COUNT
        else [[None if c is None else money(c) for c in row] for row in cells]
    )
    return {"origins": origins, "cells": shaped}
