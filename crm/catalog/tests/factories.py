"""factory_boy factories of the catalog: groups, products, price lists with items, price rules, rates."""

import datetime
from decimal import Decimal

import factory

from crm.catalog.choices import ProductKind, VatRate
from crm.catalog.models import (
    Currency,
    ExchangeRate,
    PriceList,
    PriceListItem,
    PriceRule,
    Product,
    ProductGroup,
)


def currency(code: str = "RUB") -> Currency:
    """One of the currencies the migration creates (RUB is the base)."""
    return Currency.objects.get(code=code)


class ProductGroupFactory(factory.django.DjangoModelFactory):
    """A group with its materialised path, as product_group_create computes it."""

    class Meta:
        model = ProductGroup
        skip_postgeneration_save = True

    parent = None
    name = factory.Sequence(lambda n: f"Группа {n}")

    @factory.post_generation
    def set_path(self, create: bool, extracted: object, **kwargs: object) -> None:
        self.path = f"{self.parent.path if self.parent else ''}{self.pk}/"
        self.depth = self.parent.depth + 1 if self.parent else 0
        if create:
            self.save(update_fields=["path", "depth"])


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    kind = ProductKind.PRODUCT
    sku = factory.Sequence(lambda n: f"ART-{n:05d}")
    name = factory.Sequence(lambda n: f"Товар {n:04d}")
    group = None
    unit = "шт"
    vat_rate = VatRate.TWENTY
    cost = Decimal("100.00")
    cost_currency = factory.LazyFunction(currency)


class ServiceFactory(ProductFactory):
    kind = ProductKind.SERVICE
    name = factory.Sequence(lambda n: f"Услуга {n:04d}")
    unit = "ч"


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList

    name = factory.Sequence(lambda n: f"Прайс-лист {n}")
    currency = factory.LazyFunction(currency)
    vat_included = True
    valid_from = None
    valid_to = None
    is_active = True


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    price = Decimal("1000.00")


class PriceRuleFactory(factory.django.DjangoModelFactory):
    """A rule; without node and relationship it fits everyone (a fallback)."""

    class Meta:
        model = PriceRule

    position = factory.Sequence(lambda n: n + 1)
    price_list = factory.SubFactory(PriceListFactory)
    node = None
    relationship = ""


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate

    currency = factory.LazyFunction(lambda: currency("USD"))
    on_date = datetime.date(2026, 1, 15)
    rate = Decimal("90.000000")
