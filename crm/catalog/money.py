"""Money arithmetic: Decimal amounts with a currency, kopeck rounding, VAT splits, dated conversion (S10, X9).

Amounts of different currencies are never added as plain numbers: `Money.__add__` refuses them and
`sum_money` converts each amount at the rate of a stated date first.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from crm.catalog.choices import VatRate
from crm.catalog.models import Currency, ExchangeRate

KOPECK = Decimal("0.01")
ZERO = Decimal("0")


def round_money(value: Decimal) -> Decimal:
    """The amount rounded to kopecks, half away from zero as accountants do (0.005 -> 0.01)."""
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    """An amount with its currency code."""

    amount: Decimal
    currency: str

    def __add__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise ValueError(f"Cannot add {other.currency} to {self.currency}: convert first.")
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise ValueError(f"Cannot subtract {other.currency} from {self.currency}: convert first.")
        return Money(self.amount - other.amount, self.currency)

    def rounded(self) -> "Money":
        return Money(round_money(self.amount), self.currency)

    def __str__(self) -> str:
        return f"{round_money(self.amount)} {self.currency}"


@dataclass(frozen=True)
class VatSplit:
    """An amount split into net, VAT and gross, each rounded to kopecks; net + vat == gross."""

    net: Decimal
    vat: Decimal
    gross: Decimal


def vat_percent(vat_rate: str) -> Decimal:
    """The VAT rate as a number of percent ("none" is 0)."""
    if vat_rate not in VatRate.values:
        raise ValueError(f"Unknown VAT rate {vat_rate!r}")
    return ZERO if vat_rate == VatRate.NONE else Decimal(vat_rate)


def vat_split(amount: Decimal, vat_rate: str, *, included: bool) -> VatSplit:
    """Split `amount` by `vat_rate`; `included` means the amount is gross (VAT inside), else it is net.

    The VAT is computed and rounded once; the other part is the difference, so the parts always add up
    (the rule of Russian invoices: VAT = gross * rate / (100 + rate), rounded to kopecks).
    """
    percent = vat_percent(vat_rate)
    if included:
        gross = round_money(amount)
        vat = round_money(gross * percent / (Decimal(100) + percent))
        return VatSplit(net=gross - vat, vat=vat, gross=gross)
    net = round_money(amount)
    vat = round_money(net * percent / Decimal(100))
    return VatSplit(net=net, vat=vat, gross=net + vat)


def base_currency_code() -> str:
    """The code of the base currency that rates are quoted in (RUB unless configured otherwise)."""
    code = Currency.objects.filter(is_base=True).values_list("code", flat=True).first()
    if code is None:
        raise ValidationError(_("No base currency is configured."), code="no_base_currency")
    return code


def rate_on(currency: str, on_date: date) -> tuple[Decimal, date]:
    """Base-currency units per one unit of `currency`: the latest rate on or before `on_date`, and its date."""
    if currency == base_currency_code():
        return Decimal(1), on_date
    found = (
        ExchangeRate.objects.filter(currency_id=currency, on_date__lte=on_date)
        .order_by("-on_date")
        .values_list("rate", "on_date")
        .first()
    )
    if found is None:
        raise ValidationError(
            _("There is no exchange rate of %(currency)s on or before %(date)s.")
            % {"currency": currency, "date": formats.date_format(on_date, "SHORT_DATE_FORMAT")},
            code="no_rate",
        )
    return found[0], found[1]


def convert(amount: Decimal, from_currency: str, to_currency: str, on_date: date) -> Decimal:
    """`amount` of `from_currency` in `to_currency` at the rates of `on_date`, rounded to kopecks.

    Cross rates go through the base currency: USD -> EUR is USD -> RUB -> EUR at the same date.
    """
    if from_currency == to_currency:
        return round_money(amount)
    from_rate, _from_date = rate_on(from_currency, on_date)
    to_rate, _to_date = rate_on(to_currency, on_date)
    # Divide once at the end, so the cross rate is not rounded twice.
    return round_money(amount * from_rate / to_rate)


def sum_money(items: Iterable[Money], currency: str, on_date: date) -> Money:
    """The total of `items` in `currency`: each amount converted at the rates of `on_date`, then added."""
    by_currency: dict[str, Decimal] = {}
    for item in items:
        by_currency[item.currency] = by_currency.get(item.currency, ZERO) + item.amount
    total = Money(ZERO, currency)
    for code, amount in sorted(by_currency.items()):
        total = total + Money(convert(amount, code, currency, on_date), currency)
    return total
