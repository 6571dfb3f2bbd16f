"""Writing tables as CSV and XLSX, safely.

A :class:`Sheet` is a title, localised column headers and rows of plain values (str,
int, float, Decimal, date, None). :func:`to_csv` writes a header comment block (lines
starting with "#") describing the export, then each sheet; :func:`to_xlsx` writes one
worksheet per sheet plus an "About" sheet with the same description.

Spreadsheet formula injection: a text cell that begins with = + - @ TAB or CR is
neutralised with a leading apostrophe in both formats, so a facility called
"=HYPERLINK(…)" is shown, never run. Real numbers are never text: a negative count stays
a number in XLSX (and an unquoted -3 in CSV, which no spreadsheet runs)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from indicators.excel import FORMULA_TRIGGERS, safe_cell

DANGEROUS = FORMULA_TRIGGERS  # = + - @ TAB CR: the one list, with the Excel template's
NUMBER = (int, float, Decimal)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def neutralise(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would read as a formula."""
    return safe_cell(value)


def cell_value(value):
    """The value to write: numbers and dates as they are, everything else as safe text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, NUMBER):
        return float(value) if isinstance(value, Decimal) else value
    if isinstance(value, dt.date | dt.datetime):
        return value
    return neutralise(str(value))


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""  # one line under the title (e.g. what a marker column means)


@dataclass
class About:
    """What an export is made of: (label, value) lines, in the user's language."""

    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    heading: str = "About"


def _csv_text(value) -> str:
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_csv(sheets: list[Sheet], about: About) -> bytes:
    """UTF-8 with a byte-order mark (Excel opens it as UTF-8), comma separated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"# {neutralise(about.title)}"])
    for label, value in about.lines:
        writer.writerow([f"# {label}: {value}"])
    for sheet in sheets:
        writer.writerow([])
        if len(sheets) > 1:
            writer.writerow([f"# {sheet.title}"])
        if sheet.note:
            writer.writerow([f"# {sheet.note}"])
        writer.writerow([_csv_text(h) for h in sheet.headers])
        for row in sheet.rows:
            writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join("_" if c in "[]:*?/\\" else c for c in title).strip("'")[:31] or "Sheet"
    name, n = clean, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _write(ws, row: int, values: list, bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col)
        value = cell_value(value)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = TYPE_STRING  # never a formula, whatever openpyxl guesses
        if bold:
            cell.font = Font(bold=True)


def to_xlsx(sheets: list[Sheet], about: About) -> bytes:
    workbook = Workbook()
    used: set[str] = set()
    first = True
    for sheet in sheets:
        ws = workbook.active if first else workbook.create_sheet()
        first = False
        ws.title = _sheet_title(sheet.title, used)
        row = 1
        if sheet.note:
            _write(ws, row, [sheet.note])
            row += 1
        _write(ws, row, sheet.headers, bold=True)
        ws.freeze_panes = ws.cell(row=row + 1, column=1)
        for values in sheet.rows:
            row += 1
            _write(ws, row, values)
        for col, header in enumerate(sheet.headers, start=1):
            width = min(max(len(str(header)), 8) + 2, 40)
            ws.column_dimensions[get_column_letter(col)].width = width
    ws = workbook.active if first else workbook.create_sheet()
    ws.title = _sheet_title(about.heading, used)
    _write(ws, 1, [about.title], bold=True)
    for row, (label, value) in enumerate(about.lines, start=2):
        _write(ws, row, [label, value])
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
