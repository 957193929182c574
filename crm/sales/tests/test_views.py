"""The deal pages and pipeline settings, as the personas use them."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.accounts.models import User
from crm.activities.models import Interaction, InteractionType
from crm.catalog.tests.factories import PriceListFactory, PriceListItemFactory, PriceRuleFactory, ProductFactory
from crm.parties.models import ClassifierNode, Party
from crm.parties.services import party_set_classification
from crm.parties.tests.factories import ClassifierNodeFactory, PartyFactory
from crm.sales.models import Deal, DealEvent, DealLine, DiscountLimit, Pipeline, Stage, StageRequirement
from crm.sales.tests.conftest import Flow
from crm.sales.tests.factories import DealFactory, DealLineFactory


def _login(client: Client, user: User) -> Client:
    # Pages speak the user's language; messages are asserted in the source language.
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def test_creating_a_deal_from_the_client_card(
    client: Client, manager: User, client_of_manager: Party, flow: Flow
) -> None:
    _login(client, manager)
    page = client.get(reverse("sales:deal-create") + f"?party={client_of_manager.pk}")
    assert page.status_code == 200
    assert f'<option value="{client_of_manager.pk}" selected>ООО Ромашка</option>' in page.content.decode()
    response = client.post(
        reverse("sales:deal-create") + f"?party={client_of_manager.pk}",
        {"title": "Внедрение", "party": client_of_manager.pk, "pipeline": flow.pipeline.pk, "currency": "RUB"},
    )
    deal = Deal.objects.get(title="Внедрение")
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal-detail", args=[deal.pk])
    assert (deal.party, deal.owner, deal.stage, deal.amount_is_manual, deal.probability) == (
        client_of_manager, manager, flow.qualification, False, 10
    )  # fmt: skip


def test_a_hidden_client_cannot_be_chosen(client: Client, manager: User, outsider: User, flow: Flow) -> None:
    foreign = PartyFactory(responsible=outsider)
    _login(client, manager)
    assert client.get(reverse("sales:deal-create") + f"?party={foreign.pk}").status_code == 404
    response = client.post(
        reverse("sales:deal-create"),
        {"title": "Чужая", "party": foreign.pk, "pipeline": flow.pipeline.pk, "currency": "RUB"},
    )
    assert response.status_code == 200
    assert "party" in response.context["form"].errors
    assert not Deal.objects.filter(title="Чужая").exists()


def test_the_client_picker_searches_visible_clients(
    client: Client, manager: User, outsider: User, client_of_manager: Party
) -> None:
    PartyFactory(responsible=outsider, name="ООО Ромашка-2")
    _login(client, manager)
    response = client.get(reverse("sales:deal-party-options"), {"party_query": "ромаш"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{client_of_manager.pk}">ООО Ромашка · {client_of_manager.inn}</option>' in html
    assert "Ромашка-2" not in html


def test_the_card_shows_stages_lines_totals_and_history(client: Client, manager: User, deal_of_manager: Deal) -> None:
    line = DealLineFactory(deal=deal_of_manager, quantity=Decimal("2"), price=Decimal("600.00"), cost=Decimal("250"))
    line.price_source = "Прайс «Розница»"
    line.save()
    _login(client, manager)
    response = client.get(reverse("sales:deal-detail", args=[deal_of_manager.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.gross, totals.vat, totals.net, totals.cost, totals.profit) == (
        Decimal("1200.00"), Decimal("200.00"), Decimal("1000.00"), Decimal("500.00"), Decimal("500.00")
    )  # fmt: skip
    assert "Прайс «Розница»" in html
    assert "Квалификация" in html
    assert [e.kind for e in response.context["history"]] == ["created"]


def test_moving_without_the_demonstration_is_refused_on_the_card(
    client: Client, manager: User, deal_of_manager: Deal, flow: Flow
) -> None:
    deal_of_manager.stage = flow.demo
    deal_of_manager.save()
    _login(client, manager)
    response = client.post(reverse("sales:deal-move-stage", args=[deal_of_manager.pk]), {"stage": flow.proposal.pk})
    assert response.status_code == 200
    assert "Required before leaving the stage “Демонстрация”: Демонстрация проведена." in response.content.decode()
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.stage == flow.demo
    # The demonstration is logged from the deal's card, then the move succeeds.
    response = client.post(
        reverse("sales:deal-log-interaction", args=[deal_of_manager.pk]),
        {"type": InteractionType.objects.get(code="demo").pk, "direction": "out", "duration_minutes": 30,
         "occurred_at": "2026-01-10T10:00", "subject": "Демо"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Interaction.objects.get(subject="Демо").party == deal_of_manager.party
    response = client.post(reverse("sales:deal-move-stage", args=[deal_of_manager.pk]), {"stage": flow.proposal.pk})
    assert response.status_code == 302
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.stage == flow.proposal


def test_losing_a_deal_asks_for_the_reason(client: Client, manager: User, deal_of_manager: Deal, flow: Flow) -> None:
    _login(client, manager)
    url = reverse("sales:deal-move-stage", args=[deal_of_manager.pk])
    response = client.post(url, {"stage": flow.lost.pk})
    assert "Say why the deal is lost." in response.content.decode()
    reason = ClassifierNode.objects.get(classifier__name="Причины проигрыша", name="Сроки")
    assert client.post(url, {"stage": flow.lost.pk, "lost_reason": reason.pk}).status_code == 302
    deal_of_manager.refresh_from_db()
    assert (deal_of_manager.stage, deal_of_manager.lost_reason) == (flow.lost, reason)


def test_adding_a_line_over_the_discount_limit_is_refused(client: Client, manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory()
    price_list = PriceListFactory()
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("500"))
    PriceRuleFactory(price_list=price_list)
    _login(client, manager)
    url = reverse("sales:deal-line-add", args=[deal_of_manager.pk])
    response = client.post(url, {"product": product.pk, "quantity": "2", "discount_percent": "25"})
    assert response.status_code == 200
    assert "The discount 25% is above your limit of 10%." in response.content.decode()
    assert not DealLine.objects.exists()
    assert client.post(url, {"product": product.pk, "quantity": "2", "discount_percent": "10"}).status_code == 302
    line = DealLine.objects.get()
    assert (line.price, line.quantity) == (Decimal("450.00"), Decimal("2.000"))
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.amount == Decimal("900.00")
    response = client.post(
        reverse("sales:deal-line-update", args=[line.pk]), {"quantity": "3", "discount_percent": "0"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.price, line.quantity) == (Decimal("500.00"), Decimal("3.000"))
    assert client.post(reverse("sales:deal-line-remove", args=[line.pk])).status_code == 302
    assert not DealLine.objects.exists()


def test_editing_a_deal_with_a_stale_version_is_refused(client: Client, manager: User, deal_of_manager: Deal) -> None:
    _login(client, manager)
    url = reverse("sales:deal-update", args=[deal_of_manager.pk])
    data = {"title": "Новое", "currency": "RUB", "version": deal_of_manager.version, "probability": "55"}
    assert client.post(url, data).status_code == 302
    deal_of_manager.refresh_from_db()
    assert (deal_of_manager.title, deal_of_manager.probability, deal_of_manager.probability_is_manual) == (
        "Новое", 55, True
    )  # fmt: skip
    response = client.post(url, {**data, "title": "Затёр бы"})
    assert response.status_code == 200
    assert "Someone else has changed this record" in response.content.decode()
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.title == "Новое"


def test_trash_and_restore(client: Client, manager: User, deal_of_manager: Deal) -> None:
    _login(client, manager)
    assert client.post(reverse("sales:deal-delete", args=[deal_of_manager.pk])).status_code == 302
    assert client.get(reverse("sales:deal-detail", args=[deal_of_manager.pk])).status_code == 404
    assert deal_of_manager.title in client.get(reverse("sales:deal-trash")).content.decode()
    assert client.post(reverse("sales:deal-restore", args=[deal_of_manager.pk])).status_code == 302
    assert client.get(reverse("sales:deal-detail", args=[deal_of_manager.pk])).status_code == 200
    kinds = list(deal_of_manager.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == [DealEvent.Kind.CREATED, DealEvent.Kind.DELETED, DealEvent.Kind.RESTORED]


def _queries(client: Client, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_the_list_filters_and_pages_with_a_fixed_number_of_queries(client: Client, manager: User, flow: Flow) -> None:
    for number in range(3):
        DealFactory(owner=manager, pipeline=flow.pipeline, stage=flow.qualification, title=f"Сделка {number:02d}")
    _login(client, manager)
    url, params = reverse("sales:deal-list"), {"state": "open", "ordering": "title"}
    few = _queries(client, url, params)
    for number in range(3, 60):
        DealFactory(owner=manager, pipeline=flow.pipeline, stage=flow.qualification, title=f"Сделка {number:02d}")
    DealFactory(owner=manager, pipeline=flow.pipeline, stage=flow.won, title="Выигранная")
    assert _queries(client, url, params) == few
    response = client.get(url, params)
    page = response.context["page"]
    assert (page.total, len(page.rows), page.rows[0].title) == (60, 50, "Сделка 00")
    following = client.get(url, {**params, "cursor": page.next_cursor})
    assert [d.title for d in following.context["page"].rows] == [f"Сделка {n}" for n in range(50, 60)]
    won = client.get(url, {"state": "won"})
    assert [d.title for d in won.context["page"].rows] == ["Выигранная"]


def test_the_card_costs_the_same_number_of_queries_whatever_its_lines(
    client: Client, manager: User, deal_of_manager: Deal
) -> None:
    DealLineFactory(deal=deal_of_manager)
    _login(client, manager)
    url = reverse("sales:deal-detail", args=[deal_of_manager.pk])
    one = _queries(client, url, {})
    for _number in range(10):
        DealLineFactory(deal=deal_of_manager)
    assert _queries(client, url, {}) == one


def test_the_list_shows_only_visible_deals(client: Client, manager: User, outsider: User, flow: Flow) -> None:
    DealFactory(owner=manager, title="Моя")
    DealFactory(owner=outsider, title="Чужая")
    _login(client, manager)
    assert [d.title for d in client.get(reverse("sales:deal-list")).context["page"].rows] == ["Моя"]


def test_export_csv_has_the_filtered_visible_deals(client: Client, manager: User, outsider: User) -> None:
    DealFactory(owner=manager, title="Моя", amount=Decimal("1500.50"))
    DealFactory(owner=outsider, title="Чужая")
    _login(client, manager)
    response = client.get(reverse("sales:deal-export", args=["csv"]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = body.strip().splitlines()
    assert len(lines) == 2
    assert "Моя" in lines[1]
    assert "1500.50;RUB" in lines[1]
    assert client.get(reverse("sales:deal-export", args=["xlsx"])).status_code == 200


def test_the_client_card_fragment_lists_the_clients_visible_deals(
    client: Client, team_lead: User, manager: User, client_of_manager: Party, deal_of_manager: Deal
) -> None:
    _login(client, team_lead)
    response = client.get(reverse("sales:party-deals", args=[client_of_manager.pk]))
    assert response.status_code == 200
    assert [d.title for d in response.context["deals"]] == ["Поставка серверов"]


def test_configuring_a_pipeline(client: Client, administrator: User) -> None:
    _login(client, administrator)
    assert (
        client.post(reverse("sales:pipeline-create"), {"name": "Тендеры", "position": 5, "is_active": "on"}).status_code
        == 302
    )
    pipeline = Pipeline.objects.get(name="Тендеры")
    assert [(s.name, s.kind) for s in pipeline.stages.order_by("position")] == [
        ("New", "open"), ("Won", "won"), ("Lost", "lost")
    ]  # fmt: skip
    response = client.post(
        reverse("sales:stage-create", args=[pipeline.pk]), {"name": "Заявка подана", "kind": "open", "probability": 40}
    )
    assert response.status_code == 302
    assert [s.name for s in pipeline.stages.order_by("position")] == ["New", "Заявка подана", "Won", "Lost"]
    filed = Stage.objects.get(name="Заявка подана")
    client.post(reverse("sales:stage-move", args=[filed.pk]), {"direction": "up"})
    assert [s.name for s in pipeline.stages.order_by("position")] == ["Заявка подана", "New", "Won", "Lost"]
    response = client.post(
        reverse("sales:requirement-add", args=[filed.pk]),
        {"kind": "document", "document_kind": "proposal", "label": ""},
    )
    assert response.status_code == 302
    requirement = StageRequirement.objects.get(stage=filed)
    assert (requirement.document_kind, requirement.label) == ("proposal", "commercial proposal generated")
    response = client.post(reverse("sales:requirement-add", args=[filed.pk]), {"kind": "interaction"})
    assert response.status_code == 200
    assert response.context["requirement_form"].errors == {"interaction_type": ["This field is required."]}
    client.post(reverse("sales:requirement-remove", args=[requirement.pk]))
    assert not StageRequirement.objects.filter(stage=filed).exists()


def test_a_stage_with_deals_cannot_be_deleted(client: Client, administrator: User, deal_of_manager: Deal) -> None:
    _login(client, administrator)
    client.post(reverse("sales:stage-delete", args=[deal_of_manager.stage_id]))
    assert Stage.objects.filter(pk=deal_of_manager.stage_id).exists()


def test_discount_limits_per_role(client: Client, administrator: User) -> None:
    _login(client, administrator)
    response = client.get(reverse("sales:discount-limits"))
    form = response.context["form"]
    manager_role = next(r for r in form.roles if r.name == "sales_manager")
    data = {f"role_{r.pk}": "" for r in form.roles}
    data[f"role_{manager_role.pk}"] = "12.5"
    assert client.post(reverse("sales:discount-limits"), data).status_code == 302
    assert list(DiscountLimit.objects.values_list("role__name", "max_percent")) == [("sales_manager", Decimal("12.50"))]


@pytest.mark.parametrize("persona", ["manager", "team_lead", "head_of_sales"])
def test_pipeline_settings_are_for_administrators(client: Client, persona: str, request: pytest.FixtureRequest) -> None:
    _login(client, request.getfixturevalue(persona))
    assert client.get(reverse("sales:pipeline-list")).status_code == 403
    assert client.post(reverse("sales:pipeline-create"), {"name": "X", "position": 1}).status_code == 403
    assert not Pipeline.objects.filter(name="X").exists()


def test_time_is_shown_in_words(client: Client, manager: User, deal_of_manager: Deal) -> None:
    deal_of_manager.stage_changes.update(at=deal_of_manager.created_at - datetime.timedelta(days=2, hours=3))
    _login(client, manager)
    response = client.get(reverse("sales:deal-detail", args=[deal_of_manager.pk]))
    assert response.context["time_in_stages"][0].text.startswith("2 days 3 h")


def test_the_filters_by_team_classifier_text_and_period(
    client: Client, manager: User, outsider: User, head_of_sales: User, flow: Flow
) -> None:
    vip = ClassifierNodeFactory(name="VIP")
    vip_client = PartyFactory(responsible=manager, name="ООО Важный")
    party_set_classification(actor=manager, party=vip_client, nodes=[vip])
    DealFactory(owner=manager, party=vip_client, title="Важная", expected_close_date=datetime.date(2026, 5, 10))
    DealFactory(owner=manager, title="Обычная", expected_close_date=datetime.date(2026, 7, 1))
    DealFactory(owner=outsider, title="Другой команды")
    _login(client, head_of_sales)
    url = reverse("sales:deal-list")

    def titles(params: dict[str, str]) -> list[str]:
        return sorted(d.title for d in client.get(url, params).context["page"].rows)

    assert manager.team is not None
    assert titles({"team": str(manager.team.pk)}) == ["Важная", "Обычная"]
    assert titles({"node": str(vip.pk)}) == ["Важная"]
    assert titles({"q": "важн"}) == ["Важная"]
    assert titles({"expected_close_after": "2026-06-01", "expected_close_before": "2026-12-31"}) == ["Обычная"]
    assert titles({"owner": str(outsider.pk)}) == ["Другой команды"]


def test_with_htmx_a_refusal_comes_back_in_place_and_a_success_reloads_the_card(
    client: Client, manager: User, deal_of_manager: Deal, flow: Flow
) -> None:
    _login(client, manager)
    url = reverse("sales:deal-move-stage", args=[deal_of_manager.pk])
    refused = client.post(url, {"stage": flow.proposal.pk}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200  # htmx swaps only 2xx answers
    assert "Демонстрация проведена" in refused.content.decode()
    moved = client.post(url, {"stage": flow.demo.pk}, HTTP_HX_REQUEST="true")
    assert (moved.status_code, moved["HX-Redirect"]) == (200, reverse("sales:deal-detail", args=[deal_of_manager.pk]))
