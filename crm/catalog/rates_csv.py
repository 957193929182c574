"""Reading exchange rates from CSV: date;currency;rate[;nominal], as banks and the Central Bank publish them.

Accepts a comma or a semicolon between columns, a decimal comma or point, UTF-8 (with or without BOM)
or Windows-1251, dates as 2026-01-31 or 31.01.2026, and an optional header line. With commas between
columns a decimal comma must be quoted, unless a header shows that the row has one cell too many. Every row is checked
before anything is written, so a file is imported whole or not at all.
"""

import csv
import datetime
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from crm.catalog.models import Currency

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
RATE_PLACES = Decimal("0.000001")
HEADER_WORDS = {"date", "дата"}


@dataclass(frozen=True)
class RateRow:
    line: int
    on_date: datetime.date
    currency: str
    rate: Decimal  # per one unit, rounded to six places


@dataclass(frozen=True)
class RowError:
    line: int
    text: str
    message: str


def decode(content: bytes) -> str:
    """UTF-8 when it decodes cleanly (BOM dropped), else Windows-1251, the usual Russian Excel export."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1251", errors="replace")


def _parse_date(text: str) -> datetime.date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValueError(text)


def _parse_number(text: str) -> Decimal:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    number = Decimal(cleaned)
    if not number.is_finite():
        raise InvalidOperation(text)
    return number


def parse_rates_csv(content: bytes, currencies: Mapping[str, Currency]) -> tuple[list[RateRow], list[RowError]]:
    """The rows of the file, or the errors of every bad row (an empty row list then)."""
    if len(content) > MAX_BYTES:
        return [], [RowError(0, "", _("The file is larger than 2 MB."))]
    text = decode(content)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if ";" in first else ("\t" if "\t" in first else ",")
    rows: list[RateRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, datetime.date], int] = {}
    header_width = 0
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        raw = delimiter.join(cells)
        if not rows and not errors and cells[0].strip().casefold() in HEADER_WORDS:
            header_width = len(cells)
            continue
        if delimiter == "," and header_width and len(cells) == header_width + 1 and cells[3].strip().isdigit():
            # "2026-01-10,USD,90,5" under a three-column header: an unquoted decimal comma split the rate.
            cells = [*cells[:2], f"{cells[2]}.{cells[3].strip()}", *cells[4:]]
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(RowError(number, raw, _("More than %(count)s rows: split the file.") % {"count": MAX_ROWS}))
            break
        row, message = _parse_row(number, cells, currencies)
        if row is not None:
            key = (row.currency, row.on_date)
            if key in seen:
                message = _("The rate of %(currency)s on this date is already on line %(line)s.") % {
                    "currency": row.currency,
                    "line": seen[key],
                }
            else:
                seen[key] = number
                rows.append(row)
                continue
        errors.append(RowError(number, raw, message))
    if not rows and not errors:
        errors.append(RowError(0, "", _("The file has no rates.")))
    return ([] if errors else rows), errors


def _parse_row(number: int, cells: list[str], currencies: Mapping[str, Currency]) -> tuple[RateRow | None, str]:
    if len(cells) not in (3, 4):
        return None, _("Expected 3 or 4 columns (date, currency, rate, nominal), found %(count)s.") % {
            "count": len(cells)
        }
    try:
        on_date = _parse_date(cells[0])
    except ValueError:
        return None, _("Cannot read the date %(value)s: use 2026-01-31 or 31.01.2026.") % {"value": cells[0].strip()}
    code = cells[1].strip().upper()
    currency = currencies.get(code)
    if currency is None:
        return None, _("Unknown currency %(code)s: add it first.") % {"code": code}
    if currency.is_base:
        return None, _("%(code)s is the base currency: its rate is always 1.") % {"code": code}
    try:
        rate = _parse_number(cells[2])
    except (InvalidOperation, ValueError):
        return None, _("Cannot read the rate %(value)s.") % {"value": cells[2].strip()}
    nominal = Decimal(1)
    if len(cells) == 4 and cells[3].strip():
        try:
            nominal = _parse_number(cells[3])
        except (InvalidOperation, ValueError):
            return None, _("Cannot read the nominal %(value)s.") % {"value": cells[3].strip()}
        if nominal <= 0 or nominal != nominal.to_integral_value():
            return None, _("The nominal must be a whole positive number.")
    if rate <= 0:
        return None, _("The rate must be a positive number.")
    per_unit = (rate / nominal).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    if per_unit <= 0 or per_unit >= Decimal("1e12"):
        return None, _("The rate is out of range.")
    return RateRow(line=number, on_date=on_date, currency=code, rate=per_unit), ""
