"""Deals over REST, as the personas use it."""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from crm.accounts.models import User
from crm.catalog.tests.factories import PriceListFactory, PriceListItemFactory, PriceRuleFactory, ProductFactory
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.sales.models import Deal, DealLine
from crm.sales.tests.conftest import Flow
from crm.sales.tests.factories import DealFactory


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    # force_authenticate skips the token authentication that picks the user's language: the cookie decides.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_create_read_patch_and_delete_a_deal(manager: User, client_of_manager: Party, flow: Flow) -> None:
    api = _api(manager)
    response = api.post(
        reverse("api:deal-list"),
        {"title": "API-сделка", "party": client_of_manager.pk, "pipeline": flow.pipeline.pk, "amount": "1000.50"},
        format="json",
    )
    assert response.status_code == 201, response.data
    body = response.data
    assert (body["title"], body["stage"]["name"], body["amount"], body["currency"], body["amount_is_manual"]) == (
        "API-сделка", "Квалификация", "1000.50", "RUB", True
    )  # fmt: skip
    url = reverse("api:deal-detail", args=[body["id"]])
    assert api.patch(url, {"title": "Без версии"}, format="json").status_code == 400
    response = api.patch(url, {"title": "Новое", "version": body["version"], "amount": None}, format="json")
    assert response.status_code == 200, response.data
    assert (response.data["title"], response.data["amount_is_manual"]) == ("Новое", False)
    stale = api.patch(url, {"title": "Старое", "version": body["version"]}, format="json")
    assert stale.status_code == 400
    assert Deal.objects.get(pk=body["id"]).title == "Новое"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_a_hidden_client_is_refused_as_bad_input(manager: User, outsider: User, flow: Flow) -> None:
    foreign = PartyFactory(responsible=outsider)
    response = _api(manager).post(
        reverse("api:deal-list"), {"title": "X", "party": foreign.pk, "pipeline": flow.pipeline.pk}, format="json"
    )
    assert (response.status_code, response.data) == (400, {"party": ["Not found."]})
    assert not Deal.objects.exists()


def test_the_list_is_filtered_paged_and_counted(manager: User, outsider: User, flow: Flow) -> None:
    for number in range(3):
        DealFactory(owner=manager, pipeline=flow.pipeline, stage=flow.qualification, title=f"Моя {number}")
    DealFactory(owner=manager, pipeline=flow.pipeline, stage=flow.won, title="Выиграна")
    DealFactory(owner=outsider, title="Чужая")
    api = _api(manager)
    response = api.get(reverse("api:deal-list"), {"state": "open", "ordering": "title", "page_size": "2"})
    assert (response.data["count"], [d["title"] for d in response.data["results"]]) == (3, ["Моя 0", "Моя 1"])
    following = api.get(response.data["next"])
    assert [d["title"] for d in following.data["results"]] == ["Моя 2"]


def test_move_stage_names_the_missing_requirements(manager: User, deal_of_manager: Deal, flow: Flow) -> None:
    api = _api(manager)
    url = reverse("api:deal-move-stage", args=[deal_of_manager.pk])
    assert api.post(url, {"stage": flow.demo.pk}, format="json").status_code == 200
    response = api.post(url, {"stage": flow.proposal.pk}, format="json")
    assert (response.status_code, response.data) == (
        400, {"stage": ["Required before leaving the stage “Демонстрация”: Демонстрация проведена."]}
    )  # fmt: skip
    requirements = api.get(
        reverse("api:deal-requirements", args=[deal_of_manager.pk]), {"stage": flow.proposal.pk}
    ).data
    assert [(r["label"], r["is_met"]) for r in requirements["requirements"]] == [("Демонстрация проведена", False)]
    logged = api.post(
        reverse("api:deal-interactions", args=[deal_of_manager.pk]), {"type": "demo", "subject": "Показ"}, format="json"
    )
    assert logged.status_code == 201, logged.data
    response = api.post(url, {"stage": flow.proposal.pk}, format="json")
    assert (response.status_code, response.data["stage"]["name"]) == (200, "КП")


def test_lines_over_the_api(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory(cost=Decimal("300"))
    price_list = PriceListFactory(name="Розница")
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("1200"))
    PriceRuleFactory(price_list=price_list, position=7)
    api = _api(manager)
    response = api.post(
        reverse("api:deal-lines", args=[deal_of_manager.pk]), {"product": product.pk, "quantity": "2"}, format="json"
    )
    assert response.status_code == 201, response.data
    assert (response.data["price"], response.data["price_source"], response.data["totals"]["gross"]) == (
        "1200.00", "Price list «Розница», rule 7: any client.", "2400.00"
    )  # fmt: skip
    line_url = reverse("api:deal-line-detail", args=[response.data["id"]])
    refused = api.patch(line_url, {"discount_percent": "11"}, format="json")
    assert (refused.status_code, refused.data) == (
        400, {"discount_percent": ["The discount 11% is above your limit of 10%."]}
    )  # fmt: skip
    assert api.patch(line_url, {"discount_percent": "10"}, format="json").data["price"] == "1080.00"
    detail = api.get(reverse("api:deal-detail", args=[deal_of_manager.pk])).data
    assert (detail["amount"], detail["totals"]["net"], detail["totals"]["vat"], detail["totals"]["margin"]) == (
        "2160.00", "1800.00", "360.00", "66.67"
    )  # fmt: skip
    assert api.delete(line_url).status_code == 204
    assert not DealLine.objects.exists()


def test_a_team_lead_reads_but_may_not_change(team_lead: User, deal_of_manager: Deal, flow: Flow) -> None:
    api = _api(team_lead)
    assert api.get(reverse("api:deal-detail", args=[deal_of_manager.pk])).status_code == 200
    url = reverse("api:deal-move-stage", args=[deal_of_manager.pk])
    assert api.post(url, {"stage": flow.demo.pk}, format="json").status_code == 403
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.stage == flow.qualification


def test_pipelines_with_stages_and_requirements(manager: User, flow: Flow) -> None:
    response = _api(manager).get(reverse("api:pipeline-list"))
    pipelines = {p["name"]: p for p in response.data}
    assert [s["name"] for s in pipelines["Новые продажи"]["stages"]] == [
        "Квалификация", "Демонстрация", "Коммерческое предложение", "Переговоры", "Договор", "Успешно", "Проиграно"
    ]  # fmt: skip
    demo = pipelines["Новые продажи"]["stages"][1]
    assert [(r["kind"], r["label"]) for r in demo["requirements"]] == [("interaction", "Демонстрация проведена")]
