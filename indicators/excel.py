"""The Excel round-trip for offline entry: template download, upload check, import.

Sheet layout (one sheet): row 1 a bilingual title and instructions, row 2 the machine-read
codes (``facility_code``, ``facility_name``, ``period``, ``status``, then one data element
code per column), row 3 the Indonesian names, row 4 the English names, data from row 5:
one row per facility × month. The importer finds columns by the codes in row 2, so the
column order does not matter.

This module only reads and writes xlsx: ``parse_upload`` turns a file into rows and
hands them to ``services.imports`` (row checks, comparison with the stored values,
warnings), which returns the ``ImportPlan`` the user previews; ``imports.import_apply``
writes it, all rows or none.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from facilities.models import Facility
from facilities.scoping import EDIT_REPORT, can

from .entry import MAX_VALUE
from .models import DataElement, DataValue, MonthlyReport
from .periods import format_period, parse_period
from .services import imports
from .services.imports import ImportPlan, SourceRow
from .validation import is_plain_number_text

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a 5 MB zip that inflates beyond this is refused
MAX_MONTHS = 24
MAX_DATA_ROWS = 10_000

SHEET_TITLE = "QI Portal"
TITLE_ROW, CODE_ROW, ID_ROW, EN_ROW, FIRST_DATA_ROW = 1, 2, 3, 4, 5
FACILITY_CODE, FACILITY_NAME, PERIOD, STATUS = "facility_code", "facility_name", "period", "status"
FIXED_COLUMNS = (FACILITY_CODE, FACILITY_NAME, PERIOD, STATUS)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Workbook texts: written in both languages whatever the user's language.
TITLE = gettext_lazy("QI Portal: monthly report template")
INSTRUCTIONS = gettext_lazy(
    "One row per facility and month. Enter whole numbers of 0 or more; an empty cell leaves "
    "the value as it is. Do not change rows 1–4 or the codes in row 2. Grey rows are "
    "submitted or approved and cannot be changed here."
)
FIXED_LABELS = {
    FACILITY_CODE: gettext_lazy("Facility code"),
    FACILITY_NAME: gettext_lazy("Facility"),
    PERIOD: gettext_lazy("Month (YYYY-MM)"),
    STATUS: gettext_lazy("Status"),
}
VALIDATION_TITLE = gettext_lazy("Whole number")
VALIDATION_ERROR = gettext_lazy("Enter a whole number from 0 to 1,000,000.")
NOT_STARTED = gettext_lazy("not started")

HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
UNLOCKED = Protection(locked=False)
_WHOLE_NUMBER = re.compile(r"^\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


# A text cell starting with one of these is run as a formula by Excel, LibreOffice or
# Sheets (=HYPERLINK(...) that leaks data, DDE): OWASP's CSV/formula injection.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value as the site writes it to a spreadsheet cell (xlsx here, CSV exports too):
    text that a spreadsheet would read as a formula gets a leading single quote, so it
    shows as the text it is. Numbers, dates and None pass unchanged (-3 stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _in_language(text, language: str) -> str:
    with translation.override(language):
        return str(text)


def _bilingual(text, separator: str = " / ") -> str:
    indonesian, english = _in_language(text, "id"), _in_language(text, "en")
    return indonesian if indonesian == english else f"{indonesian}{separator}{english}"


# ----------------------------------------------------------------------------- template
def build_template(*, facilities: Sequence[Facility], months: Sequence[dt.date], user) -> bytes:
    """An .xlsx template: one row per facility × month with the stored values pre-filled.

    Value cells of rows the user may edit are unlocked; the rest of the sheet is protected
    (no password: the protection guards against slips, it is not a security boundary)."""
    elements = list(DataElement.objects.all())
    reports = {
        (r.facility_id, r.period): r
        for r in MonthlyReport.objects.filter(facility__in=facilities, period__in=months)
    }
    stored: dict[tuple[int, dt.date], dict[str, int]] = {}
    for facility_id, period, code, value in DataValue.objects.filter(
        facility__in=facilities, period__in=months
    ).values_list("facility_id", "period", "element__code", "value"):
        stored.setdefault((facility_id, period), {})[code] = value

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    workbook.properties.creator = "QI Portal"
    codes = [*FIXED_COLUMNS, *(e.code for e in elements)]
    first_value_column = len(FIXED_COLUMNS) + 1
    last_column = get_column_letter(len(codes))
    _write_header(sheet, elements, codes)

    row_number = FIRST_DATA_ROW - 1
    for facility in facilities:
        editor = can(user, EDIT_REPORT, facility)
        for period in months:
            row_number += 1
            report = reports.get((facility.pk, period))
            editable = editor and (report is None or report.allows(EDIT_REPORT))
            values = stored.get((facility.pk, period), {})
            status = report.get_status_display() if report else str(NOT_STARTED)
            fixed = [facility.code, facility.name, format_period(period), status]
            for column, value in enumerate(fixed, start=1):
                cell = sheet.cell(row_number, column, safe_cell(value))
                cell.number_format = "@"
            for column, element in enumerate(elements, start=first_value_column):
                cell = sheet.cell(row_number, column, values.get(element.code))
                cell.number_format = "0"
                if editable:
                    cell.protection = UNLOCKED
            if not editable:
                for column in range(1, len(codes) + 1):
                    sheet.cell(row_number, column).fill = LOCKED_FILL

    if row_number >= FIRST_DATA_ROW:
        validation = DataValidation(
            type="whole",
            operator="between",
            formula1="0",
            formula2=str(MAX_VALUE),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_bilingual(VALIDATION_TITLE)[:32],
            error=_bilingual(VALIDATION_ERROR, "\n")[:255],
        )
        validation.add(
            f"{get_column_letter(first_value_column)}{FIRST_DATA_ROW}:{last_column}{row_number}"
        )
        sheet.add_data_validation(validation)

    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, first_value_column)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # allowed: widen a column, hide one
    sheet.protection.formatRows = False
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _write_header(sheet, elements: list[DataElement], codes: list[str]) -> None:
    last_column = len(codes)
    fixed_end = len(FIXED_COLUMNS)
    sheet.cell(TITLE_ROW, 1, safe_cell(_bilingual(TITLE))).font = Font(bold=True, size=12)
    sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=fixed_end)
    sheet.cell(TITLE_ROW, fixed_end + 1, safe_cell(_bilingual(INSTRUCTIONS, "\n")))
    sheet.merge_cells(
        start_row=TITLE_ROW, start_column=fixed_end + 1, end_row=TITLE_ROW, end_column=last_column
    )
    for column in (1, fixed_end + 1):
        sheet.cell(TITLE_ROW, column).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[TITLE_ROW].height = 64

    for column, code in enumerate(codes, start=1):
        element = elements[column - fixed_end - 1] if column > fixed_end else None
        names = (
            (element.name_id, element.name_en or element.name_id)
            if element
            else (_in_language(FIXED_LABELS[code], "id"), _in_language(FIXED_LABELS[code], "en"))
        )
        header = [(CODE_ROW, code, Font(bold=True, name="Consolas"))]
        header += [(ID_ROW, names[0], Font(bold=True)), (EN_ROW, names[1], Font(italic=True))]
        for row, text, font in header:
            cell = sheet.cell(row, column, safe_cell(text))
            cell.font = font
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = {FACILITY_CODE: 14, FACILITY_NAME: 32, PERIOD: 11, STATUS: 13}.get(code)
        sheet.column_dimensions[get_column_letter(column)].width = width or max(
            14, min(len(code) + 3, 26)
        )
    sheet.row_dimensions[ID_ROW].height = 62
    sheet.row_dimensions[EN_ROW].height = 62


def template_filename(scope_code: str, months: Sequence[dt.date]) -> str:
    safe = re.sub(r"[^A-Za-z0-9.-]+", "-", scope_code)
    return f"qi-portal-{safe}-{format_period(months[0])}-{format_period(months[-1])}.xlsx"


# ----------------------------------------------------------------------------- parsing
def parse_upload(file, *, user) -> ImportPlan:
    """Check an uploaded file completely and plan its import; never writes."""
    plan = ImportPlan()
    sheet = _open_sheet(file, plan)
    if sheet is None:
        return plan
    columns = _read_code_row(sheet, plan)
    if columns is None:
        return plan
    rows = _read_rows(sheet, columns, plan, user=user)
    return imports.plan_rows(
        rows, plan, sheet=sheet.title, locate=lambda code: get_column_letter(columns[code])
    )


def _open_sheet(file, plan: ImportPlan):
    name = getattr(file, "name", "") or ""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        imports.add_problem(
            plan,
            _("The file is larger than %(limit)s MB. Split it into smaller files.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
        return None
    if not name.lower().endswith(".xlsx"):
        imports.add_problem(
            plan, _("Only Excel .xlsx files can be imported (download the template).")
        )
        return None
    corrupt = _("The file cannot be read as an Excel .xlsx workbook: it is damaged or not Excel.")
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                imports.add_problem(plan, corrupt)
                return None
        file.seek(0)
        workbook = load_workbook(file, data_only=False)
    except Exception:  # zip, XML or openpyxl errors alike: the file is unreadable
        imports.add_problem(plan, corrupt)
        return None
    if not workbook.worksheets:
        imports.add_problem(plan, corrupt)
        return None
    return workbook.worksheets[0]


def _read_code_row(sheet, plan: ImportPlan) -> dict[str, int] | None:
    """``{code: column index}`` from row 2; None when the row is unusable."""
    cells = [
        (cell.column, str(cell.value).strip())
        for cell in next(sheet.iter_rows(min_row=CODE_ROW, max_row=CODE_ROW), ())
        if not _is_empty(cell.value)
    ]
    found = {code for _column, code in cells}
    if FACILITY_CODE not in found or PERIOD not in found:
        imports.add_problem(
            plan,
            _(
                "Row 2 must hold the column codes of the template (facility_code, period and "
                "data element codes). Download a new template."
            ),
            sheet=sheet.title,
            row=CODE_ROW,
        )
        return None
    known = set(DataElement.objects.values_list("code", flat=True))
    columns: dict[str, int] = {}
    for column, code in cells:
        if code not in known and code not in FIXED_COLUMNS:
            message = _("Unknown data element code “%(code)s” in row 2.")
        elif code in columns:
            message = _("The code “%(code)s” appears twice in row 2.")
        else:
            columns[code] = column
            continue
        imports.add_problem(
            plan,
            message % {"code": code},
            sheet=sheet.title,
            row=CODE_ROW,
            column=get_column_letter(column),
            code=code,
        )
    return columns


def _read_rows(sheet, columns: dict[str, int], plan: ImportPlan, *, user) -> list[SourceRow]:
    """Cells → rows; the format-independent row checks are ``imports.RowChecker``'s."""
    element_columns = {c: i for c, i in columns.items() if c not in FIXED_COLUMNS}
    raw_rows = []
    for cells in sheet.iter_rows(min_row=FIRST_DATA_ROW):
        by_column = {cell.column: cell for cell in cells}
        if all(_is_empty(cell.value) for cell in cells):
            continue
        raw_rows.append((cells[0].row, by_column))
    if len(raw_rows) > MAX_DATA_ROWS:
        imports.add_problem(
            plan,
            _("The file has more than %(count)s rows. Split it into smaller files.")
            % {"count": f"{MAX_DATA_ROWS:,}"},
            sheet=sheet.title,
        )
        return []
    checker = imports.RowChecker(
        plan,
        user=user,
        codes={_text(r[1].get(columns[FACILITY_CODE])) for r in raw_rows},
        sheet=sheet.title,
        locate=lambda code: get_column_letter(columns[code]),
    )
    rows = []
    for number, by_column in raw_rows:
        before = len(plan.problems)
        facility = checker.facility(
            number, _text(by_column.get(columns[FACILITY_CODE])), FACILITY_CODE
        )
        period_cell = by_column.get(columns[PERIOD])
        period = checker.period(number, _period(period_cell), _text(period_cell), PERIOD)
        checker.duplicate(number, facility, period, FACILITY_CODE)
        values = {}
        for element_code, column in element_columns.items():
            value, message = _count(by_column.get(column))
            if message:
                checker.problem(number, message, element_code)
            elif value is not None:
                values[element_code] = value
        if len(plan.problems) == before:
            rows.append(SourceRow(number, facility, period, values))
    return rows


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(cell) -> str:
    if cell is None or cell.value is None:
        return ""
    return str(cell.value).strip()


