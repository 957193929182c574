"""Price resolution by the client's status: classifier nodes with descendants, relationship, fallback chain."""

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from crm.catalog.models import PriceList, PriceRule, Product
from crm.catalog.pricing import price_chain_for, resolve_price
from crm.catalog.tests.factories import (
    PriceListFactory,
    PriceListItemFactory,
    PriceRuleFactory,
    ProductFactory,
    currency,
)
from crm.parties.models import ClassifierNode, Party, PartyClassification
from crm.parties.tests.factories import ClassifierFactory, ClassifierNodeFactory, PartyFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def product() -> Product:
    return ProductFactory()


@pytest.fixture
def dealers() -> ClassifierNode:
    return ClassifierNodeFactory(classifier=ClassifierFactory(name="Статус"), name="Дилеры")


@pytest.fixture
def retail(product: Product) -> PriceList:
    price_list = PriceListFactory(name="Розничный")
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("1200.00"))
    return price_list


@pytest.fixture
def dealer(product: Product) -> PriceList:
    price_list = PriceListFactory(name="Дилерский")
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("900.00"))
    return price_list


def place(party: Party, node: ClassifierNode) -> None:
    PartyClassification.objects.create(party=party, node=node)


def test_a_node_rule_beats_the_fallback(
    product: Product, dealers: ClassifierNode, retail: PriceList, dealer: PriceList
) -> None:
    rule = PriceRuleFactory(position=1, price_list=dealer, node=dealers)
    PriceRuleFactory(position=2, price_list=retail)
    party = PartyFactory()
    place(party, dealers)

    quote = resolve_price(party=party, product=product, on_date=TODAY)

    assert quote is not None
    assert (quote.price, quote.currency, quote.vat_included, quote.price_list, quote.rule) == (
        Decimal("900.00"),
        "RUB",
        True,
        dealer,
        rule,
    )
    assert quote.explanation == "Price list «Дилерский», rule 1: client in «Дилеры»."


def test_a_client_outside_the_node_gets_the_fallback(
    product: Product, dealers: ClassifierNode, retail: PriceList, dealer: PriceList
) -> None:
    PriceRuleFactory(position=1, price_list=dealer, node=dealers)
    fallback = PriceRuleFactory(position=2, price_list=retail)

    quote = resolve_price(party=PartyFactory(), product=product, on_date=TODAY)

    assert quote is not None
    assert (quote.price, quote.price_list, quote.rule) == (Decimal("1200.00"), retail, fallback)
    assert quote.explanation == "Price list «Розничный», rule 2: any client."


def test_a_client_in_a_descendant_node_fits_the_ancestors_rule(
    product: Product, dealers: ClassifierNode, retail: PriceList, dealer: PriceList
) -> None:
    gold = ClassifierNodeFactory(classifier=dealers.classifier, parent=dealers, name="Золотые")
    PriceRuleFactory(position=1, price_list=dealer, node=dealers)
    PriceRuleFactory(position=2, price_list=retail)
    party = PartyFactory()
    place(party, gold)

    quote = resolve_price(party=party, product=product, on_date=TODAY)

    assert quote is not None
    assert quote.price_list == dealer


def test_a_client_in_a_sibling_node_does_not_fit(
    product: Product, dealers: ClassifierNode, retail: PriceList, dealer: PriceList
) -> None:
    sibling = ClassifierNodeFactory(classifier=dealers.classifier, name="Прочие")
    PriceRuleFactory(position=1, price_list=dealer, node=dealers)
    PriceRuleFactory(position=2, price_list=retail)
    party = PartyFactory()
    place(party, sibling)

    quote = resolve_price(party=party, product=product, on_date=TODAY)

    assert quote is not None
    assert quote.price_list == retail


def test_a_relationship_rule_fits_only_that_relationship(
    product: Product, retail: PriceList, dealer: PriceList
) -> None:
    PriceRuleFactory(position=1, price_list=dealer, relationship="partner")
    PriceRuleFactory(position=2, price_list=retail)

    partner_quote = resolve_price(party=PartyFactory(relationship="partner"), product=product, on_date=TODAY)
    client_quote = resolve_price(party=PartyFactory(relationship="client"), product=product, on_date=TODAY)

    assert partner_quote is not None
    assert client_quote is not None
    assert (partner_quote.price_list, client_quote.price_list) == (dealer, retail)
    assert partner_quote.explanation == "Price list «Дилерский», rule 1: relationship: partner."


