"""Client pages: creation with checksums, list filters, and a query count that does not grow with rows."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.accounts.models import User
from crm.parties.models import ContactPoint, Party, PartyClassification, PartyEvent
from crm.parties.services import party_refresh_node_ids
from crm.parties.tests.factories import (
    VALID_INN,
    VALID_KPP,
    ClassifierNodeFactory,
    ContactPointFactory,
    EmailPointFactory,
    PartyContactFactory,
    PartyFactory,
)

pytestmark = pytest.mark.django_db

NEW_ORG = {"name": "ООО Ромашка", "legal_form": "ooo", "inn": VALID_INN, "kpp": VALID_KPP, "relationship": "prospect"}


def test_create_page_with_a_bad_inn_shows_the_form_with_the_error_and_creates_nothing(
    client: Client, manager: User
) -> None:
    client.force_login(manager)
    response = client.post(reverse("parties:create", args=["organization"]), {**NEW_ORG, "inn": "7707083894"})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["inn"]
    assert [e.code for e in form.errors.as_data()["inn"]] == ["invalid_inn"]
    assert re.search("INN|ИНН", form.errors["inn"][0])  # the message names the field in either language
    assert (Party.objects.count(), PartyEvent.objects.count()) == (0, 0)


def test_create_page_creates_a_client_with_its_phone_and_redirects_to_the_card(client: Client, manager: User) -> None:
    client.force_login(manager)
    response = client.post(reverse("parties:create", args=["organization"]), {**NEW_ORG, "phone": "8 (916) 123-45-67"})
    party = Party.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("parties:detail", args=[party.pk])
    assert (party.responsible, party.created_by) == (manager, manager)
    assert list(ContactPoint.objects.values_list("value", flat=True)) == ["+79161234567"]


def test_create_page_warns_about_a_duplicate_and_creates_only_when_confirmed(
    client: Client, manager: User, outsider: User
) -> None:
    PartyFactory(responsible=outsider, name="ООО Ромашка", inn=VALID_INN)
    client.force_login(manager)
    url = reverse("parties:create", args=["organization"])
    response = client.post(url, NEW_ORG)
    assert response.status_code == 200
    assert [p.name for p in response.context["duplicates"]] == ["ООО Ромашка"]
    assert Party.objects.count() == 1
    response = client.post(url, {**NEW_ORG, "confirm_duplicates": "1"})
    assert response.status_code == 302
    assert Party.objects.filter(responsible=manager).count() == 1


def test_create_person_page_derives_the_name(client: Client, manager: User) -> None:
    client.force_login(manager)
    response = client.post(
        reverse("parties:create", args=["person"]),
        {"last_name": "Петров", "first_name": "Пётр", "relationship": "client"},
    )
    assert response.status_code == 302
    assert Party.objects.get().name == "Петров Пётр"


def test_update_page_with_a_stale_version_shows_the_conflict_and_changes_nothing(client: Client, manager: User) -> None:
    party = PartyFactory(responsible=manager, name="ООО Было")
    Party.objects.filter(pk=party.pk).update(version=2)
    client.force_login(manager)
    response = client.post(
        reverse("parties:update", args=[party.pk]),
        {**NEW_ORG, "name": "ООО Стало", "inn": party.inn, "version": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    party.refresh_from_db()
    assert (party.name, party.version) == ("ООО Было", 2)


def _list_names(client: Client, **params: Any) -> list[str]:
    response = client.get(reverse("parties:list"), params)
    assert response.status_code == 200
    return [p.name for p in response.context["page"].rows]


def test_list_filters(client: Client, manager: User, colleague: User, team_lead: User) -> None:
    a = PartyFactory(responsible=manager, name="А Клиент", relationship="client", region="Москва")
    PartyFactory(responsible=manager, name="Б Партнёр", relationship="partner", region="Тверь")
    PartyFactory(responsible=colleague, name="В Коллеги", relationship="client", region="Москва")
    node = ClassifierNodeFactory()
    PartyClassification.objects.create(party=a, node=node)
    party_refresh_node_ids(a)
    client.force_login(team_lead)
    assert _list_names(client) == ["А Клиент", "Б Партнёр", "В Коллеги"]
    assert _list_names(client, relationship=["client"]) == ["А Клиент", "В Коллеги"]
    assert _list_names(client, relationship=["client", "partner"], region="твер") == ["Б Партнёр"]
    assert _list_names(client, responsible=colleague.pk) == ["В Коллеги"]
    assert _list_names(client, node=node.pk) == ["А Клиент"]
    assert _list_names(client, q=a.inn) == ["А Клиент"]
    assert _list_names(client, ordering="-name") == ["В Коллеги", "Б Партнёр", "А Клиент"]
    client.force_login(manager)
    assert _list_names(client) == ["А Клиент", "Б Партнёр"]


def test_list_htmx_request_renders_only_the_rows(client: Client, manager: User) -> None:
    PartyFactory(responsible=manager, name="ООО Ромашка")
    client.force_login(manager)
    response = client.get(reverse("parties:list"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert "ООО Ромашка" in response.content.decode()


def _populate(manager: User, count: int) -> Party:
    """`count` clients of the manager, each with a phone, an e-mail and a contact person."""
    first = None
    for _ in range(count):
        party = PartyFactory(responsible=manager)
        ContactPointFactory(party=party)
        EmailPointFactory(party=party)
        PartyContactFactory(organization=party)
        first = first or party
    assert first is not None
    return first


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_page_queries_do_not_grow_with_rows(client: Client, manager: User) -> None:
    _populate(manager, 10)
    client.force_login(manager)
    url = reverse("parties:list")
    client.get(url)  # warm caches (content types, permissions are per request anyway)
    few = _queries(client, url)
    _populate(manager, 50)
    assert _queries(client, url) == few


def test_card_queries_do_not_grow_with_contacts(client: Client, manager: User) -> None:
    party = PartyFactory(responsible=manager)
    for _ in range(2):
        ContactPointFactory(party=party)
        PartyContactFactory(organization=party)
    ContactPointFactory(party=PartyContactFactory(organization=party).person)
    client.force_login(manager)
    url = reverse("parties:detail", args=[party.pk])
    client.get(url)
    few = _queries(client, url)
    for _ in range(10):
        ContactPointFactory(party=party)
        EmailPointFactory(party=party)
        ContactPointFactory(party=PartyContactFactory(organization=party).person)
    assert _queries(client, url) == few


def test_search_page_finds_by_phone(client: Client, manager: User) -> None:
    party = PartyFactory(responsible=manager, name="ООО Ромашка")
    ContactPointFactory(party=party, value="+79161234567")
    client.force_login(manager)
    response = client.get(reverse("parties:search"), {"q": "8 (916) 123-45-67"})
    assert [p.name for p in response.context["results"]] == ["ООО Ромашка"]


def test_export_xlsx_contains_only_visible_filtered_clients(client: Client, manager: User, colleague: User) -> None:
    import io

    import openpyxl

    PartyFactory(responsible=manager, name="ООО Моя", relationship="client")
    PartyFactory(responsible=manager, name="ООО Другая", relationship="partner")
    PartyFactory(responsible=colleague, name="ООО Чужая", relationship="client")
    client.force_login(manager)
    response = client.get(reverse("parties:export", args=["xlsx"]), {"relationship": "client"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    assert "ООО Моя" in rows[0]


def test_unticking_every_node_clears_the_classification(client: Client, manager: User) -> None:
    party = PartyFactory(responsible=manager)
    PartyClassification.objects.create(party=party, node=ClassifierNodeFactory())
    client.force_login(manager)
    response = client.post(reverse("parties:classify", args=[party.pk]), {})
    assert response.status_code == 302
    assert not PartyClassification.objects.filter(party=party).exists()
