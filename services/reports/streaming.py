"""Writing a large report row by row to a file (docs/adr/0029): the same bytes as
`services.reports.output.render` for JSON and CSV, and the same typed XLSX, without holding
the rows. The JSON body is its head (what the report says about itself), its `items`, then
its tail (what is known once every row is written: the totals)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, BinaryIO

from openpyxl import Workbook

from services.reports.output import _WORKBOOK_DATE, ReportFormat, _cell, _json_value, _typed_cell

Row = Mapping[str, Any]


def _dumps(value: Any) -> str:
    return json.dumps(_json_value(value), ensure_ascii=False, separators=(",", ":"))


def write_json(out: BinaryIO, head: Row, rows: Iterable[Row], tail: Callable[[], Row]) -> None:
    """`{**head, "items": rows, **tail()}` written as `output.json_bytes` would."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    text.write("{")
    for key, value in head.items():
        text.write(f"{_dumps(key)}:{_dumps(value)},")
    text.write('"items":[')
    for index, row in enumerate(rows):
        text.write(("," if index else "") + _dumps(row))
    text.write("]")
    for key, value in tail().items():
        text.write(f",{_dumps(key)}:{_dumps(value)}")
    text.write("}")
    text.flush()
    text.detach()


def write_csv(out: BinaryIO, columns: Sequence[str], rows: Iterable[Row]) -> None:
    """UTF-8, CRLF, a header of the JSON names, empty cell for null (as `output.csv_bytes`)."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        cells = [_cell(row[name]) for name in columns]
        writer.writerow(["" if c is None else _json_value(c) for c in cells])
    text.flush()
    text.detach()


def write_xlsx(out: BinaryIO, title: str, columns: Sequence[str], rows: Iterable[Row]) -> None:
    """One sheet, typed cells (as `output.xlsx_bytes`); openpyxl's write-only mode keeps the
    rows in a temporary file, not in memory."""
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = _WORKBOOK_DATE
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_typed_cell(sheet, _cell(row[name])) for name in columns])
    workbook.save(out)


def write(
    fmt: ReportFormat,
    out: BinaryIO,
    *,
    stem: str,
    head: Row,
    rows: Iterable[Row],
    tail: Callable[[], Row],
    columns: Sequence[str],
) -> None:
    if fmt is ReportFormat.CSV:
        write_csv(out, columns, rows)
    elif fmt is ReportFormat.XLSX:
        write_xlsx(out, stem, columns, rows)
    else:
        write_json(out, head, rows, tail)
