"""Reads of the catalog for pages, exports and the API, built on access.py."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.catalog.access import (
    exchange_rates_visible_to,
    price_list_items_visible_to,
    price_lists_visible_to,
    price_rules_visible_to,
    product_groups_visible_to,
    products_visible_to,
)
from crm.catalog.filters import ProductFilter
from crm.catalog.models import CatalogEvent, ExchangeRate, PriceList, PriceListItem, PriceRule, Product, ProductGroup
from crm.catalog.money import round_money
from crm.core.db import contains_casefold


def product_list_for(user: User, params: QueryDict | dict[str, Any] | None = None) -> QuerySet[Product]:
    """Live products filtered as the list page asks, with what a row shows joined in."""
    queryset = products_visible_to(user).select_related("group", "cost_currency")
    if params is None:
        return queryset
    filtered: QuerySet[Product] = ProductFilter(params, queryset=queryset).qs
    return filtered


def product_export_headers() -> list[str]:
    return [
        _("Article number"), _("Name"), _("Type"), _("Group"), _("Unit"), _("VAT rate"),
        _("Purchase cost"), _("Cost currency"), _("On sale"),
    ]  # fmt: skip


def product_export_rows(products: QuerySet[Product]) -> Iterator[Sequence[Any]]:
    for product in products.order_by("name", "pk").iterator(chunk_size=2000):
        yield [
            product.sku,
            product.name,
            product.get_kind_display(),
            product.group.name if product.group else "",
            product.unit,
            product.get_vat_rate_display(),
            product.cost,
            product.cost_currency_id,
            product.is_active,
        ]


@dataclass(frozen=True)
class ProductPrice:
    price_list: PriceList
    price: Decimal | None


def product_prices(user: User, product: Product) -> list[ProductPrice]:
    """The product's price in every price list (None where it is not listed), in one query."""
    price = price_list_items_visible_to(user).filter(price_list=OuterRef("pk"), product=product).values("price")[:1]
    lists = price_lists_visible_to(user).select_related("currency").annotate(product_price=Subquery(price))
    return [
        ProductPrice(price_list=pl, price=None if pl.product_price is None else round_money(pl.product_price))
        for pl in lists
    ]


def product_groups_tree(user: User) -> list[ProductGroup]:
    """Every group in tree order (siblings by display order, then name) with its count of live products."""
    groups = list(
        product_groups_visible_to(user).annotate(product_count=Count("products", filter=Q(products__is_deleted=False)))
    )
    by_pk = {group.pk: group for group in groups}

    def tree_key(group: ProductGroup) -> list[tuple[int, str]]:
        # A path string sorts "12/" before "5/"; the ancestors' (position, name) give the order people set.
        ancestors = [by_pk[int(pk)] for pk in group.path.strip("/").split("/") if pk and int(pk) in by_pk]
        return [(a.position, a.name.casefold()) for a in ancestors]

    return sorted(groups, key=tree_key)


def price_lists_for(user: User) -> QuerySet[PriceList]:
    return price_lists_visible_to(user).select_related("currency").annotate(item_count=Count("items"))


def price_list_items_for(user: User, price_list: PriceList) -> QuerySet[PriceListItem]:
    return (
        price_list_items_visible_to(user)
        .filter(price_list=price_list, product__is_deleted=False)
        .select_related("product")
        .order_by("product__name", "product__pk")
    )


EDITOR_LIMIT = 200


def price_editor_rows(
    user: User, price_list: PriceList, *, q: str = "", group: ProductGroup | None = None, only_listed: bool = False
) -> list[tuple[Product, Decimal | None]]:
    """Products for the price table editor, each with its price in this price list (None if absent)."""
    price = PriceListItem.objects.filter(price_list=price_list, product=OuterRef("pk")).values("price")[:1]
    products = products_visible_to(user).annotate(list_price=Subquery(price))
    if q.strip():
        products = products.filter(contains_casefold("name", None, q.strip()) | Q(sku__startswith=q.strip()))
    if group is not None:
        products = products.filter(group__path__startswith=group.path)
    if only_listed:
        products = products.filter(list_price__isnull=False)
    return [(product, product.list_price) for product in products.order_by("name", "pk")[:EDITOR_LIMIT]]


def price_rules_for(user: User) -> list[PriceRule]:
    return list(
        price_rules_visible_to(user)
        .select_related("price_list__currency", "node__classifier")
        .order_by("position", "pk")
    )


def exchange_rates_for(user: User, *, currency: str | None = None, limit: int = 100) -> list[ExchangeRate]:
    rates = exchange_rates_visible_to(user).order_by("-on_date", "currency_id")
    if currency:
        rates = rates.filter(currency_id=currency)
    return list(rates[:limit])


def latest_rates(user: User, on_date: date) -> dict[str, ExchangeRate]:
    """The latest rate on or before the date, per currency."""
    latest: dict[str, ExchangeRate] = {}
    # A year back is enough for a "current rates" table; older rates stay reachable through rate_on().
    recent = exchange_rates_visible_to(user).filter(on_date__lte=on_date, on_date__gt=on_date - timedelta(days=366))
    for rate in recent.order_by("currency_id", "-on_date"):
        latest.setdefault(rate.currency_id, rate)
    return latest


def product_history(product: Product, *, limit: int = 20) -> list[CatalogEvent]:
    """The product's latest changes, its price changes in any price list included, newest first."""
    events = CatalogEvent.objects.filter(
        Q(entity="product", entity_id=str(product.pk)) | Q(entity="price_list", data__product=product.pk)
    )
    return list(events.select_related("actor").order_by("-at", "-pk")[:limit])
