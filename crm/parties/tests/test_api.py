"""Clients over REST: creation with checksums, filters, versions and a query count that does not grow."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

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

NEW_ORG = {"kind": "organization", "name": "ООО Ромашка", "legal_form": "ooo", "inn": VALID_INN, "kpp": VALID_KPP}


@pytest.fixture
def api(manager: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_create_with_a_bad_inn_is_a_400_naming_the_field_and_creates_nothing(api: APIClient) -> None:
    response = api.post(reverse("api:party-list"), {**NEW_ORG, "inn": "7707083894"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["inn"]
    assert re.search("INN|ИНН", response.json()["inn"][0])  # the message names the field in either language
    assert (Party.objects.count(), PartyEvent.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("kpp", "12345"), ("ogrn", "1027700132194"), ("bik", "123456789")],
)
def test_create_with_other_bad_requisites_names_each_field(api: APIClient, field: str, value: str) -> None:
    response = api.post(reverse("api:party-list"), {**NEW_ORG, field: value}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Party.objects.count() == 0


def test_create_with_contacts_returns_the_card(api: APIClient, manager: User) -> None:
    response = api.post(
        reverse("api:party-list"),
        {**NEW_ORG, "contact_points": [{"kind": "phone", "value": "8 (916) 123-45-67"}]},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["responsible"], body["version"]) == ("ООО Ромашка", manager.pk, 1)
    assert [p["value"] for p in body["contact_points"]] == ["+79161234567"]


def test_create_for_another_manager_needs_the_reassign_permission(
    api: APIClient, colleague: User, head_of_sales: User
) -> None:
    response = api.post(reverse("api:party-list"), {**NEW_ORG, "responsible": colleague.pk}, format="json")
    assert response.status_code == 403
    assert Party.objects.count() == 0
    head = APIClient()
    head.force_authenticate(head_of_sales)
    response = head.post(reverse("api:party-list"), {**NEW_ORG, "responsible": colleague.pk}, format="json")
    assert response.status_code == 201
    assert Party.objects.get().responsible == colleague


def test_patch_needs_the_current_version(api: APIClient, manager: User) -> None:
    party = PartyFactory(responsible=manager, name="ООО Было")
    url = reverse("api:party-detail", args=[party.pk])
    assert api.patch(url, {"name": "ООО Стало"}, format="json").status_code == 400
    response = api.patch(url, {"name": "ООО Стало", "version": 1}, format="json")
    assert (response.status_code, response.json()["version"]) == (200, 2)
    response = api.patch(url, {"name": "ООО Третье", "version": 1}, format="json")
    assert response.status_code == 400
    party.refresh_from_db()
    assert (party.name, party.version) == ("ООО Стало", 2)


def test_list_filters_and_count(api: APIClient, manager: User, colleague: User) -> None:
    a = PartyFactory(responsible=manager, name="А", relationship="client")
    PartyFactory(responsible=manager, name="Б", relationship="partner")
    PartyFactory(responsible=colleague, name="Чужой", relationship="client")
    node = ClassifierNodeFactory()
    PartyClassification.objects.create(party=a, node=node)
    party_refresh_node_ids(a)
    url = reverse("api:party-list")
    body = api.get(url).json()
    assert ([p["name"] for p in body["results"]], body["count"], body["count_is_capped"]) == (["А", "Б"], 2, False)
    assert [p["name"] for p in api.get(url, {"relationship": "client"}).json()["results"]] == ["А"]
    assert [p["name"] for p in api.get(url, {"node": node.pk}).json()["results"]] == ["А"]
    assert [p["name"] for p in api.get(url, {"ordering": "-name"}).json()["results"]] == ["Б", "А"]


def test_list_pages_with_a_cursor(api: APIClient, manager: User) -> None:
    for i in range(5):
        PartyFactory(responsible=manager, name=f"Клиент {i}")
    first = api.get(reverse("api:party-list"), {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    assert [p["name"] for p in first["results"] + second["results"]] == [f"Клиент {i}" for i in range(5)]
    assert second["next"] is None


def test_search_by_phone(api: APIClient, manager: User) -> None:
    party = PartyFactory(responsible=manager, name="ООО Ромашка")
    ContactPointFactory(party=party, value="+79161234567")
    response = api.get(reverse("api:search"), {"q": "+7 916 1234567"})
    assert [(p["name"], p["phone"]) for p in response.json()] == [("ООО Ромашка", "+79161234567")]


def test_contact_point_with_a_bad_phone_is_a_400_naming_value(api: APIClient, manager: User) -> None:
    party = PartyFactory(responsible=manager)
    response = api.post(
        reverse("api:party-contact-points", args=[party.pk]), {"kind": "phone", "value": "123"}, format="json"
    )
    assert (response.status_code, list(response.json())) == (400, ["value"])
    assert ContactPoint.objects.count() == 0


def _populate(manager: User, count: int) -> None:
    for _ in range(count):
        party = PartyFactory(responsible=manager)
        ContactPointFactory(party=party)
        EmailPointFactory(party=party)
        PartyContactFactory(organization=party)


def _queries(api: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_rows(api: APIClient, manager: User) -> None:
    _populate(manager, 10)
    url = reverse("api:party-list")
    api.get(url)
    few = _queries(api, url)
    _populate(manager, 50)
    assert _queries(api, url) == few


def test_detail_queries_do_not_grow_with_contacts(api: APIClient, manager: User) -> None:
    party = PartyFactory(responsible=manager)
    ContactPointFactory(party=party)
    PartyContactFactory(organization=party)
    url = reverse("api:party-detail", args=[party.pk])
    api.get(url)
    few = _queries(api, url)
    for _ in range(10):
        ContactPointFactory(party=party)
        PartyContactFactory(organization=party)
    assert _queries(api, url) == few


def test_reassign_every_client_matching_the_filters(manager: User, colleague: User, head_of_sales: User) -> None:
    PartyFactory(responsible=manager, name="Клиент", relationship="client")
    PartyFactory(responsible=manager, name="Партнёр", relationship="partner")
    PartyFactory(responsible=manager, name="Поставщик", relationship="supplier")
    head = APIClient()
    head.force_authenticate(head_of_sales)
    url = reverse("api:party-reassign") + "?relationship=client&relationship=partner"
    response = head.post(url, {"responsible": colleague.pk}, format="json")
    assert (response.status_code, response.json()) == (200, {"moved": 2})
    assert dict(Party.objects.values_list("name", "responsible")) == {
        "Клиент": colleague.pk, "Партнёр": colleague.pk, "Поставщик": manager.pk,
    }  # fmt: skip


def test_list_merges_own_and_co_owned_clients_in_one_order_across_pages(
    api: APIClient, manager: User, colleague: User
) -> None:
    own = [PartyFactory(responsible=manager, name=f"Клиент {n}") for n in ("Б", "Г", "Е")]
    shared = [PartyFactory(responsible=colleague, name=f"Клиент {n}") for n in ("А", "В", "Д")]
    for party in shared:
        party.co_owners.add(manager)
    PartyFactory(responsible=colleague, name="Клиент Ж")  # not visible to the manager

    names, url = [], reverse("api:party-list") + "?page_size=2&ordering=-name"
    while url:
        body = api.get(url).json()
        names += [row["name"] for row in body["results"]]
        url = body["next"]

    assert names == sorted((p.name for p in own + shared), reverse=True)
    assert body["count"] == 6
