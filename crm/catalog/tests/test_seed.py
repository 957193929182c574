"""The demo catalog: realistic content, rules that resolve, rates for a month, and a second run adds nothing."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.catalog.models import ExchangeRate, PriceList, PriceListItem, PriceRule, Product, ProductGroup
from crm.catalog.money import convert
from crm.catalog.pricing import resolve_price
from crm.parties.models import ClassifierNode, PartyClassification
from crm.parties.tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (ProductGroup, Product, PriceList, PriceListItem, PriceRule, ExchangeRate))


def test_seed_catalog_is_realistic_and_idempotent() -> None:
    call_command("seed_catalog")
    first = counts()
    call_command("seed_catalog")

    assert counts() == first
    groups, products, price_lists, _items, rules, rates = first
    assert (groups, price_lists, rules, rates) == (12, 4, 5, 62)
    assert 38 <= products <= 45
    assert list(PriceRule.objects.order_by("position").values_list("price_list__name", flat=True)) == [
        "VIP", "Дилерский", "Оптовый", "Оптовый", "Розничный",
    ]  # fmt: skip
    assert convert(Decimal("100"), "USD", "RUB", timezone.localdate()) > Decimal("8000")


def test_seeded_rules_give_dealers_their_price_and_fall_back_for_services() -> None:
    call_command("seed_catalog")
    partner = PartyFactory(relationship="partner")
    server, training = Product.objects.get(sku="SRV-1U-64"), Product.objects.get(sku="EDU-USER")
    today = timezone.localdate()

    server_quote = resolve_price(party=partner, product=server, on_date=today)
    training_quote = resolve_price(party=partner, product=training, on_date=today)

    assert server_quote is not None
    assert training_quote is not None
    assert (server_quote.price_list.name, training_quote.price_list.name) == ("Дилерский", "Розничный")
    assert server_quote.price < resolve_price(party=PartyFactory(), product=server, on_date=today).price  # type: ignore[union-attr]


def test_a_loyal_client_gets_vip_prices() -> None:
    call_command("seed_catalog")
    party = PartyFactory()
    PartyClassification.objects.create(party=party, node=ClassifierNode.objects.get(name="Лояльный"))
    quote = resolve_price(party=party, product=Product.objects.get(sku="SUP-STD-M"), on_date=timezone.localdate())
    assert quote is not None
    assert quote.price_list.name == "VIP"
