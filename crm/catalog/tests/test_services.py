"""Writes to the catalog: validation by field, versions, trash, group paths, prices, rules, currencies, rates."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm.accounts.models import User
from crm.catalog import services
from crm.catalog.models import CatalogEvent, ExchangeRate, PriceListItem, PriceRule, Product, ProductGroup
from crm.catalog.tests.factories import (
    ExchangeRateFactory,
    PriceListFactory,
    PriceListItemFactory,
    PriceRuleFactory,
    ProductFactory,
    ProductGroupFactory,
    currency,
)

pytestmark = pytest.mark.django_db

PRODUCT = {
    "sku": "SRV-1",
    "name": "Сервер",
    "kind": "product",
    "unit": "шт",
    "vat_rate": "20",
    "cost": Decimal("10.50"),
}


def test_a_product_is_created_in_the_base_currency_and_recorded(administrator: User) -> None:
    product = services.product_create(actor=administrator, data=PRODUCT)

    assert (product.sku, product.cost, product.cost_currency_id, product.version) == (
        "SRV-1",
        Decimal("10.50"),
        "RUB",
        1,
    )
    event = CatalogEvent.objects.get(entity="product")
    assert (event.entity_id, event.kind, event.actor) == (str(product.pk), "created", administrator)


def test_a_duplicate_article_number_is_refused_by_field(administrator: User) -> None:
    ProductFactory(sku="SRV-1")
    with pytest.raises(ValidationError) as error:
        services.product_create(actor=administrator, data=PRODUCT)
    assert list(error.value.message_dict) == ["sku"]
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("cost", Decimal("-1")), ("vat_rate", "18"), ("name", ""), ("kind", "gift")],
)
def test_bad_product_fields_are_refused_by_field(administrator: User, field: str, value: object) -> None:
    with pytest.raises(ValidationError) as error:
        services.product_create(actor=administrator, data={**PRODUCT, field: value})
    assert field in error.value.message_dict
    assert not Product.objects.exists()


def test_an_update_records_the_changes_and_bumps_the_version(administrator: User) -> None:
    product = ProductFactory(name="Старое", cost=Decimal("1.00"))

    services.product_update(
        actor=administrator, product=product, data={"name": "Новое", "cost": Decimal("2.00")}, expected_version=1
    )

    product.refresh_from_db()
    assert (product.name, product.cost, product.version) == ("Новое", Decimal("2.00"), 2)
    event = CatalogEvent.objects.get(kind="changed")
    assert event.data == {"changes": {"name": ["Старое", "Новое"], "cost": ["1.00", "2.00"]}}


def test_a_stale_version_is_refused_and_changes_nothing(administrator: User) -> None:
    product = ProductFactory(name="Старое")
    services.product_update(actor=administrator, product=product, data={"name": "Первое"}, expected_version=1)
    stale = Product.objects.get(pk=product.pk)
    stale.version = 1

    with pytest.raises(ValidationError) as error:
        services.product_update(actor=administrator, product=stale, data={"name": "Второе"}, expected_version=1)

    assert error.value.code == "stale"
    assert Product.objects.get(pk=product.pk).name == "Первое"


def test_delete_moves_to_the_trash_and_restore_brings_back(administrator: User) -> None:
    product = ProductFactory()
    services.product_delete(actor=administrator, product=product)
    assert Product.objects.get(pk=product.pk).is_deleted is True
    services.product_restore(actor=administrator, product=product)
    restored = Product.objects.get(pk=product.pk)
    assert (restored.is_deleted, restored.deleted_at, restored.deleted_by) == (False, None, None)
    assert list(CatalogEvent.objects.order_by("pk").values_list("kind", flat=True)) == ["deleted", "restored"]


def test_groups_keep_paths_when_created_and_moved(administrator: User) -> None:
    hardware = services.product_group_create(actor=administrator, name="Оборудование")
    servers = services.product_group_create(actor=administrator, name="Серверы", parent=hardware)
    racks = services.product_group_create(actor=administrator, name="Стойки", parent=servers)
    software = services.product_group_create(actor=administrator, name="ПО")
    assert (servers.path, racks.path, racks.depth) == (f"{hardware.pk}/{servers.pk}/", servers.path + f"{racks.pk}/", 2)

    services.product_group_move(actor=administrator, group=servers, parent=software)

    servers.refresh_from_db()
    racks.refresh_from_db()
    assert (servers.path, servers.depth) == (f"{software.pk}/{servers.pk}/", 1)
    assert (racks.path, racks.depth) == (f"{software.pk}/{servers.pk}/{racks.pk}/", 2)
    services.product_group_move(actor=administrator, group=servers, parent=None)
    racks.refresh_from_db()
    assert (racks.path, racks.depth) == (f"{servers.pk}/{racks.pk}/", 1)


def test_a_group_cannot_move_into_its_own_subtree(administrator: User) -> None:
    top = services.product_group_create(actor=administrator, name="Верх")
    child = services.product_group_create(actor=administrator, name="Низ", parent=top)
    with pytest.raises(ValidationError) as error:
        services.product_group_move(actor=administrator, group=top, parent=child)
    assert list(error.value.message_dict) == ["parent"]
    top.refresh_from_db()
    assert (top.parent, top.path) == (None, f"{top.pk}/")


def test_sibling_groups_need_distinct_names(administrator: User) -> None:
    services.product_group_create(actor=administrator, name="ПО")
    with pytest.raises(ValidationError) as error:
        services.product_group_create(actor=administrator, name=" ПО ")
    assert list(error.value.message_dict) == ["name"]


def test_a_group_with_products_or_subgroups_is_not_deleted(administrator: User) -> None:
    group = ProductGroupFactory()
    ProductFactory(group=group)
    with pytest.raises(ValidationError):
        services.product_group_delete(actor=administrator, group=group)
    parent = ProductGroupFactory()
    ProductGroupFactory(parent=parent)
    with pytest.raises(ValidationError):
        services.product_group_delete(actor=administrator, group=parent)
    assert ProductGroup.objects.count() == 3
    empty = ProductGroupFactory()
    services.product_group_delete(actor=administrator, group=empty)
    assert not ProductGroup.objects.filter(pk=empty.pk).exists()


def test_a_price_list_period_must_not_end_before_it_starts(administrator: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.price_list_create(
            actor=administrator,
            data={
                "name": "Акция",
                "currency": currency(),
                "valid_from": datetime.date(2026, 3, 1),
                "valid_to": datetime.date(2026, 2, 1),
            },
        )
    assert list(error.value.message_dict) == ["valid_to"]


def test_a_price_list_used_by_a_rule_is_not_deleted(administrator: User) -> None:
    rule = PriceRuleFactory()
    with pytest.raises(ValidationError):
        services.price_list_delete(actor=administrator, price_list=rule.price_list)
    assert PriceRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("price", [Decimal("-0.01"), Decimal("1.001"), Decimal("NaN")])
def test_bad_prices_are_refused(administrator: User, price: Decimal) -> None:
    price_list, product = PriceListFactory(), ProductFactory()
    with pytest.raises(ValidationError) as error:
        services.price_set(actor=administrator, price_list=price_list, product=product, price=price)
    assert list(error.value.message_dict) == ["price"]
    assert not PriceListItem.objects.exists()


def test_the_price_table_saves_all_or_nothing(administrator: User) -> None:
    price_list = PriceListFactory()
    kept, dropped, added = ProductFactory(), ProductFactory(), ProductFactory()
    PriceListItemFactory(price_list=price_list, product=kept, price=Decimal("10.00"))
    PriceListItemFactory(price_list=price_list, product=dropped, price=Decimal("20.00"))

    with pytest.raises(ValidationError):
        services.price_list_prices_save(
            actor=administrator,
            price_list=price_list,
            prices={kept.pk: Decimal("11.00"), dropped.pk: None, added.pk: Decimal("-5")},
        )
    assert dict(price_list.items.values_list("product_id", "price")) == {
        kept.pk: Decimal("10.00"),
        dropped.pk: Decimal("20.00"),
    }

    counts = services.price_list_prices_save(
        actor=administrator,
        price_list=price_list,
        prices={kept.pk: Decimal("11.00"), dropped.pk: None, added.pk: Decimal("5.50")},
    )
    assert counts == (2, 1)
    assert dict(price_list.items.values_list("product_id", "price")) == {
        kept.pk: Decimal("11.00"),
        added.pk: Decimal("5.50"),
    }


def test_rules_are_appended_moved_and_renumbered(administrator: User) -> None:
    retail, dealer = PriceListFactory(), PriceListFactory()
    fallback = services.price_rule_create(actor=administrator, price_list=retail)
    partner = services.price_rule_create(actor=administrator, price_list=dealer, relationship="partner")
    assert (fallback.position, partner.position) == (1, 2)

    services.price_rule_move(actor=administrator, rule=partner, direction="up")
    assert list(PriceRule.objects.order_by("position").values_list("pk", "position")) == [
        (partner.pk, 1),
        (fallback.pk, 2),
    ]
    with pytest.raises(ValidationError):
        services.price_rule_move(actor=administrator, rule=partner, direction="up")

    services.price_rule_delete(actor=administrator, rule=partner)
    assert list(PriceRule.objects.values_list("pk", "position")) == [(fallback.pk, 1)]


def test_reordering_must_name_every_rule_once(administrator: User) -> None:
    first, second = PriceRuleFactory(position=1), PriceRuleFactory(position=2)
    with pytest.raises(ValidationError):
        services.price_rules_reorder(actor=administrator, ordered_ids=[second.pk])
    services.price_rules_reorder(actor=administrator, ordered_ids=[second.pk, first.pk])
    assert list(PriceRule.objects.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]


def test_a_rule_with_an_unknown_relationship_is_refused(administrator: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.price_rule_create(actor=administrator, price_list=PriceListFactory(), relationship="friend")
    assert list(error.value.message_dict) == ["relationship"]


def test_a_currency_needs_a_new_three_letter_code(administrator: User) -> None:
    added = services.currency_add(actor=administrator, code="gbp", name="Фунт стерлингов", symbol="£")
    assert (added.code, added.is_base) == ("GBP", False)
    for code in ("GBP", "US", "1AB"):
        with pytest.raises(ValidationError) as error:
            services.currency_add(actor=administrator, code=code, name="X")
        assert list(error.value.message_dict) == ["code"]


def test_entering_a_rate_replaces_that_days_rate(administrator: User) -> None:
    usd = currency("USD")
    day = datetime.date(2026, 1, 10)
    services.exchange_rate_set(actor=administrator, currency=usd, on_date=day, rate=Decimal("90"))
    services.exchange_rate_set(actor=administrator, currency=usd, on_date=day, rate=Decimal("91.25"))
    assert list(ExchangeRate.objects.values_list("on_date", "rate")) == [(day, Decimal("91.25"))]
    event = CatalogEvent.objects.filter(entity="exchange_rate").latest("pk")
    assert (event.kind, event.data["previous"]) == ("changed", "90.000000")


@pytest.mark.parametrize(
    ("code", "rate", "field"), [("RUB", "1", "currency"), ("USD", "0", "rate"), ("USD", "-2", "rate")]
)
def test_bad_rates_are_refused(administrator: User, code: str, rate: str, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.exchange_rate_set(
            actor=administrator, currency=currency(code), on_date=datetime.date(2026, 1, 1), rate=Decimal(rate)
        )
    assert list(error.value.message_dict) == [field]
    assert not ExchangeRate.objects.exists()


def test_rates_import_factory_rate_is_overwritten(administrator: User) -> None:
    ExchangeRateFactory(on_date=datetime.date(2026, 1, 15), rate=Decimal("80"))
    result = services.exchange_rates_import(actor=administrator, content=b"2026-01-15;USD;90,5\n")
    assert (result.imported, result.errors) == (1, [])
    assert ExchangeRate.objects.get().rate == Decimal("90.5")


def test_the_currency_of_a_price_list_with_prices_cannot_change(administrator: User) -> None:
    item = PriceListItemFactory()
    with pytest.raises(ValidationError) as error:
        services.price_list_update(actor=administrator, price_list=item.price_list, data={"currency": currency("USD")})
    assert list(error.value.message_dict) == ["currency"]
    item.price_list.refresh_from_db()
    assert item.price_list.currency_id == "RUB"
    empty = PriceListFactory()
    services.price_list_update(actor=administrator, price_list=empty, data={"currency": currency("USD")})
    assert empty.currency_id == "USD"
