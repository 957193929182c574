"""Importing exchange rates from CSV: separators, decimal comma, encodings, nominal; a bad row stops all."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from crm.accounts.models import User
from crm.catalog.models import CatalogEvent, ExchangeRate
from crm.catalog.services import exchange_rates_import

pytestmark = pytest.mark.django_db

D = Decimal


def rates() -> list[tuple[str, datetime.date, Decimal]]:
    return list(ExchangeRate.objects.order_by("currency_id", "on_date").values_list("currency_id", "on_date", "rate"))


def test_a_good_semicolon_file_with_a_header_and_decimal_commas(administrator: User) -> None:
    content = "Дата;Валюта;Курс;Номинал\n10.01.2026;USD;90,1234\n2026-01-11;eur;99,5;1\n11.01.2026;CNY;128,44;10\n"

    result = exchange_rates_import(actor=administrator, content=content.encode("utf-8"))

    assert (result.imported, result.errors) == (3, [])
    assert rates() == [
        ("CNY", datetime.date(2026, 1, 11), D("12.844")),
        ("EUR", datetime.date(2026, 1, 11), D("99.5")),
        ("USD", datetime.date(2026, 1, 10), D("90.1234")),
    ]
    assert CatalogEvent.objects.get(kind="rates_imported").data == {"rows": 3}


def test_a_comma_separated_file_with_decimal_points_and_a_bom(administrator: User) -> None:
    content = '\ufeffdate,currency,rate\n2026-01-10,USD,90.5\n2026-01-10,EUR,"99,25"\n'
    result = exchange_rates_import(actor=administrator, content=content.encode("utf-8"))
    assert result.imported == 2
    assert rates() == [("EUR", datetime.date(2026, 1, 10), D("99.25")), ("USD", datetime.date(2026, 1, 10), D("90.5"))]


def test_a_windows_1251_file_is_read(administrator: User) -> None:
    content = "Дата;Валюта;Курс\n10.01.2026;USD;90,5\n"
    result = exchange_rates_import(actor=administrator, content=content.encode("cp1251"))
    assert result.imported == 1
    assert rates() == [("USD", datetime.date(2026, 1, 10), D("90.5"))]


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(administrator: User) -> None:
    content = (
        "2026-01-10;USD;90,5\n"
        "31.02.2026;USD;91\n"
        "2026-01-11;XXX;1\n"
        "2026-01-12;USD;abc\n"
        "2026-01-13;RUB;1\n"
        "2026-01-14;USD;-1\n"
        "2026-01-15;USD\n"
        "2026-01-10;USD;90,6\n"
        "2026-01-16;USD;90;0\n"
    )
    with translation.override("en"):
        result = exchange_rates_import(actor=administrator, content=content.encode("utf-8"))

    assert result.imported == 0
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "Cannot read the date 31.02.2026: use 2026-01-31 or 31.01.2026."),
        (3, "Unknown currency XXX: add it first."),
        (4, "Cannot read the rate abc."),
        (5, "RUB is the base currency: its rate is always 1."),
        (6, "The rate must be a positive number."),
        (7, "Expected 3 or 4 columns (date, currency, rate, nominal), found 2."),
        (8, "The rate of USD on this date is already on line 1."),
        (9, "The nominal must be a whole positive number."),
    ]
    assert result.errors[0].text == "31.02.2026;USD;91"
    assert not ExchangeRate.objects.exists()
    assert not CatalogEvent.objects.exists()


def test_an_empty_file_is_an_error(administrator: User) -> None:
    with translation.override("en"):
        result = exchange_rates_import(actor=administrator, content=b"date;currency;rate\n\n")
    assert [(e.line, e.message) for e in result.errors] == [(0, "The file has no rates.")]


def test_an_unquoted_decimal_comma_under_a_comma_header_is_read_as_one_rate(administrator: User) -> None:
    content = b"date,currency,rate\n2026-01-10,USD,90,5\n2026-01-11,USD,91\n"
    result = exchange_rates_import(actor=administrator, content=content)
    assert (result.imported, result.errors) == (2, [])
    assert [r[2] for r in rates()] == [D("90.5"), D("91")]
