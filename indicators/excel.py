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

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from facilities.models import Facility
from facilities.scoping import EDIT_REPORT, can
from facilities.selectors import month_scope_q

from .entry import MAX_VALUE
from .models import DataElement, DataValue, MonthlyReport
from .periods import format_period, parse_period
from .services import imports
from .services.imports import ImportPlan, SourceRow
from .validation import is_plain_number_text

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
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
        for r in MonthlyReport.objects.visible_to(user).filter(
            facility__in=facilities, period__in=months
        )
    }
    stored: dict[tuple[int, dt.date], dict[str, int]] = {}
    for facility_id, period, code, value in DataValue.objects.filter(
        month_scope_q(user), facility__in=facilities, period__in=months
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
# An upload is a zip of XML. Before openpyxl reads it, the zip directory is checked
# (sizes as declared there: zipfile never inflates a member beyond its declared size),
# then the sheet is streamed (read-only mode) and reading stops at the row limit.
MAX_ZIP_MEMBERS = 100  # a template has 9 parts, one saved by Excel about 15
MAX_COMPRESSION_RATIO = 100  # a template's sheet packs about 11:1; a bomb thousands:1
RATIO_CHECKED_FROM = 64 * 1024  # tiny parts may pack well: only larger ones are checked
MAX_COLUMNS = 1_000  # a template has 4 + one column per data element
MAX_SHEET_ROWS = 2 * MAX_DATA_ROWS  # rows read (empty ones too) before giving up


CORRUPT = gettext_lazy(
    "The file cannot be read as an Excel .xlsx workbook: it is damaged or not Excel."
)


def max_unpacked_bytes() -> int:
    """Setting ``QI_IMPORT_MAX_UNPACKED_BYTES``: the workbook's parts together, unpacked.
    A district-year template (~30 facilities × 12 months) unpacks to about 0.7 MB, two
    districts × 24 months (1,056 rows) to 1.9 MB: 5 MB allows about 2,500 rows."""
    return int(getattr(settings, "QI_IMPORT_MAX_UNPACKED_BYTES", 5 * 1024 * 1024))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def parse_upload(file, *, user) -> ImportPlan:
    """Check an uploaded file completely and plan its import; never writes."""
    plan = ImportPlan()
    workbook = _open_workbook(file, plan)
    if workbook is None:
        return plan
    known = set(DataElement.objects.values_list("code", flat=True))
    try:
        read = _read_sheet(workbook, known, plan)
    except Exception:  # XML or zip errors surface while streaming: the file is unreadable
        plan.problems = []
        imports.add_problem(plan, str(CORRUPT))
        return plan
    finally:
        workbook.close()
    if read is None:
        return plan
    title, columns, raw_rows = read
    rows = _check_rows(title, columns, raw_rows, plan, user=user)
    return imports.plan_rows(
        rows, plan, sheet=title, locate=lambda code: get_column_letter(columns[code])
    )


def _open_workbook(file, plan: ImportPlan):
    """The workbook in read-only (streaming) mode, or None with the reason in ``plan``:
    too large, not .xlsx, not a zip, or a zip that would unpack to too much."""
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
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            refusal = zip_refusal(archive.infolist())
    except Exception:  # not a zip, a truncated one, a damaged directory
        imports.add_problem(plan, str(CORRUPT))
        return None
    if refusal:
        imports.add_problem(plan, refusal)
        return None
    try:
        file.seek(0)
        # data_only=False: a formula cell reads as its formula ("=E6-1") and is refused,
        # rather than as the result Excel cached (or None when nothing computed it).
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception:  # zip, XML or openpyxl errors alike: the file is unreadable
        imports.add_problem(plan, str(CORRUPT))
        return None
    if not workbook.worksheets:
        workbook.close()
        imports.add_problem(plan, str(CORRUPT))
        return None
    return workbook


def zip_refusal(members: Sequence[zipfile.ZipInfo]) -> str | None:
    """Why a zip directory is refused before anything is unpacked, or None."""
    if len(members) > MAX_ZIP_MEMBERS:
        return _(
            "The file holds %(count)s parts, more than an Excel workbook has (at most "
            "%(limit)s). Download the template and copy your values into it."
        ) % {"count": f"{len(members):,}", "limit": MAX_ZIP_MEMBERS}
    limit = max_unpacked_bytes()
    if sum(member.file_size for member in members) > limit:
        return _(
            "The workbook unpacks to more than %(limit)s MB. Split it into smaller files "
            "(fewer facilities or months per file)."
        ) % {"limit": _megabytes(limit)}
    for member in members:
        if member.file_size >= RATIO_CHECKED_FROM and (
            member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            return _(
                "The file is packed far more tightly than an Excel workbook can be (a part "
                "unpacks to more than %(ratio)s times its size): it was not read. Download "
                "the template and copy your values into it."
            ) % {"ratio": MAX_COMPRESSION_RATIO}
    return None


def _read_sheet(workbook, known: set[str], plan: ImportPlan):
    """Stream the first sheet: ``(title, {code: column}, [(row number, values), ...])``,
    or None with the reason in ``plan``. Reads at most ``MAX_DATA_ROWS`` + 1 filled rows
    (and ``MAX_SHEET_ROWS`` rows in all) and ``max(columns)`` columns per row."""
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # the file's <dimension> may lie: never size reads by it
    columns = _read_code_row(sheet, known, plan)
    if columns is None:
        return None
    width = max(columns.values())
    raw_rows = []
    for number, values in _sheet_rows(sheet, width):
        if number >= FIRST_DATA_ROW + MAX_SHEET_ROWS:
            imports.add_problem(
                plan,
                _(
                    "The sheet goes on past row %(row)s. Delete the empty rows below your "
                    "data, or split the file."
                )
                % {"row": f"{number - 1:,}"},
                sheet=sheet.title,
            )
            return None
        if all(_is_empty(value) for value in values):
            continue
        if len(raw_rows) == MAX_DATA_ROWS:
            imports.add_problem(
                plan,
                _("The file has more than %(count)s rows. Split it into smaller files.")
                % {"count": f"{MAX_DATA_ROWS:,}"},
                sheet=sheet.title,
            )
            return None
        raw_rows.append((number, values))
    return sheet.title, columns, raw_rows


def _sheet_rows(sheet, width: int):
    """``(row number, values)`` of the data rows, one at a time, ``width`` values each."""
    rows = sheet.iter_rows(min_row=FIRST_DATA_ROW, max_col=width, values_only=True)
    return enumerate(rows, start=FIRST_DATA_ROW)


def _read_code_row(sheet, known: set[str], plan: ImportPlan) -> dict[str, int] | None:
    """``{code: column number}`` from row 2; None when the row is unusable."""
    row = next(sheet.iter_rows(min_row=CODE_ROW, max_row=CODE_ROW, values_only=True), ())
    cells = [
        (column, str(value).strip())
        for column, value in enumerate(row, start=1)
        if not _is_empty(value)
    ]
    if cells and cells[-1][0] > MAX_COLUMNS:
        imports.add_problem(
            plan,
            _("Row 2 goes on past column %(column)s: a template has far fewer columns.")
            % {"column": get_column_letter(MAX_COLUMNS)},
            sheet=sheet.title,
            row=CODE_ROW,
        )
        return None
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


def _check_rows(
    title: str, columns: dict[str, int], raw_rows: list, plan: ImportPlan, *, user
) -> list[SourceRow]:
    """Values → rows; the format-independent row checks are ``imports.RowChecker``'s."""
    element_columns = {c: i for c, i in columns.items() if c not in FIXED_COLUMNS}

    def cell(values, code):
        index = columns[code] - 1
        return values[index] if index < len(values) else None

    checker = imports.RowChecker(
        plan,
        user=user,
        codes={_text(cell(values, FACILITY_CODE)) for _number, values in raw_rows},
        sheet=title,
        locate=lambda code: get_column_letter(columns[code]),
    )
    rows = []
    for number, values in raw_rows:
        before = len(plan.problems)
        facility = checker.facility(number, _text(cell(values, FACILITY_CODE)), FACILITY_CODE)
        period_value = cell(values, PERIOD)
        period = checker.period(number, _period(period_value), _text(period_value), PERIOD)
        checker.duplicate(number, facility, period, FACILITY_CODE)
        counts = {}
        for element_code in element_columns:
            value, message = _count(cell(values, element_code))
            if message:
                checker.problem(number, message, element_code)
            elif value is not None:
                counts[element_code] = value
        if len(plan.problems) == before:
            rows.append(SourceRow(number, facility, period, counts))
    return rows


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _period(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):  # Excel may turn a typed "2025-03" into 1 March 2025
        return value if value.day == 1 else None
    return parse_period(str(value).strip()) if value is not None else None


def _count(value) -> tuple[int | None, str | None]:
    """(value, None) for a count, (None, None) for an empty cell, (None, message) if bad.
    Read with data_only=False, a formula arrives as its text ("=E6-1") or as an
    openpyxl formula object (array and data-table formulas)."""
    if _is_empty(value):
        return None, None
    if isinstance(value, ArrayFormula | DataTableFormula) or (
        isinstance(value, str) and value.strip().startswith("=")
    ):
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