def _period(cell) -> dt.date | None:
    value = cell.value if cell is not None else None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):  # Excel may turn a typed "2025-03" into 1 March 2025
        return value if value.day == 1 else None
    return parse_period(str(value).strip()) if value is not None else None


def _count(cell) -> tuple[int | None, str | None]:
    """(value, None) for a count, (None, None) for an empty cell, (None, message) if bad."""
    if cell is None or _is_empty(cell.value):
        return None, None
    value = cell.value
    if cell.data_type == "f" or (isinstance(value, str) and value.strip().startswith("=")):
        return None, _("Formulas are not accepted: enter the number itself.")
    if isinstance(value, str):
        text = value.strip()
        if not is_plain_number_text(value):
            return None, _("“%(value)s” is not a number.") % {"value": text[:40]}
        if _WHOLE_NUMBER.match(text):
            value = int(text)
        elif _NUMBER.match(text):
            value = float(text.replace(",", "."))
        else:
            return None, _("“%(value)s” is not a number.") % {"value": text[:40]}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, _("“%(value)s” is not a number.") % {"value": str(value)[:40]}
    if value < 0:
        return None, _("The number cannot be negative.")
    if isinstance(value, float):
        if not value.is_integer():
            return None, _("%(value)s is not a whole number.") % {"value": f"{value:g}"}
        value = int(value)
    if value > MAX_VALUE:
        return None, _("%(value)s is too large for one month (at most %(max)s).") % {
            "value": value,
            "max": f"{MAX_VALUE:,}",
        }
    return value, None
