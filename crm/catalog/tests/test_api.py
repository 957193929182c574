"""The catalog over REST: lists with the page's filters, versioned PATCH, prices, rules, rates, the quote."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from crm.accounts.models import User
from crm.catalog.models import ExchangeRate, PriceListItem, PriceRule, Product
from crm.catalog.tests.factories import (
    PriceListFactory,
    PriceListItemFactory,
    PriceRuleFactory,
    ProductFactory,
    ProductGroupFactory,
)
from crm.parties.models import PartyClassification
from crm.parties.tests.factories import ClassifierNodeFactory, PartyFactory

pytestmark = pytest.mark.django_db


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    # force_authenticate skips the token authentication that picks the user's language: the cookie decides;
    # messages are asserted in the source language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_product_list_filters_by_group_with_subgroups_and_search(manager: User) -> None:
    top = ProductGroupFactory()
    sub = ProductGroupFactory(parent=top)
    ProductFactory(name="Сервер", sku="SRV-1", group=sub)
    ProductFactory(name="Лицензия", sku="LIC-1")
    ProductFactory(name="Удалённый", sku="DEL-1", group=sub, is_deleted=True)
    api = client_for(manager)
    response = api.get(reverse("api:product-list"), {"group": top.pk})
    assert [(p["sku"], p["group_name"]) for p in response.json()["results"]] == [("SRV-1", sub.name)]
    assert response.json()["count"] == 1
    assert [p["sku"] for p in api.get(reverse("api:product-list"), {"q": "лиц"}).json()["results"]] == ["LIC-1"]


def test_create_and_patch_with_the_version(administrator: User) -> None:
    api = client_for(administrator)
    created = api.post(
        reverse("api:product-list"),
        {"sku": "SRV-9", "name": "Сервер", "cost": "12.30", "vat_rate": "10", "kind": "product"},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["cost"], body["cost_currency"], body["vat_rate"], body["version"]) == ("12.30", "RUB", "10", 1)
    url = reverse("api:product-detail", args=[body["id"]])

    assert api.patch(url, {"name": "Без версии"}, format="json").status_code == 400
    assert api.patch(url, {"name": "Новое", "version": 1}, format="json").json()["version"] == 2
    stale = api.patch(url, {"name": "Старое", "version": 1}, format="json")
    assert stale.status_code == 400
    assert Product.objects.get().name == "Новое"


def test_a_bad_product_is_a_400_naming_the_field(administrator: User) -> None:
    ProductFactory(sku="SRV-1")
    response = client_for(administrator).post(reverse("api:product-list"), {"sku": "SRV-1", "name": "X"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["sku"]


def test_prices_are_set_listed_and_removed(administrator: User) -> None:
    price_list, product = PriceListFactory(), ProductFactory(sku="SRV-1")
    api = client_for(administrator)
    items = reverse("api:price-list-items", args=[price_list.pk])
    assert api.post(items, {"product": product.pk, "price": "1500.5"}, format="json").status_code == 200
    assert api.get(items).json() == [
        {"product": product.pk, "sku": "SRV-1", "product_name": product.name, "price": "1500.50", "currency": "RUB"}
    ]
    assert api.post(items, {"product": product.pk, "price": "-1"}, format="json").status_code == 400
    assert api.post(items, {"product": 999999, "price": "1"}, format="json").status_code == 400
    assert api.delete(reverse("api:price-list-item-detail", args=[price_list.pk, product.pk])).status_code == 204
    assert not PriceListItem.objects.exists()


def test_rules_are_created_patched_and_reordered(administrator: User) -> None:
    retail, dealer = PriceListFactory(), PriceListFactory()
    api = client_for(administrator)
    first = api.post(reverse("api:price-rule-list"), {"price_list": retail.pk}, format="json").json()
    second = api.post(
        reverse("api:price-rule-list"), {"price_list": dealer.pk, "relationship": "partner"}, format="json"
    ).json()
    assert (first["position"], second["position"], second["relationship"]) == (1, 2, "partner")
    patched = api.patch(reverse("api:price-rule-detail", args=[first["id"]]), {"relationship": "client"}, format="json")
    assert (patched.json()["relationship"], patched.json()["price_list"]) == ("client", retail.pk)
    reordered = api.post(reverse("api:price-rule-reorder"), {"order": [second["id"], first["id"]]}, format="json")
    assert [(r["id"], r["position"]) for r in reordered.json()] == [(second["id"], 1), (first["id"], 2)]
    assert api.post(reverse("api:price-rule-reorder"), {"order": [first["id"]]}, format="json").status_code == 400
    assert api.post(reverse("api:price-rule-list"), {"price_list": retail.pk, "relationship": "x"}).status_code == 400
    assert PriceRule.objects.count() == 2


def test_rates_are_entered_listed_and_imported(administrator: User) -> None:
    api = client_for(administrator)
    entered = api.post(
        reverse("api:exchange-rate-list"), {"currency": "USD", "on_date": "2026-01-10", "rate": "90.5"}, format="json"
    )
    assert entered.status_code == 201
    base = api.post(
        reverse("api:exchange-rate-list"), {"currency": "RUB", "on_date": "2026-01-10", "rate": "1"}, format="json"
    )
    assert (base.status_code, list(base.json())) == (400, ["currency"])
    imported = api.post(
        reverse("api:exchange-rate-import"),
        {"file": SimpleUploadedFile("r.csv", b"2026-01-11;EUR;99,5\n2026-01-12;USD;91\n")},
        format="multipart",
    )
    assert imported.json() == {"imported": 2}
    listed = api.get(reverse("api:exchange-rate-list"), {"currency": "usd"}).json()["results"]
    assert [(r["on_date"], r["rate"]) for r in listed] == [("2026-01-12", "91.000000"), ("2026-01-10", "90.500000")]


def test_a_bad_rates_file_lists_the_rows_and_imports_nothing(administrator: User) -> None:
    response = client_for(administrator).post(
        reverse("api:exchange-rate-import"),
        {"file": SimpleUploadedFile("r.csv", b"2026-01-11;EUR;99,5\n2026-01-12;ZZZ;91\n")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {
        "rows": [{"line": 2, "text": "2026-01-12;ZZZ;91", "message": "Unknown currency ZZZ: add it first."}]
    }
    assert not ExchangeRate.objects.exists()


def test_the_quote_gives_price_list_rule_and_explanation(manager: User) -> None:
    node = ClassifierNodeFactory(name="VIP")
    party = PartyFactory(responsible=manager)
    PartyClassification.objects.create(party=party, node=node)
    product = ProductFactory()
    vip = PriceListFactory(name="VIP", vat_included=False)
    PriceListItemFactory(price_list=vip, product=product, price=Decimal("850.00"))
    rule = PriceRuleFactory(position=1, price_list=vip, node=node)

    response = client_for(manager).post(
        reverse("api:quote"),
        {"party": party.pk, "product": product.pk, "date": "2026-03-01"},
        format="json",
    )

    body = response.json()
    assert (body["price"], body["currency"], body["vat_included"], body["price_list"]["id"], body["rule"]) == (
        "850.00",
        "RUB",
        False,
        vip.pk,
        rule.pk,
    )
    assert body["explanation"] == "Price list «VIP», rule 1: client in «VIP»."


def test_the_quote_without_a_price_and_for_a_hidden_client(manager: User, outsider: User) -> None:
    party, product = PartyFactory(responsible=manager), ProductFactory()
    payload = {"party": party.pk, "product": product.pk, "date": "2026-03-01"}
    none = client_for(manager).post(reverse("api:quote"), payload, format="json").json()
    assert (none["price"], none["price_list"], none["rule"]) == (None, None, None)
    assert none["explanation"]
    assert client_for(outsider).post(reverse("api:quote"), payload, format="json").status_code == 404
    bad_date = client_for(manager).post(reverse("api:quote"), {**payload, "date": "31.02.2026"}, format="json")
    assert list(bad_date.json()) == ["date"]


def test_readers_are_refused_writes(manager: User) -> None:
    product = ProductFactory(name="Сервер")
    api = client_for(manager)
    url = reverse("api:product-detail", args=[product.pk])
    assert api.patch(url, {"name": "X", "version": 1}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    assert api.post(reverse("api:currency-list"), {"code": "GBP", "name": "Фунт"}, format="json").status_code == 403
    assert Product.objects.get().name == "Сервер"
