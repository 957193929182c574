"""The pager of keyset-paged lists: previous and next links that keep the filters, on pages, htmx and the API."""

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from crm.accounts.models import User
from crm.core.pagination import KeysetPage
from crm.core.views import keyset_pager
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.sales.tests.factories import DealFactory, PipelineFactory, StageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients_of_manager(manager: User, colleague: User) -> list[str]:
    """60 clients the manager sees: 55 own and 5 of a colleague's he co-owns (two branches, merged)."""
    for n in range(55):
        PartyFactory(responsible=manager, name=f"ООО Клиент {n:02d}")
    for n in range(5):
        PartyFactory(responsible=colleague, name=f"ООО Общий {n}").co_owners.add(manager)
    return sorted(Party.objects.values_list("name", flat=True), reverse=True)


def _link(response: object, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())  # type: ignore[attr-defined]
    return html.unescape(found.group(1)) if found else None


def _names(response: object) -> list[str]:
    return [party.name for party in response.context["page"].rows]  # type: ignore[attr-defined]


def _get(client: Client, url: str, **headers: str) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response, len(captured)


def test_the_client_list_pages_forward_and_back_keeping_filters_and_sort(
    client: Client, manager: User, clients_of_manager: list[str]
) -> None:
    client.force_login(manager)
    first, first_cost = _get(client, reverse("parties:list") + "?kind=organization&ordering=-name")
    assert _names(first) == clients_of_manager[:50]
    assert _link(first, "prev") is None
    assert re.search(r"keyset-pager-summary\">1–50 \w+ 60<", first.content.decode())  # type: ignore[attr-defined]
    following = _link(first, "next")
    assert following is not None
    assert "kind=organization" in following
    assert "ordering=-name" in following

    second, second_cost = _get(client, following)
    assert _names(second) == clients_of_manager[50:]
    assert _link(second, "next") is None
    assert re.search(r"keyset-pager-summary\">51–60 \w+ 60<", second.content.decode())  # type: ignore[attr-defined]
    assert second.context["pager"].first is None  # type: ignore[attr-defined]  # "Previous" leads there already
    previous = _link(second, "prev")
    assert previous is not None
    assert "kind=organization" in previous
    assert "ordering=-name" in previous

    back, back_cost = _get(client, previous)
    assert _names(back) == clients_of_manager[:50]
    assert _link(back, "prev") is None
    assert first_cost == second_cost == back_cost  # page 2, and the way back, cost what page 1 does


def test_the_pager_swaps_the_rows_with_htmx_and_a_pushed_url_restores_the_whole_page(
    client: Client, manager: User, clients_of_manager: list[str]
) -> None:
    client.force_login(manager)
    first = client.get(reverse("parties:list"), {"ordering": "-name"})
    following = _link(first, "next")
    assert following is not None
    content = first.content.decode()
    assert f'hx-get="{html.escape(following)}" hx-target="closest tbody"' in content
    assert 'hx-push-url="true"' in content

    fragment = client.get(following, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content
    assert _names(fragment) == clients_of_manager[50:]
    assert _link(fragment, "prev") is not None  # the pager comes with the rows it replaces

    # Back in the browser's history to the pushed URL, not in htmx's cache: the whole page, not the rows.
    restored = client.get(following, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in restored.content


def test_a_list_on_one_page_has_no_pager(client: Client, manager: User) -> None:
    PartyFactory(responsible=manager, name="ООО Ромашка")
    client.force_login(manager)
    response = client.get(reverse("parties:list"))
    assert "ООО Ромашка" in response.content.decode()
    assert "keyset-pager" not in response.content.decode()


def test_a_broken_cursor_shows_the_first_page(client: Client, manager: User, clients_of_manager: list[str]) -> None:
    client.force_login(manager)
    response = client.get(reverse("parties:list"), {"ordering": "-name", "cursor": "eyJiZWZvcmUiOiBbIngiLCAieSJdfQ=="})
    assert _names(response) == clients_of_manager[:50]
    assert _link(response, "prev") is None


def test_the_deal_list_pages_by_amount_both_ways(client: Client, manager: User) -> None:
    stage = StageFactory(pipeline=PipelineFactory())
    for n in range(53):
        DealFactory(owner=manager, pipeline=stage.pipeline, stage=stage, amount=Decimal(n % 7) + Decimal("0.50"))
    client.force_login(manager)
    first = client.get(reverse("sales:deal-list"), {"ordering": "-amount"})
    page = first.context["page"]
    following = _link(first, "next")
    assert following is not None
    second = client.get(following)
    assert len(second.context["page"].rows) == 3
    previous = _link(second, "prev")
    assert previous is not None
    back = client.get(previous)
    assert [d.pk for d in back.context["page"].rows] == [d.pk for d in page.rows]


def test_the_parties_api_links_previous_and_next(manager: User, clients_of_manager: list[str]) -> None:
    api = APIClient()
    api.force_authenticate(manager)
    first = api.get(reverse("api:party-list"), {"page_size": "25", "ordering": "-name"}).json()
    assert (first["previous"], first["count"]) == (None, 60)
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    assert third["next"] is None
    assert [p["name"] for p in first["results"] + second["results"] + third["results"]] == clients_of_manager
    assert third["previous"].startswith("http://testserver/api/v1/parties/?")
    assert "ordering=-name" in third["previous"]
    assert "page_size=25" in third["previous"]
    back = api.get(third["previous"]).json()
    assert [p["name"] for p in back["results"]] == clients_of_manager[25:50]
    assert back["next"] is not None
    front = api.get(back["previous"]).json()
    assert ([p["name"] for p in front["results"]], front["previous"]) == (clients_of_manager[:25], None)


def test_a_drf_keyset_api_links_previous_too(manager: User) -> None:
    stage = StageFactory(pipeline=PipelineFactory())
    for n in range(5):
        DealFactory(owner=manager, pipeline=stage.pipeline, stage=stage, amount=Decimal(n))
    api = APIClient()
    api.force_authenticate(manager)
    first = api.get(reverse("api:deal-list"), {"page_size": "2", "ordering": "amount"}).json()
    second = api.get(first["next"]).json()
    assert first["previous"] is None
    back = api.get(second["previous"]).json()
    assert [d["id"] for d in back["results"]] == [d["id"] for d in first["results"]]


def test_the_pager_offers_the_first_page_where_previous_does_not_lead_there(rf: RequestFactory) -> None:
    request = rf.get("/clients/", {"ordering": "-name", "cursor": "old"})
    rows = [Party(name=f"ООО {n}") for n in range(50)]
    third = KeysetPage(rows, "n", 10_000, True, prev_cursor="p", start=100, size=50)
    pager = keyset_pager(request, third)
    assert (pager.first, pager.previous, pager.next) == (
        "/clients/?ordering=-name",
        "/clients/?ordering=-name&cursor=p",
        "/clients/?ordering=-name&cursor=n",
    )
    with translation.override("en"):
        assert keyset_pager(request, third).summary == "101–150 of 10,000+"
    second = KeysetPage(rows, "n", 10_000, True, prev_cursor="p", start=50, size=50)
    assert keyset_pager(request, second).first is None
    unknown = KeysetPage(rows, "n", 10_000, True, prev_cursor="p", start=None, size=50)
    assert (keyset_pager(request, unknown).first, keyset_pager(request, unknown).summary) == (
        "/clients/?ordering=-name",
        "",
    )
