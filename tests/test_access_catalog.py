"""Who may see and change the catalog: URL x method x persona (S10, X9).

Every signed-in user sees products, groups, price lists, rules, currencies and rates; only holders of
`catalog.manage_catalog` (the head of sales and the administrator) change them. The quote explainer and
`POST /api/v1/catalog/quote/` read only, but answer 404 for a client the user cannot see.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from crm.accounts.models import User
from crm.catalog.models import (
    CatalogEvent,
    Currency,
    ExchangeRate,
    PriceList,
    PriceListItem,
    PriceRule,
    Product,
    ProductGroup,
)
from crm.catalog.tests.factories import (
    ExchangeRateFactory,
    PriceListFactory,
    PriceListItemFactory,
    PriceRuleFactory,
    ProductFactory,
    ProductGroupFactory,
)
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from tests.access import Case, anonymous_status, check_access, everyone, only, send_request


@dataclass
class World:
    party: Party
    group: ProductGroup
    empty_group: ProductGroup
    product: Product
    other: Product
    trashed: Product
    price_list: PriceList
    spare_list: PriceList
    rule: PriceRule
    second_rule: PriceRule


@pytest.fixture
def world(manager: User) -> World:
    party = PartyFactory(responsible=manager, name="ООО Ромашка", relationship="partner")
    group = ProductGroupFactory(name="Оборудование")
    empty_group = ProductGroupFactory(name="Пустая")
    product = ProductFactory(name="Сервер", sku="SRV-1", group=group)
    other = ProductFactory(name="Коммутатор", sku="NET-1", group=group)
    trashed = ProductFactory(name="Старый", sku="OLD-1", is_deleted=True)
    price_list = PriceListFactory(name="Розничный")
    spare_list = PriceListFactory(name="Запасной")
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("100.00"))
    rule = PriceRuleFactory(position=1, price_list=price_list, relationship="partner")
    second_rule = PriceRuleFactory(position=2, price_list=price_list)
    ExchangeRateFactory(on_date=datetime.date(2026, 1, 10), rate=Decimal("90"))
    return World(party, group, empty_group, product, other, trashed, price_list, spare_list, rule, second_rule)


WorldCase = Case["World"]

PRODUCT: Callable[[World], list[Any]] = lambda w: [w.product.pk]  # noqa: E731
LIST: Callable[[World], list[Any]] = lambda w: [w.price_list.pk]  # noqa: E731
RULE: Callable[[World], list[Any]] = lambda w: [w.rule.pk]  # noqa: E731
GROUP: Callable[[World], list[Any]] = lambda w: [w.group.pk]  # noqa: E731
MANAGERS = ("head_of_sales", "administrator")
#                 manager colleague lead outsider head marketer operator admin
SEE_PARTY = (200, 404, 200, 404, 200, 200, 200, 200)


def manage(ok: int) -> tuple[int, ...]:
    return only(ok, *MANAGERS)


PRODUCT_FORM = {"kind": "product", "sku": "SRV-2", "name": "Сервер 2", "unit": "шт", "vat_rate": "20",
                "cost": "10", "cost_currency": "RUB", "is_active": "on", "version": "1"}  # fmt: skip
LIST_FORM = {"name": "Оптовый", "currency": "RUB", "vat_included": "on", "is_active": "on"}

CASES: list[WorldCase] = [
    # pages
    Case("catalog:product-list", "get", everyone(200)),
    Case("catalog:product-export", "get", everyone(200), lambda w: ["csv"]),
    Case("catalog:product-create", "get", manage(200)),
    Case("catalog:product-create", "post", manage(302), data=PRODUCT_FORM),
    Case("catalog:product-trash", "get", manage(200)),
    Case("catalog:product-detail", "get", everyone(200), PRODUCT),
    Case("catalog:product-update", "get", manage(200), PRODUCT),
    Case("catalog:product-update", "post", manage(302), PRODUCT, {**PRODUCT_FORM, "sku": "SRV-1"}),
    Case("catalog:product-delete", "post", manage(302), PRODUCT),
    Case("catalog:product-restore", "post", manage(302), lambda w: [w.trashed.pk]),
    Case("catalog:group-list", "get", everyone(200)),
    Case("catalog:group-list", "post", manage(302), data={"name": "Новая группа"}),
    Case("catalog:group-rename", "post", manage(302), GROUP, {"name": "Техника"}),
    Case("catalog:group-move", "post", manage(302), GROUP, lambda w: {"parent": w.empty_group.pk}),
    Case("catalog:group-delete", "post", manage(302), lambda w: [w.empty_group.pk]),
    Case("catalog:price-list-list", "get", everyone(200)),
    Case("catalog:price-list-create", "get", manage(200)),
    Case("catalog:price-list-create", "post", manage(302), data=LIST_FORM),
    Case("catalog:price-list-detail", "get", everyone(200), LIST),
    Case("catalog:price-list-detail", "post", manage(302), LIST, lambda w: {f"price_{w.product.pk}": "120"}),
    Case("catalog:price-list-update", "get", manage(200), LIST),
    Case("catalog:price-list-update", "post", manage(302), LIST, {**LIST_FORM, "name": "Розница"}),
    Case("catalog:price-list-delete", "post", manage(302), lambda w: [w.spare_list.pk]),
    Case("catalog:rule-list", "get", everyone(200)),
    Case("catalog:rule-list", "post", manage(302), data=lambda w: {"price_list": w.spare_list.pk}),
    Case("catalog:rule-update", "get", manage(200), RULE),
    Case("catalog:rule-update", "post", manage(302), RULE, lambda w: {"price_list": w.spare_list.pk}),
    Case("catalog:rule-delete", "post", manage(302), RULE),
    Case("catalog:rule-move", "post", manage(302), RULE, {"direction": "down"}),
    Case(
        "catalog:quote",
        "get",
        everyone(200),
        data=lambda w: {"party": w.party.pk, "product": w.product.pk, "on_date": "2026-03-01"},
    ),  # fmt: skip
    Case("catalog:currency-list", "get", everyone(200)),
    Case("catalog:currency-list", "post", manage(302), data={"code": "GBP", "name": "Фунт", "symbol": "£"}),
    Case("catalog:rate-create", "post", manage(302), data={"currency": "USD", "on_date": "2026-01-11", "rate": "91"}),
    Case("catalog:rate-import", "post", manage(200), data={"file": ""}),  # an empty upload: the form's error
    # API
    Case("api:product-list", "get", everyone(200)),
    Case("api:product-list", "post", manage(201), data={"sku": "SRV-3", "name": "Сервер 3"}, json=True),
    Case("api:product-detail", "get", everyone(200), PRODUCT),
    Case("api:product-detail", "patch", manage(200), PRODUCT, {"name": "Сервер Про", "version": 1}, json=True),
    Case("api:product-detail", "delete", manage(204), PRODUCT),
    Case("api:product-group-list", "get", everyone(200)),
    Case("api:product-group-list", "post", manage(201), data={"name": "ПО"}, json=True),
    Case("api:price-list-list", "get", everyone(200)),
    Case("api:price-list-list", "post", manage(201), data={"name": "Оптовый", "currency": "RUB"}, json=True),
    Case("api:price-list-detail", "get", everyone(200), LIST),
    Case("api:price-list-detail", "patch", manage(200), LIST, {"is_active": False}, json=True),
    Case("api:price-list-detail", "delete", manage(204), lambda w: [w.spare_list.pk]),
    Case("api:price-list-items", "get", everyone(200), LIST),
    Case("api:price-list-items", "post", manage(200), LIST, lambda w: {"product": w.other.pk, "price": "5"}, json=True),
    Case("api:price-list-item-detail", "delete", manage(204), lambda w: [w.price_list.pk, w.product.pk]),
    Case("api:price-rule-list", "get", everyone(200)),
    Case("api:price-rule-list", "post", manage(201), data=lambda w: {"price_list": w.spare_list.pk}, json=True),
    Case("api:price-rule-detail", "get", everyone(200), RULE),
    Case("api:price-rule-detail", "patch", manage(200), RULE, {"relationship": "client"}, json=True),
    Case("api:price-rule-detail", "delete", manage(204), RULE),
    Case(
        "api:price-rule-reorder",
        "post",
        manage(200),
        data=lambda w: {"order": [w.second_rule.pk, w.rule.pk]},
        json=True,
    ),
    Case("api:currency-list", "get", everyone(200)),
    Case("api:currency-list", "post", manage(201), data={"code": "GBP", "name": "Фунт"}, json=True),
    Case("api:exchange-rate-list", "get", everyone(200)),
    Case(
        "api:exchange-rate-list",
        "post",
        manage(201),
        data={"currency": "USD", "on_date": "2026-01-11", "rate": "91.5"},
        json=True,
    ),  # fmt: skip
    Case("api:exchange-rate-import", "post", manage(400)),  # no file: the serializer's error
    Case(
        "api:quote",
        "post",
        SEE_PARTY,
        data=lambda w: {"party": w.party.pk, "product": w.product.pk, "date": "2026-03-01"},
        json=True,
    ),  # fmt: skip
]


def _snapshot(world: World) -> dict[str, Any]:
    """Everything a refused request could have changed."""
    rows = {
        model.__name__: list(model._default_manager.order_by("pk").values())
        for model in (Product, ProductGroup, PriceList, PriceListItem, PriceRule, Currency, ExchangeRate)
    }
    return {**rows, "events": CatalogEvent.objects.count()}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[f"{c.id}-{i}" for i, c in enumerate(CASES)])
def test_access(request: pytest.FixtureRequest, world: World, case: WorldCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.method == "get"], ids=lambda c: c.id)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: World, case: WorldCase) -> None:
    assert send_request(client, case, world) == anonymous_status(case, {})
