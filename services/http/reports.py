"""Reports (api.md v2 §2): the claims bordereau, the loss triangles and the complaints
register, as JSON, CSV or XLSX.

The register is computed from the event store when asked (docs/adr/0025); the bordereau and the
triangles from the reporting read model (docs/adr/0029), the bordereau written row by row into
a spooled file (memory bounded) and sent from it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import IO, Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import StreamingResponse

from domain.reporting import BORDEREAU_COLUMNS, BadPeriodError, Basis, Origin, Period, Step
from services.http.auth import Principal, Role
from services.http.deps import AsOfDay, Claims, require, today_in_paris
from services.http.problems import PROBLEM_RESPONSES, invalid_input
from services.http.read_models import Runner
from services.http.schemas import Day, Line
from services.reports.bordereau import bordereau, stored_reasons, triangles
from services.reports.complaints import COLUMNS
from services.reports.output import MEDIA_TYPES, ReportFormat, filename, negotiate, render
from services.reports.streaming import write

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Readers = Annotated[Principal, Depends(require(Role.MANAGER, Role.AUDITOR))]
REPORT_RESPONSES = {
    **PROBLEM_RESPONSES,
    200: {
        "description": "The report (`format=` or Accept: JSON, CSV or XLSX; CSV and XLSX as an "
        "attachment)",
        "content": {
            "application/json": {},
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
        },
    },
}


def _period(received_from: date, received_to: date, as_of: date | None) -> date:
    """Checks the period (not in the future, in order); returns the day the report is as of."""
    today = today_in_paris()
    if received_to > today:
        raise invalid_input(
            "to", "the period is in the future", received_to.isoformat(), where="query"
        )
    if received_from > received_to:
        raise invalid_input("from", "is after to", received_from.isoformat(), where="query")
    if as_of is None:
        return today
    if as_of > today:
        raise invalid_input("as_of", "is in the future", as_of.isoformat(), where="query")
    if as_of < received_to:
        raise invalid_input("as_of", "is before to", as_of.isoformat(), where="query")
    return as_of


@router.get("/complaints-register", responses=REPORT_RESPONSES)
def complaints_register(
    app: Claims,
    _principal: Readers,
    received_from: Annotated[Day, Query(alias="from", description="received on or after")],
    received_to: Annotated[Day, Query(alias="to", description="received on or before")],
    as_of: Annotated[
        Day | None,
        Query(description="facts dated up to this day (default: today in Paris; not before to)"),
    ] = None,
    format: Annotated[
        ReportFormat | None, Query(description="default: from Accept, else json")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The register of complaints received in [from, to]: motive, root cause, delays, clocks
    breached, mediation and corrective actions (ACPR recommendation 2024-R-02). Not paged."""
    day = _period(received_from, received_to, as_of)
    body = app.complaints_register(received_from=received_from, received_to=received_to, as_of=day)
    fmt = negotiate(None if format is None else format.value, accept)
    stem = f"complaints-register_{received_from.isoformat()}_{received_to.isoformat()}"
    rendered = render(fmt, stem=stem, body=body, columns=COLUMNS)
    headers = {}
    if fmt is not ReportFormat.JSON:
        headers["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)


SPOOL = 8 * 1024 * 1024  # bytes of a report kept in memory before it spills to a temporary file
CHUNK = 64 * 1024


def _month(text: str) -> Period:
    """The month asked for: YYYY-MM, not after the current month (Paris)."""
    try:
        period = Period.parse(text)
    except BadPeriodError as exc:
        raise invalid_input("period", str(exc), text, where="query") from None
    if period > Period.of(today_in_paris()):
        raise invalid_input("period", "the period is in the future", text, where="query")
    return period


def _sent(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()


@router.get("/bordereau", responses=REPORT_RESPONSES)
def claims_bordereau(
    app: Claims,
    runner: Runner,
    _principal: Readers,
    period: Annotated[str, Query(description="the month, YYYY-MM (not in the future)")],
    contract: Line | None = None,
    format: Annotated[
        ReportFormat | None, Query(description="default: from Accept, else json")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The month's claims bordereau: a row per claim declared by the month's end and not
    closed or withdrawn before it, everything as known at the cut-off (the end of the 5th
    jour ouvré after the month, Paris); `final` once the cut-off has passed, after which the
    same question gives the same bytes (JSON, CSV). Not paged."""
    month = _month(period)
    report = bordereau(
        runner.store,
        app.calendar,
        stored_reasons(app.recorder, app.mapper),
        period=month,
        now=datetime.now(UTC),
        contract=contract,
    )
    fmt = negotiate(None if format is None else format.value, accept)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 - closed by _sent
    try:
        write(
            fmt,
            spool,  # type: ignore[arg-type]
            stem=report.stem,
            head=report.head,
            rows=report.rows(),
            tail=report.tail,
            columns=BORDEREAU_COLUMNS,
        )
    except BaseException:
        spool.close()
        raise
    headers = {}
    if fmt is not ReportFormat.JSON:
        headers["Content-Disposition"] = f'attachment; filename="{filename(report.stem, fmt)}"'
    return StreamingResponse(_sent(spool), media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/triangles", responses=PROBLEM_RESPONSES)
def loss_triangles(
    runner: Runner,
    _principal: Readers,
    day: AsOfDay,
    basis: Basis = Basis.PAID,
    origin: Origin = Origin.ACCIDENT,
    step: Step = Step.QUARTER,
) -> dict[str, object]:
    """Loss development triangles: `cells[i][k]` is cumulative to the end of development step
    k of origin period i (k = 0: the origin period itself), to `as_of` for the step that
    contains it, null for steps starting after it. paid and incurred as decimal strings,
    count (claims declared) as integers."""
    if day > today_in_paris():
        raise invalid_input("as_of", "is in the future", day.isoformat(), where="query")
    body = triangles(runner.store, basis=basis, origin=origin, step=step, as_of=day)
    return {"origins": body["origins"], "cells": [[_json(c) for c in row] for row in body["cells"]]}


def _json(cell: object) -> object:
    return cell if cell is None or isinstance(cell, int) else str(cell)
