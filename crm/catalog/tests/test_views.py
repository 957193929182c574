"""Catalog pages: lists and filters, forms with errors, the price table editor, the explainer, rates import."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pytest_django import DjangoAssertNumQueries

from crm.accounts.models import User
from crm.catalog.models import CatalogEvent, ExchangeRate, PriceListItem, Product
from crm.catalog.tests.factories import (
    ExchangeRateFactory,
    PriceListFactory,
    PriceListItemFactory,
    PriceRuleFactory,
    ProductFactory,
    ProductGroupFactory,
    ServiceFactory,
)
from crm.parties.models import PartyClassification
from crm.parties.tests.factories import ClassifierNodeFactory, PartyFactory

pytestmark = pytest.mark.django_db


def names(response: object) -> list[str]:
    return [p.name for p in response.context["page"].rows]  # type: ignore[attr-defined]


def test_the_list_searches_by_name_and_article_and_filters_by_group_with_subgroups(
    client: Client, manager: User
) -> None:
    hardware = ProductGroupFactory(name="Оборудование")
    servers = ProductGroupFactory(name="Серверы", parent=hardware)
    ProductFactory(name="Сервер стоечный", sku="SRV-1", group=servers)
    ProductFactory(name="Коммутатор", sku="NET-1", group=hardware)
    ServiceFactory(name="Внедрение", sku="IMP-1")
    ProductFactory(name="Старый сервер", sku="SRV-OLD", is_active=False)
    client.force_login(manager)
    url = reverse("catalog:product-list")

    assert names(client.get(url)) == ["Внедрение", "Коммутатор", "Сервер стоечный", "Старый сервер"]
    assert names(client.get(url, {"q": "сервер"})) == ["Сервер стоечный", "Старый сервер"]
    assert names(client.get(url, {"q": "NET-1"})) == ["Коммутатор"]
    assert names(client.get(url, {"group": hardware.pk})) == ["Коммутатор", "Сервер стоечный"]
    assert names(client.get(url, {"group": servers.pk})) == ["Сервер стоечный"]
    assert names(client.get(url, {"kind": "service"})) == ["Внедрение"]
    assert names(client.get(url, {"is_active": "0"})) == ["Старый сервер"]


def test_the_list_does_not_show_the_trash_and_pages_by_keyset(client: Client, manager: User) -> None:
    for number in range(55):
        ProductFactory(name=f"Товар {number:02d}")
    ProductFactory(name="Товар удалённый", is_deleted=True)
    client.force_login(manager)
    first = client.get(reverse("catalog:product-list"))
    assert len(first.context["page"].rows) == 50
    assert first.context["page"].total == 55
    second = client.get(reverse("catalog:product-list"), {"cursor": first.context["page"].next_cursor})
    assert names(second) == [f"Товар {n}" for n in range(50, 55)]


def test_the_list_takes_a_constant_number_of_queries(
    client: Client, manager: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    group = ProductGroupFactory()
    for _number in range(40):
        ProductFactory(group=group)
    client.force_login(manager)
    client.get(reverse("catalog:product-list"))  # warm the session and permission caches
    with django_assert_max_num_queries(8):
        response = client.get(reverse("catalog:product-list"))
    assert len(response.context["page"].rows) == 40


def test_the_list_exports_csv_and_xlsx_with_the_filters(client: Client, manager: User) -> None:
    ProductFactory(name="Сервер", sku="SRV-1", cost=Decimal("100.50"))
    ProductFactory(name="Коммутатор", sku="NET-1")
    client.force_login(manager)
    response = client.get(reverse("catalog:product-export", args=["csv"]), {"q": "SRV"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 2
    assert lines[1].split(";")[:2] == ["SRV-1", "Сервер"]
    assert "100.50" in lines[1]
    xlsx = client.get(reverse("catalog:product-export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Коммутатор", "Сервер"]
    assert client.get(reverse("catalog:product-export", args=["pdf"])).status_code == 404


def test_the_product_card_shows_its_price_in_each_price_list(client: Client, manager: User) -> None:
    product = ProductFactory(name="Сервер", cost=Decimal("100.00"))
    retail = PriceListFactory(name="Розничный")
    PriceListFactory(name="Дилерский")
    PriceListItemFactory(price_list=retail, product=product, price=Decimal("150.00"))
    client.force_login(manager)
    response = client.get(reverse("catalog:product-detail", args=[product.pk]))
    assert [(row.price_list.name, row.price) for row in response.context["prices"]] == [
        ("Дилерский", None),
        ("Розничный", Decimal("150.00")),
    ]
    assert re.search(r"150[.,]00 RUB", response.content.decode())
    assert response.context["can_manage"] is False


def test_the_product_form_shows_errors_and_creates_nothing(client: Client, administrator: User) -> None:
    ProductFactory(sku="SRV-1")
    client.force_login(administrator)
    response = client.post(
        reverse("catalog:product-create"),
        {"kind": "product", "sku": "SRV-1", "name": "Сервер", "unit": "шт", "vat_rate": "20", "cost": "-1",
         "cost_currency": "RUB", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == ["cost", "sku"]
    assert Product.objects.count() == 1


def test_the_product_form_creates_and_a_stale_edit_is_refused(client: Client, administrator: User) -> None:
    client.force_login(administrator)
    data = {"kind": "service", "sku": "IMP-1", "name": "Внедрение", "unit": "ч", "vat_rate": "20", "cost": "1500,50",
            "cost_currency": "RUB", "is_active": "on"}  # fmt: skip
    response = client.post(reverse("catalog:product-create"), data)
    product = Product.objects.get()
    assert response["Location"] == reverse("catalog:product-detail", args=[product.pk])
    assert product.cost == Decimal("1500.50")

    client.post(reverse("catalog:product-update", args=[product.pk]), {**data, "name": "Первое", "version": "1"})
    stale = client.post(
        reverse("catalog:product-update", args=[product.pk]), {**data, "name": "Второе", "version": "1"}
    )
    assert stale.status_code == 200
    assert stale.context["form"].non_field_errors()
    product.refresh_from_db()
    assert (product.name, product.version) == ("Первое", 2)
    assert CatalogEvent.objects.get(kind="changed").data == {"changes": {"name": ["Внедрение", "Первое"]}}


def test_the_price_table_editor_sets_and_removes_prices_and_shows_bad_boxes(
    client: Client, administrator: User
) -> None:
    price_list = PriceListFactory()
    listed, other = ProductFactory(name="А"), ProductFactory(name="Б")
    PriceListItemFactory(price_list=price_list, product=listed, price=Decimal("10.00"))
    client.force_login(administrator)
    url = reverse("catalog:price-list-detail", args=[price_list.pk])

    page = client.get(url)
    assert [(row.product.name, row.value) for row in page.context["rows"]] == [("А", "10.00")]
    everything = client.get(url, {"all": "1"})
    assert [(row.product.name, row.value) for row in everything.context["rows"]] == [("А", "10.00"), ("Б", "")]

    bad = client.post(f"{url}?all=1", {f"price_{listed.pk}": "", f"price_{other.pk}": "12,5x"})
    assert bad.status_code == 200
    assert [(row.product.name, row.value, bool(row.errors)) for row in bad.context["rows"]] == [
        ("А", "", False),
        ("Б", "12,5x", True),
    ]
    assert list(PriceListItem.objects.values_list("product_id", "price")) == [(listed.pk, Decimal("10.00"))]

    good = client.post(f"{url}?all=1", {f"price_{listed.pk}": "", f"price_{other.pk}": "1 200,50"})
    assert good.status_code == 302
    assert list(PriceListItem.objects.values_list("product_id", "price")) == [(other.pk, Decimal("1200.50"))]


def test_the_explainer_shows_the_price_and_why(client: Client, manager: User) -> None:
    node = ClassifierNodeFactory(name="Дилеры")
    party = PartyFactory(responsible=manager, name="ООО Дилер")
    PartyClassification.objects.create(party=party, node=node)
    product = ProductFactory()
    dealer = PriceListFactory(name="Дилерский")
    PriceListItemFactory(price_list=dealer, product=product, price=Decimal("900.00"))
    PriceRuleFactory(position=1, price_list=dealer, node=node)
    manager.language = "en"  # the explanation is asserted in the source language
    manager.save(update_fields=["language"])
    client.force_login(manager)

    response = client.get(reverse("catalog:quote"), {"party": party.pk, "product": product.pk, "on_date": "2026-03-01"})
    quote = response.context["quote"]
    assert (quote.price, quote.price_list) == (Decimal("900.00"), dealer)
    assert "Price list «Дилерский», rule 1: client in «Дилеры»." in response.content.decode()

    search = client.get(reverse("catalog:quote"), {"party_q": "Дилер", "product": product.pk, "on_date": "2026-03-01"})
    assert [p.pk for p in search.context["candidates"]] == [party.pk]


def test_the_explainer_says_no_price_and_hides_clients_one_cannot_see(
    client: Client, manager: User, outsider: User
) -> None:
    party = PartyFactory(responsible=manager)
    product = ProductFactory()
    client.force_login(manager)
    response = client.get(reverse("catalog:quote"), {"party": party.pk, "product": product.pk, "on_date": "2026-03-01"})
    assert response.context["quote"] is None
    assert 'id="quote-none"' in response.content.decode()

    client.force_login(outsider)
    hidden = client.get(reverse("catalog:quote"), {"party": party.pk, "product": product.pk, "on_date": "2026-03-01"})
    assert hidden.status_code == 200
    assert "quote" not in hidden.context
    assert list(hidden.context["quote_form"].errors) == ["party"]


def test_the_rates_page_imports_a_good_file_and_lists_bad_rows_of_a_bad_one(
    client: Client, administrator: User
) -> None:
    client.force_login(administrator)
    url = reverse("catalog:rate-import")
    bad = client.post(url, {"file": SimpleUploadedFile("r.csv", b"2026-01-10;USD;90\n2026-01-11;USD;x\n")})
    assert bad.status_code == 200
    assert [e.line for e in bad.context["import_errors"]] == [2]
    assert 'id="import-errors"' in bad.content.decode()
    assert not ExchangeRate.objects.exists()

    good = client.post(url, {"file": SimpleUploadedFile("r.csv", "10.01.2026;USD;90,5\n".encode("cp1251"))})
    assert good.status_code == 302
    assert list(ExchangeRate.objects.values_list("currency_id", "rate")) == [("USD", Decimal("90.5"))]


def test_the_rates_page_shows_the_latest_rate_and_enters_one(client: Client, administrator: User) -> None:
    ExchangeRateFactory(on_date=timezone.localdate() - datetime.timedelta(days=3), rate=Decimal("90"))
    client.force_login(administrator)
    page = client.get(reverse("catalog:currency-list"))
    usd = dict((c.code, r) for c, r in page.context["currency_rows"])["USD"]
    assert usd is not None
    assert usd.rate == Decimal("90")

    response = client.post(
        reverse("catalog:rate-create"),
        {"currency": "USD", "on_date": timezone.localdate().isoformat(), "rate": "91,5"},
    )
    assert response.status_code == 302
    assert ExchangeRate.objects.order_by("-on_date").first().rate == Decimal("91.5")  # type: ignore[union-attr]
    refused = client.post(reverse("catalog:rate-create"), {"currency": "RUB", "on_date": "2026-01-01", "rate": "1"})
    assert refused.status_code == 200
    assert "currency" in refused.context["rate_form"].errors


def test_every_page_renders_for_a_reader_and_a_manager(client: Client, manager: User, administrator: User) -> None:
    product = ProductFactory(group=ProductGroupFactory())
    rule = PriceRuleFactory(relationship="partner")
    PriceListItemFactory(price_list=rule.price_list, product=product)
    pages = [
        reverse("catalog:product-list"),
        reverse("catalog:product-detail", args=[product.pk]),
        reverse("catalog:group-list"),
        reverse("catalog:price-list-list"),
        reverse("catalog:price-list-detail", args=[rule.price_list.pk]),
        reverse("catalog:rule-list"),
        reverse("catalog:quote"),
        reverse("catalog:currency-list"),
    ]
    for user in (manager, administrator):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 200, url
    for url in (
        reverse("catalog:product-create"),
        reverse("catalog:product-update", args=[product.pk]),
        reverse("catalog:product-trash"),
        reverse("catalog:price-list-create"),
        reverse("catalog:price-list-update", args=[rule.price_list.pk]),
        reverse("catalog:rule-update", args=[rule.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_the_product_card_shows_its_history_with_price_changes(client: Client, administrator: User) -> None:
    product = ProductFactory(name="Сервер")
    price_list = PriceListFactory()
    client.force_login(administrator)
    client.post(reverse("catalog:price-list-detail", args=[price_list.pk]) + "?all=1", {f"price_{product.pk}": "99"})
    client.post(reverse("catalog:product-delete", args=[product.pk]))
    client.post(reverse("catalog:product-restore", args=[product.pk]))
    response = client.get(reverse("catalog:product-detail", args=[product.pk]))
    assert [(e.entity, e.kind) for e in response.context["history"]] == [
        ("product", "restored"),
        ("product", "deleted"),
        ("price_list", "price_set"),
    ]


def test_the_groups_page_lists_the_tree_in_order(client: Client, manager: User) -> None:
    second = ProductGroupFactory(name="Б", position=2)
    first = ProductGroupFactory(name="А", position=1)
    child = ProductGroupFactory(name="В", parent=first)
    client.force_login(manager)
    response = client.get(reverse("catalog:group-list"))
    assert [g.name for g in response.context["groups"]] == [first.name, child.name, second.name]