def test_a_rule_with_node_and_relationship_needs_both(
    product: Product, dealers: ClassifierNode, retail: PriceList, dealer: PriceList
) -> None:
    PriceRuleFactory(position=1, price_list=dealer, node=dealers, relationship="partner")
    PriceRuleFactory(position=2, price_list=retail)
    in_node_but_client = PartyFactory(relationship="client")
    place(in_node_but_client, dealers)
    both = PartyFactory(relationship="partner")
    place(both, dealers)

    assert (
        getattr(resolve_price(party=in_node_but_client, product=product, on_date=TODAY), "price_list", None) == retail
    )
    assert getattr(resolve_price(party=both, product=product, on_date=TODAY), "price_list", None) == dealer


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "is_active"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 2, 28), True),  # expired the day before
        (datetime.date(2026, 3, 2), None, True),  # not yet valid
        (None, None, False),  # switched off
    ],
)
def test_a_price_list_not_valid_on_the_date_is_skipped(
    valid_from: datetime.date | None,
    valid_to: datetime.date | None,
    is_active: bool,
    product: Product,
    retail: PriceList,
) -> None:
    promo = PriceListFactory(name="Акция", valid_from=valid_from, valid_to=valid_to, is_active=is_active)
    PriceListItemFactory(price_list=promo, product=product, price=Decimal("500.00"))
    PriceRuleFactory(position=1, price_list=promo)
    PriceRuleFactory(position=2, price_list=retail)

    quote = resolve_price(party=PartyFactory(), product=product, on_date=TODAY)

    assert quote is not None
    assert quote.price_list == retail


def test_a_price_list_valid_on_its_boundary_days_is_used(product: Product, retail: PriceList) -> None:
    promo = PriceListFactory(name="Акция", valid_from=TODAY, valid_to=TODAY)
    PriceListItemFactory(price_list=promo, product=product, price=Decimal("500.00"))
    PriceRuleFactory(position=1, price_list=promo)
    PriceRuleFactory(position=2, price_list=retail)

    quote = resolve_price(party=PartyFactory(), product=product, on_date=TODAY)

    assert quote is not None
    assert quote.price == Decimal("500.00")


def test_a_price_list_without_the_product_falls_through_and_says_so(
    product: Product, dealers: ClassifierNode, retail: PriceList
) -> None:
    empty_dealer = PriceListFactory(name="Дилерский")
    PriceListItemFactory(price_list=empty_dealer)  # prices another product only
    PriceRuleFactory(position=1, price_list=empty_dealer, node=dealers)
    PriceRuleFactory(position=2, price_list=retail)
    party = PartyFactory()
    place(party, dealers)

    quote = resolve_price(party=party, product=product, on_date=TODAY)

    assert quote is not None
    assert quote.price_list == retail
    assert quote.explanation == (
        "Price list «Розничный», rule 2: any client. Fallback: the product is not in «Дилерский»."
    )


def test_no_fitting_rule_gives_no_price(product: Product, dealers: ClassifierNode, dealer: PriceList) -> None:
    PriceRuleFactory(position=1, price_list=dealer, node=dealers)

    assert resolve_price(party=PartyFactory(), product=product, on_date=TODAY) is None


def test_no_price_list_with_the_product_gives_no_price(retail: PriceList) -> None:
    PriceRuleFactory(position=1, price_list=retail)

    assert resolve_price(party=PartyFactory(), product=ProductFactory(), on_date=TODAY) is None


def test_the_quote_carries_the_price_lists_currency_and_vat_mode(product: Product) -> None:
    export = PriceListFactory(name="Экспорт", currency=currency("USD"), vat_included=False)
    PriceListItemFactory(price_list=export, product=product, price=Decimal("15.50"))
    PriceRuleFactory(position=1, price_list=export)

    quote = resolve_price(party=PartyFactory(), product=product, on_date=TODAY)

    assert quote is not None
    assert (quote.price, quote.currency, quote.vat_included) == (Decimal("15.50"), "USD", False)


def test_the_chain_lists_fitting_valid_price_lists_in_rule_order(
    dealers: ClassifierNode, retail: PriceList, dealer: PriceList
) -> None:
    vip = PriceListFactory(name="VIP")
    first = PriceRuleFactory(position=1, price_list=vip, relationship="partner")
    second = PriceRuleFactory(position=2, price_list=dealer, node=dealers)
    third = PriceRuleFactory(position=3, price_list=retail)
    PriceRuleFactory(position=4, price_list=retail, relationship="client")  # same list again: listed once
    party = PartyFactory(relationship="client")
    place(party, dealers)

    assert price_chain_for(party, TODAY) == [(dealer, second), (retail, third)]
    assert first not in [rule for _pl, rule in price_chain_for(party, TODAY)]


def test_resolution_takes_a_constant_number_of_queries(
    django_assert_max_num_queries: DjangoAssertNumQueries, product: Product, dealers: ClassifierNode, retail: PriceList
) -> None:
    for position in range(1, 21):
        PriceRuleFactory(position=position, price_list=PriceListFactory(), node=ClassifierNodeFactory())
    PriceRuleFactory(position=99, price_list=retail)
    party = PartyFactory()
    place(party, dealers)

    with django_assert_max_num_queries(3):
        quote = resolve_price(party=party, product=product, on_date=TODAY)
    assert quote is not None
    assert quote.rule == PriceRule.objects.get(position=99)
