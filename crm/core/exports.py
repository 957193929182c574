"""Any list of rows as CSV or XLSX, streamed and safe to open in a spreadsheet.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be taken
for a formula by Excel or LibreOffice (OWASP "CSV injection"). In CSV such text gets a leading
apostrophe; in XLSX it is written as a string with Excel's "quote prefix" style, so the value
stays intact (an E.164 phone keeps its `+`) yet can never run.
"""

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Literal

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

Cell = str | int | float | Decimal | bool | datetime.date | datetime.datetime | Promise | None
Format = Literal["csv", "xlsx"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
# Excel refuses sheet titles longer than 31 characters or holding any of these.
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def is_formula_like(value: str) -> bool:
    """Whether a spreadsheet would read this text as a formula."""
    return value.startswith(FORMULA_PREFIXES)


def neutralize(value: str) -> str:
    """The text with a leading apostrophe if a spreadsheet would run it as a formula."""
    return "'" + value if is_formula_like(value) else value


def _csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    return neutralize(str(value))


class _Echo:
    """A file-like object whose `write` hands the line back, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[Cell], rows: Iterable[Sequence[Cell]], *, delimiter: str = ";") -> Iterator[str]:
    """The CSV text line by line, starting with a BOM so Excel reads UTF-8 (Cyrillic) correctly."""
    writer = csv.writer(_Echo(), delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    yield BOM + writer.writerow([_csv_value(h) for h in headers])
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row])


def write_csv(out: IO[str], headers: Sequence[Cell], rows: Iterable[Sequence[Cell]], *, delimiter: str = ";") -> None:
    """Write the rows to a text stream (open it with newline="")."""
    for line in csv_lines(headers, rows, delimiter=delimiter):
        out.write(line)


def _xlsx_cell(sheet: object, value: Cell) -> WriteOnlyCell:
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones; the value is already local
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl turns any string starting with "=" into a formula; force a plain string.
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    elif isinstance(value, datetime.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def write_xlsx(
    out: IO[bytes], headers: Sequence[Cell], rows: Iterable[Sequence[Cell]], *, sheet_title: str = "Sheet1"
) -> None:
    """Write the rows to a binary stream as one worksheet; write-only mode keeps memory flat."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(sheet_title).translate(_SHEET_TITLE_FORBIDDEN)[:31] or "Sheet1")
    header_cells = []
    for header in headers:
        cell = _xlsx_cell(sheet, header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    book.save(out)


def export_response(
    fmt: Format,
    filename: str,
    headers: Sequence[Cell],
    rows: Iterable[Sequence[Cell]],
    *,
    delimiter: str = ";",
    sheet_title: str = "Sheet1",
) -> HttpResponseBase:
    """A download of the rows: CSV streamed line by line, XLSX spooled to a temporary file first."""
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            csv_lines(headers, rows, delimiter=delimiter), content_type=CSV_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if fmt == "xlsx":
        # The zip container needs a seekable file; spill to disk past 8 MB instead of holding it in memory.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
        write_xlsx(spool, headers, rows, sheet_title=sheet_title)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)
    raise ValueError(f"Unknown export format {fmt!r}")
