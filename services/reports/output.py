"""Writing a report as JSON, CSV or XLSX, the same for every report (docs/adr/0025).

A report is a JSON body (its `items` are the rows, plus whatever the report says about itself:
its period, cut-off, totals) and the columns of its rows. JSON and CSV are deterministic: the
same report gives the same bytes (no generation time anywhere), so a past period asked again is
byte-identical. CSV is UTF-8 with CRLF line ends and a header of the JSON names; XLSX (openpyxl)
has dates as date cells and numbers as numbers. A list of codes is one cell of codes separated
by "; "; a list of objects is one cell of compact JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES: dict[ReportFormat, str] = {
    ReportFormat.JSON: "application/json",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ACCEPTED = {
    "application/json": ReportFormat.JSON,
    "text/csv": ReportFormat.CSV,
    MEDIA_TYPES[ReportFormat.XLSX]: ReportFormat.XLSX,
}
# A fixed workbook date: the file says nothing about when it was written.
_WORKBOOK_DATE = datetime(2000, 1, 1)  # noqa: DTZ001 - openpyxl stores naive times


def negotiate(requested: str | None, accept: str | None) -> ReportFormat:
    """`format=` when given (already validated), else the first Accept type we write, else
    JSON."""
    if requested:
        return ReportFormat(requested)
    for part in (accept or "").split(","):
        found = _ACCEPTED.get(part.split(";")[0].strip().lower())
        if found is not None:
            return found
    return ReportFormat.JSON


def filename(stem: str, fmt: ReportFormat) -> str:
    return f"{stem}.{fmt.value}"


def _json_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def json_bytes(body: Mapping[str, Any]) -> bytes:
    """The report as JSON: dates ISO, money as decimal strings, keys in the report's order."""
    return json.dumps(_json_value(body), ensure_ascii=False, separators=(",", ":")).encode()


def _cell(value: Any) -> Any:
    """A value as one cell: lists of codes joined, lists of objects as JSON, scalars as is."""
    if isinstance(value, list | tuple):
        if all(not isinstance(v, Mapping) for v in value):
            return "; ".join(str(_json_value(v)) for v in value)
        return json.dumps(_json_value(value), ensure_ascii=False, separators=(",", ":"))
    return value


def csv_bytes(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    """UTF-8, CRLF, a header of the JSON names; empty cell for null."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        cells = [_cell(row[name]) for name in columns]
        writer.writerow(["" if c is None else _json_value(c) for c in cells])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One sheet: a header of the JSON names, dates as date cells (yyyy-mm-dd), money and
    counts as numbers (money with two places), null as an empty cell. Write-only, so a large
    book streams instead of being held as cell objects."""
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = _WORKBOOK_DATE
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_typed_cell(sheet, _cell(row[name])) for name in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _typed_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, date | Decimal):
        # openpyxl writes dates and Decimals natively; its type stubs say datetime and float.
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        cell.number_format = "yyyy-mm-dd" if isinstance(value, date) else "0.00"
        return cell
    return value


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    filename: str


def render(
    fmt: ReportFormat,
    *,
    stem: str,
    body: Mapping[str, Any],
    columns: Sequence[str],
) -> Rendered:
    """The report in one format; `body["items"]` holds the rows."""
    rows: Sequence[Mapping[str, Any]] = body["items"]
    if fmt is ReportFormat.CSV:
        content = csv_bytes(columns, rows)
    elif fmt is ReportFormat.XLSX:
        content = xlsx_bytes(stem, columns, rows)
    else:
        content = json_bytes(body)
    return Rendered(content, MEDIA_TYPES[fmt], filename(stem, fmt))
