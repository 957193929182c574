"""CSV and XLSX export: encoding for Excel, formula injection neutralised, rows streamed."""

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse

from crm.core.exports import Cell, csv_lines, export_response, neutralize, write_csv, write_xlsx

# Excel has no time zones: what comes back from a sheet is naive.
NAIVE_LEAP_DAY = datetime.datetime(2024, 2, 29).replace(tzinfo=None)  # noqa: DTZ001
NAIVE_MORNING = datetime.datetime(2024, 1, 2, 10, 30)  # noqa: DTZ001
DANGEROUS = ["=1+2", "+79161234567", "-2+3", "@SUM(A1:A2)", "\t=cmd", "\r=cmd"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_like_text_gets_an_apostrophe(value: str) -> None:
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize("value", ["Иванов", "a=b", "", " =x", "'quoted"])
def test_harmless_text_is_kept(value: str) -> None:
    assert neutralize(value) == value


def test_csv_has_bom_semicolons_and_neutralised_cells() -> None:
    out = io.StringIO(newline="")

    write_csv(
        out,
        ["Имя", "Сумма", "Дата", "Формула"],
        [["ООО «Ромашка»; филиал", Decimal("-10.50"), datetime.date(2024, 2, 29), '=HYPERLINK("http://x")']],
    )

    assert out.getvalue() == (
        '\ufeffИмя;Сумма;Дата;Формула\r\n"ООО «Ромашка»; филиал";-10.50;2024-02-29;"\'=HYPERLINK(""http://x"")"\r\n'
    )


def test_csv_numbers_stay_numbers_and_none_is_empty() -> None:
    lines = list(csv_lines(["a", "b", "c", "d"], [[-5, 1.5, None, True]], delimiter=","))

    assert lines == ["\ufeffa,b,c,d\r\n", "-5,1.5,,1\r\n"]


def test_csv_is_produced_lazily() -> None:
    consumed = []

    def rows() -> Iterator[list[Cell]]:
        for number in range(1_000_000):
            consumed.append(number)
            yield [number]

    lines = csv_lines(["n"], rows())
    assert [next(lines), next(lines), next(lines)] == ["\ufeffn\r\n", "0\r\n", "1\r\n"]
    assert consumed == [0, 1]


def test_xlsx_keeps_values_and_stores_formula_like_text_as_text() -> None:
    out = io.BytesIO()

    write_xlsx(
        out,
        ["Имя", "Телефон", "Сумма", "Дата", "Пусто"],
        [
            ["=1+2", "+79161234567", 1500, datetime.date(2024, 2, 29), None],
            ["@SUM(A1)", "-x", -3.5, datetime.datetime(2024, 1, 2, 10, 30, tzinfo=datetime.UTC), "Иванов"],
        ],
        sheet_title="Клиенты: [все]",
    )

    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "Клиенты   все "
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values == [
        ["Имя", "Телефон", "Сумма", "Дата", "Пусто"],
        ["=1+2", "+79161234567", 1500, NAIVE_LEAP_DAY, None],
        ["@SUM(A1)", "-x", -3.5, NAIVE_MORNING, "Иванов"],
    ]
    formula_cells = [sheet["A2"], sheet["B2"], sheet["A3"], sheet["B3"]]
    assert [(c.data_type, c.quotePrefix) for c in formula_cells] == [("s", True)] * 4
    assert (sheet["E3"].data_type, sheet["E3"].quotePrefix) == ("s", False)
    assert sheet["A1"].font.b is True


def test_csv_response_streams() -> None:
    response = export_response("csv", "clients", ["Имя"], iter([["Иванов"], ["=cmd"]]))

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="clients.csv"'
    assert b"".join(response.streaming_content).decode("utf-8") == "\ufeffИмя\r\nИванов\r\n'=cmd\r\n"  # type: ignore[arg-type]


def test_xlsx_response() -> None:
    response = export_response("xlsx", "clients", ["Имя"], iter([["Иванов"]]))

    assert isinstance(response, FileResponse)
    assert 'filename="clients.xlsx"' in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[arg-type]
    assert book.active is not None
    assert book.active["A2"].value == "Иванов"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="pdf"):
        export_response("pdf", "x", [], [])  # type: ignore[arg-type]
