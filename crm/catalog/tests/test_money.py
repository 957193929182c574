"""Money arithmetic: kopeck rounding, VAT splits, dated exchange rates, conversion and sums."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm.catalog.money import KOPECK, Money, VatSplit, convert, rate_on, round_money, sum_money, vat_split
from crm.catalog.tests.factories import ExchangeRateFactory, currency

D = Decimal
JAN_10 = datetime.date(2026, 1, 10)
JAN_15 = datetime.date(2026, 1, 15)
JAN_20 = datetime.date(2026, 1, 20)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), D("0.01")),
        (D("0.004999"), D("0.00")),
        (D("2.675"), D("2.68")),
        (D("-0.005"), D("-0.01")),
        (D("10"), D("10.00")),
    ],
)
def test_round_money_rounds_half_up_to_kopecks(value: Decimal, expected: Decimal) -> None:
    assert round_money(value) == expected
    assert round_money(value).as_tuple().exponent == KOPECK.as_tuple().exponent


@pytest.mark.parametrize(
    ("amount", "rate", "included", "expected"),
    [
        (D("120.00"), "20", True, VatSplit(net=D("100.00"), vat=D("20.00"), gross=D("120.00"))),
        (D("100.00"), "20", False, VatSplit(net=D("100.00"), vat=D("20.00"), gross=D("120.00"))),
        # 100 * 20 / 120 = 16.6666... -> 16.67, the net is what remains.
        (D("100.00"), "20", True, VatSplit(net=D("83.33"), vat=D("16.67"), gross=D("100.00"))),
        # 0.03 * 20% = 0.006 -> 0.01
        (D("0.03"), "20", False, VatSplit(net=D("0.03"), vat=D("0.01"), gross=D("0.04"))),
        # 0.025 * 20% = 0.005 -> half up to 0.01
        (D("0.025"), "20", False, VatSplit(net=D("0.03"), vat=D("0.01"), gross=D("0.04"))),
        (D("110.00"), "10", True, VatSplit(net=D("100.00"), vat=D("10.00"), gross=D("110.00"))),
        (D("99.99"), "10", False, VatSplit(net=D("99.99"), vat=D("10.00"), gross=D("109.99"))),
        (D("250.00"), "0", True, VatSplit(net=D("250.00"), vat=D("0.00"), gross=D("250.00"))),
        (D("250.00"), "none", False, VatSplit(net=D("250.00"), vat=D("0.00"), gross=D("250.00"))),
        (D("122.00"), "22", True, VatSplit(net=D("100.00"), vat=D("22.00"), gross=D("122.00"))),
    ],
)
def test_vat_split(amount: Decimal, rate: str, included: bool, expected: VatSplit) -> None:
    split = vat_split(amount, rate, included=included)
    assert split == expected
    assert split.net + split.vat == split.gross


def test_vat_split_refuses_an_unknown_rate() -> None:
    with pytest.raises(ValueError, match="Unknown VAT rate"):
        vat_split(D("1"), "18", included=True)


def test_money_of_one_currency_adds_and_of_two_refuses() -> None:
    assert Money(D("1.50"), "RUB") + Money(D("2.25"), "RUB") == Money(D("3.75"), "RUB")
    with pytest.raises(ValueError, match="Cannot add USD to RUB"):
        Money(D("1"), "RUB") + Money(D("1"), "USD")


@pytest.mark.django_db
def test_rate_on_takes_the_latest_rate_on_or_before_the_date() -> None:
    ExchangeRateFactory(on_date=JAN_10, rate=D("90"))
    ExchangeRateFactory(on_date=JAN_15, rate=D("91.5"))
    ExchangeRateFactory(on_date=JAN_20, rate=D("95"))
    assert rate_on("USD", JAN_10) == (D("90"), JAN_10)
    assert rate_on("USD", datetime.date(2026, 1, 17)) == (D("91.5"), JAN_15)
    assert rate_on("USD", datetime.date(2026, 3, 1)) == (D("95"), JAN_20)


@pytest.mark.django_db
def test_the_base_currency_has_rate_one_on_any_date() -> None:
    assert rate_on("RUB", JAN_10) == (D("1"), JAN_10)


@pytest.mark.django_db
def test_a_missing_rate_is_a_clear_error_naming_currency_and_date() -> None:
    ExchangeRateFactory(on_date=JAN_15, rate=D("91.5"))
    with pytest.raises(ValidationError) as error:
        rate_on("USD", JAN_10)
    assert error.value.code == "no_rate"
    assert "USD" in error.value.messages[0]
    assert "10.01.2026" in error.value.messages[0]


@pytest.mark.django_db
def test_convert_uses_the_rate_of_the_stated_date_and_rounds_to_kopecks() -> None:
    ExchangeRateFactory(on_date=JAN_10, rate=D("90"))
    ExchangeRateFactory(on_date=JAN_20, rate=D("95.1234"))
    assert convert(D("10"), "USD", "RUB", JAN_15) == D("900.00")
    assert convert(D("10"), "USD", "RUB", JAN_20) == D("951.23")
    assert convert(D("951.23"), "RUB", "USD", JAN_20) == D("10.00")
    assert convert(D("1.005"), "RUB", "RUB", JAN_20) == D("1.01")


@pytest.mark.django_db
def test_convert_between_two_foreign_currencies_goes_through_the_base() -> None:
    ExchangeRateFactory(on_date=JAN_10, rate=D("90"))
    ExchangeRateFactory(currency=currency("EUR"), on_date=JAN_10, rate=D("100"))
    assert convert(D("100"), "EUR", "USD", JAN_10) == D("111.11")


@pytest.mark.django_db
def test_summing_rubles_and_dollars_converts_instead_of_adding_numbers() -> None:
    ExchangeRateFactory(on_date=JAN_10, rate=D("90"))
    items = [Money(D("1000.00"), "RUB"), Money(D("10.00"), "USD"), Money(D("0.50"), "USD")]
    assert sum_money(items, "RUB", JAN_10) == Money(D("1945.00"), "RUB")
    assert sum_money(items, "USD", JAN_10) == Money(D("21.61"), "USD")


@pytest.mark.django_db
def test_summing_with_a_missing_rate_fails_rather_than_guessing() -> None:
    with pytest.raises(ValidationError):
        sum_money([Money(D("1"), "RUB"), Money(D("1"), "EUR")], "RUB", JAN_10)


def test_sum_of_nothing_is_zero_in_the_asked_currency() -> None:
    assert sum_money([], "RUB", JAN_10) == Money(D("0"), "RUB")
