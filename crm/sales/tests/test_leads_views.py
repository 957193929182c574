"""Lead pages (S24): the list and its tabs, intake, the card's actions, the rules page and the site's form."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from crm.accounts.models import User
from crm.activities.models import Notification
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.sales.choices import LeadRuleKind, LeadStatus
from crm.sales.leads import services
from crm.sales.models import Deal, Lead, LeadRule
from crm.sales.tests.conftest import Flow
from crm.sales.tests.factories import StageFactory

VALID_INN = "7707083893"
TOKEN = "site-secret-123"


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def lead_of(owner: User | None, **data: Any) -> Lead:
    return services.lead_create(actor=None, data={"phone": "+79161234567", **data}, owner=owner)


def login(client: Client, user: User) -> Client:
    """Sign in with English pages: messages are asserted in the source language."""
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


@pytest.fixture
def visitor(client: Client) -> Client:
    """A visitor of the company's site, reading it in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# list


def test_the_inbox_tab_shows_unassigned_new_leads_to_the_head_of_sales(
    client: Client, head_of_sales: User, manager: User
) -> None:
    lead_of(None, title="Ничья заявка")
    lead_of(manager, title="Заявка Ивана")
    page = login(client, head_of_sales).get(reverse("sales:lead-list"))
    assert [lead.title for lead in page.context["page"].rows] == ["Ничья заявка"]
    assert page.context["tab"] == "new"
    assert page.context["tabs"] == [("new", 1), ("mine", 0), ("all", 2)]


def test_a_manager_starts_at_own_leads_and_never_sees_the_inbox(client: Client, manager: User) -> None:
    lead_of(None, title="Ничья заявка")
    lead_of(manager, title="Заявка Ивана")
    page = login(client, manager).get(reverse("sales:lead-list"))
    assert [lead.title for lead in page.context["page"].rows] == ["Заявка Ивана"]
    assert page.context["tabs"] == [("mine", 1), ("all", 1)]
    everything = client.get(reverse("sales:lead-list"), {"tab": "new"})
    assert [lead.title for lead in everything.context["page"].rows] == []


def test_a_team_lead_sees_the_team_s_leads_but_not_another_team_s(
    client: Client, team_lead: User, manager: User, outsider: User
) -> None:
    lead_of(manager, title="Команды")
    lead_of(outsider, title="Чужая")
    page = login(client, team_lead).get(reverse("sales:lead-list"), {"tab": "all"})
    assert [lead.title for lead in page.context["page"].rows] == ["Команды"]


def test_the_list_filters_by_search_channel_and_status(client: Client, head_of_sales: User, manager: User) -> None:
    lead_of(manager, title="Кассы", company_name="ООО Ромашка", channel="call")
    lead_of(None, title="Сервер", company_name="ООО Лютик", email="a@lutik.ru")
    login(client, head_of_sales)
    url = reverse("sales:lead-list")

    def titles(**params: str) -> list[str]:
        return [lead.title for lead in client.get(url, {"tab": "all", **params}).context["page"].rows]

    assert titles(q="ромаш") == ["Кассы"]
    assert titles(q="a@lutik.ru") == ["Сервер"]
    assert titles(q="916 123") == ["Сервер", "Кассы"]
    assert titles(q="8 (916) 123") == ["Сервер", "Кассы"]  # the trunk 8 of a number not yet complete
    assert titles(channel="call") == ["Кассы"]
    assert titles(status="new") == ["Сервер"]
    assert titles(owner=str(manager.pk)) == ["Кассы"]


def test_the_list_costs_the_same_queries_for_many_leads(
    client: Client, head_of_sales: User, manager: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        lead_of(manager if n % 2 else None, title=f"Заявка {n}")
    login(client, head_of_sales)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("sales:lead-list"), {"tab": "all"}).status_code == 200


# intake


def test_an_operator_registers_a_call_and_goes_on_to_the_next(client: Client, operator: User, manager: User) -> None:
    services.lead_rule_create(actor=manager, data={"name": "Все", "kind": LeadRuleKind.ROUND_ROBIN}, managers=[manager])
    response = login(client, operator).post(
        reverse("sales:lead-create"),
        {"title": "Звонок", "contact_name": "Иван", "phone": "8 916 123 45 67", "channel": "call"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:lead-create")
    lead = Lead.objects.get()
    assert (lead.phone, lead.owner, lead.channel) == ("+79161234567", manager, "call")


def test_a_manager_may_keep_the_lead_and_lands_on_its_card(client: Client, manager: User) -> None:
    response = login(client, manager).post(
        reverse("sales:lead-create"), {"email": "ivan@example.com", "channel": "email", "take": "on"}
    )
    lead = Lead.objects.get()
    assert response["Location"] == reverse("sales:lead-detail", args=[lead.pk])
    assert (lead.owner, lead.status) == (manager, LeadStatus.ASSIGNED)


def test_a_bad_phone_comes_back_on_the_form_and_nothing_is_saved(client: Client, operator: User) -> None:
    response = login(client, operator).post(
        reverse("sales:lead-create"), {"phone": "123", "inn": "1234567890", "channel": "call"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "phone": ["123 is not a valid phone number."],
        "inn": ["INN must be 10 or 12 digits with a correct check digit."],
    }
    assert Lead.objects.count() == 0


# card actions


def test_the_card_offers_clients_with_the_lead_s_inn(client: Client, manager: User, outsider: User) -> None:
    existing = PartyFactory(responsible=outsider, inn=VALID_INN)
    lead = lead_of(manager, inn=VALID_INN, company_name="Ромашка")
    page = login(client, manager).get(reverse("sales:lead-detail", args=[lead.pk]))
    assert page.context["candidates"] == [existing]
    assert page.context["can_change"] is True
    assert page.context["can_assign"] is False


def test_qualifying_on_the_page_creates_the_client_and_the_deal(client: Client, manager: User, flow: Flow) -> None:
    lead = lead_of(manager, title="Кассы", company_name="ООО Ромашка", inn=VALID_INN)
    response = login(client, manager).post(
        reverse("sales:lead-qualify", args=[lead.pk]),
        {"party": "", "party_kind": "organization", "pipeline": flow.pipeline.pk, "deal_title": "Кассы в сеть",
         "currency": "RUB"},
    )  # fmt: skip
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED
    assert Party.objects.get() == lead.party
    assert Deal.objects.get() == lead.deal
    assert lead.deal is not None
    assert lead.deal.title == "Кассы в сеть"
    card = client.get(response["Location"]).content.decode()
    assert reverse("sales:deal-detail", args=[lead.deal.pk]) in card
    assert reverse("parties:detail", args=[lead.deal.party_id]) in card


def test_qualifying_picks_an_existing_client_found_by_inn(
    client: Client, manager: User, outsider: User, flow: Flow
) -> None:
    existing = PartyFactory(responsible=outsider, inn=VALID_INN)
    lead = lead_of(manager, inn=VALID_INN, company_name="Ромашка")
    login(client, manager).post(
        reverse("sales:lead-qualify", args=[lead.pk]),
        {"party": str(existing.pk), "party_kind": "organization", "pipeline": flow.pipeline.pk, "currency": "RUB"},
    )
    lead.refresh_from_db()
    assert (lead.party, Party.objects.count()) == (existing, 1)


def test_a_stage_of_another_pipeline_is_refused_on_the_form(client: Client, manager: User, flow: Flow) -> None:
    foreign = StageFactory()  # in a pipeline of its own
    lead = lead_of(manager, company_name="ООО Ромашка")
    response = login(client, manager).post(
        reverse("sales:lead-qualify", args=[lead.pk]),
        {"party_kind": "organization", "pipeline": flow.pipeline.pk, "stage": foreign.pk, "currency": "RUB"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"stage": ["This stage belongs to another pipeline."]}
    assert (Party.objects.count(), Lead.objects.get().status) == (0, LeadStatus.ASSIGNED)


def test_rejecting_without_a_reason_shows_the_error_and_changes_nothing(client: Client, manager: User) -> None:
    lead = lead_of(manager)
    response = login(client, manager).post(reverse("sales:lead-reject", args=[lead.pk]), {"reason": ""})
    assert response.status_code == 200
    assert response.context["reject_form"].errors == {"reason": ["Say why the lead is rejected."]}
    assert Lead.objects.get().status == LeadStatus.ASSIGNED
    client.post(reverse("sales:lead-reject", args=[lead.pk]), {"reason": "Спам"})
    assert Lead.objects.values_list("status", "reject_reason").get() == (LeadStatus.REJECTED, "Спам")


def test_the_head_of_sales_assigns_the_ticked_leads(client: Client, head_of_sales: User, colleague: User) -> None:
    first, second, third = lead_of(None), lead_of(None), lead_of(None)
    response = login(client, head_of_sales).post(
        reverse("sales:lead-bulk-assign") + "?tab=new", {"lead": [first.pk, third.pk], "owner": colleague.pk}
    )
    assert response["Location"] == reverse("sales:lead-list") + "?tab=new"
    assert dict(Lead.objects.values_list("pk", "owner")) == {
        first.pk: colleague.pk, second.pk: None, third.pk: colleague.pk,
    }  # fmt: skip


def test_the_head_of_sales_hands_one_lead_over_and_the_manager_is_told(
    client: Client, head_of_sales: User, manager: User, colleague: User
) -> None:
    colleague.language = "en"  # the notification is written in the recipient's language; English is the source
    colleague.save(update_fields=["language"])
    lead = lead_of(manager, title="Кассы")
    response = login(client, head_of_sales).post(reverse("sales:lead-assign", args=[lead.pk]), {"owner": colleague.pk})
    assert response["Location"] == reverse("sales:lead-detail", args=[lead.pk])
    lead.refresh_from_db()
    assert (lead.owner, lead.status, lead.assigned_by_rule) == (colleague, LeadStatus.ASSIGNED, None)
    assert list(Notification.objects.filter(user=colleague).values_list("title", "url")) == [
        ("New lead: Кассы", reverse("sales:lead-detail", args=[lead.pk]))
    ]


def test_a_closed_lead_offers_no_actions_and_its_qualify_page_sends_back(
    client: Client, manager: User, head_of_sales: User
) -> None:
    lead = lead_of(manager)
    services.lead_reject(actor=manager, lead=lead, reason="Спам")
    login(client, head_of_sales)
    page = client.get(reverse("sales:lead-detail", args=[lead.pk]))
    assert (page.context["can_change"], page.context["can_assign"], page.context["candidates"]) == (False, False, [])
    response = client.get(reverse("sales:lead-qualify", args=[lead.pk]))
    assert response["Location"] == reverse("sales:lead-detail", args=[lead.pk])


def test_a_manager_cannot_assign_leads(client: Client, manager: User, colleague: User) -> None:
    lead = lead_of(manager)
    login(client, manager)
    assert client.post(reverse("sales:lead-assign", args=[lead.pk]), {"owner": colleague.pk}).status_code == 403
    assert client.post(reverse("sales:lead-bulk-assign"), {"lead": [lead.pk], "owner": colleague.pk}).status_code == 403
    assert Lead.objects.get().owner == manager


# rules


def test_the_head_of_sales_creates_reorders_and_deactivates_rules(
    client: Client, head_of_sales: User, manager: User, colleague: User
) -> None:
    login(client, head_of_sales)
    create = reverse("sales:lead-rule-create")
    client.post(create, {"name": "Москва", "kind": "territory", "match_values": "Москва", "managers": [manager.pk],
                         "is_active": "on"})  # fmt: skip
    client.post(
        create, {"name": "Все", "kind": "round_robin", "managers": [manager.pk, colleague.pk], "is_active": "on"}
    )
    everyone = LeadRule.objects.get(name="Все")
    client.post(reverse("sales:lead-rule-move", args=[everyone.pk]), {"direction": "up"})
    assert list(LeadRule.objects.values_list("name", flat=True)) == ["Все", "Москва"]
    client.post(
        reverse("sales:lead-rule-update", args=[everyone.pk]),
        {"name": "Все", "kind": "round_robin", "managers": [colleague.pk]},
    )
    everyone.refresh_from_db()
    assert (everyone.is_active, list(everyone.managers.all())) == (False, [colleague])
    page = client.get(reverse("sales:lead-rule-list"))
    assert [(rule.name, [(m, load) for m, load in managers]) for rule, managers in page.context["rows"]] == [
        ("Все", [(colleague, 0)]), ("Москва", [(manager, 0)]),
    ]  # fmt: skip


def test_a_territory_rule_without_values_is_refused_on_the_form(
    client: Client, head_of_sales: User, manager: User
) -> None:
    response = login(client, head_of_sales).post(
        reverse("sales:lead-rule-create"), {"name": "Юг", "kind": "territory", "managers": [manager.pk]}
    )
    assert response.context["form"].errors == {
        "match_values": ["List the regions or industries this rule takes, one per line."]
    }
    assert LeadRule.objects.count() == 0


# the site's form


def webform(client: Client, data: dict[str, Any], token: str = TOKEN, **extra: Any) -> Any:
    return client.post(reverse("sales:lead-webform") + f"?token={token}", data, **extra)


@override_settings(CRM_LEAD_FORM_TOKEN=TOKEN)
def test_a_site_posts_a_lead_and_the_visitor_sees_thanks(client: Client, manager: User) -> None:
    services.lead_rule_create(actor=manager, data={"name": "Все", "kind": LeadRuleKind.ROUND_ROBIN}, managers=[manager])
    response = webform(
        client, {"name": "Иван", "company": "ООО Ромашка", "phone": "+7 (916) 123-45-67", "message": "Позвоните"}
    )
    assert response.status_code == 200
    assert "webform-thanks" in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.contact_name, lead.company_name, lead.phone, lead.title, lead.channel, lead.owner) == (
        "Иван", "ООО Ромашка", "+79161234567", "Позвоните", "form", manager,
    )  # fmt: skip


@override_settings(CRM_LEAD_FORM_TOKEN=TOKEN)
def test_a_site_may_post_json_with_the_token_in_a_header(client: Client, db: None) -> None:
    response = client.post(
        reverse("sales:lead-webform"),
        json.dumps({"email": "ivan@example.com", "subject": "Прайс"}),
        content_type="application/json",
        headers={"X-CRM-Form-Token": TOKEN},
    )
    assert (response.status_code, response.json()) == (201, {"ok": True, "errors": {}})
    assert Lead.objects.values_list("email", "title").get() == ("ivan@example.com", "Прайс")


@override_settings(CRM_LEAD_FORM_TOKEN=TOKEN)
def test_a_wrong_token_is_refused_and_nothing_is_saved(client: Client, db: None) -> None:
    assert webform(client, {"phone": "+79161234567"}, token="guess").status_code == 403
    assert client.post(reverse("sales:lead-webform"), {"phone": "+79161234567"}).status_code == 403
    assert Lead.objects.count() == 0


@override_settings(CRM_LEAD_FORM_TOKEN="")
def test_without_a_configured_token_the_form_does_not_exist(client: Client, db: None) -> None:
    assert webform(client, {"phone": "+79161234567"}, token="").status_code == 404
    assert Lead.objects.count() == 0


@override_settings(CRM_LEAD_FORM_TOKEN=TOKEN)
def test_a_bot_filling_the_honeypot_is_thanked_and_ignored(client: Client, db: None) -> None:
    response = webform(client, {"phone": "+79161234567", "website": "http://spam.example"})
    assert response.status_code == 200
    assert Lead.objects.count() == 0


@override_settings(CRM_LEAD_FORM_TOKEN=TOKEN)
def test_bad_fields_are_named_and_nothing_is_saved(visitor: Client, db: None) -> None:
    client = visitor
    response = client.post(
        reverse("sales:lead-webform") + f"?token={TOKEN}",
        {"phone": "12", "email": "x@"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "errors": {"phone": ["12 is not a valid phone number."], "email": ["x@ is not a valid e-mail address."]},
    }
    html = webform(client, {"inn": "1111111111", "phone": "+79161234567"})
    assert html.status_code == 400
    assert "INN must be 10 or 12 digits with a correct check digit." in html.content.decode()
    assert Lead.objects.count() == 0


@override_settings(CRM_LEAD_FORM_TOKEN=TOKEN)
def test_too_many_posts_from_one_address_are_refused(client: Client, db: None) -> None:
    statuses = [webform(client, {"phone": "+79161234567"}).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert Lead.objects.count() == 10


@override_settings(CRM_LEAD_FORM_TOKEN=TOKEN)
def test_an_oversized_post_is_refused(client: Client, db: None) -> None:
    response = webform(client, {"phone": "+79161234567", "message": "x" * 30_000})
    assert response.status_code == 413
    assert Lead.objects.count() == 0


@override_settings(CRM_LEAD_FORM_TOKEN=TOKEN, CRM_LEAD_FORM_RATE_PER_MINUTE=2)
def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(client: Client, db: None) -> None:
    def post(forwarded: str) -> int:
        return int(webform(client, {"phone": "+79161234567"}, HTTP_X_FORWARDED_FOR=forwarded).status_code)

    # Without CRM_PROXY_HOPS the header is not trusted: every post counts for the connection's address.
    assert [post("203.0.113.1"), post("203.0.113.2"), post("203.0.113.3")] == [200, 200, 429]
    cache.clear()
    with override_settings(CRM_PROXY_HOPS=1):
        # The proxy appends the address it saw; whatever a visitor put before it is not believed.
        assert [post("203.0.113.1"), post("203.0.113.1"), post("203.0.113.1")] == [200, 200, 429]
        assert post("203.0.113.2") == 200
        assert post("10.0.0.9, 203.0.113.2") == 200
        assert post("10.0.0.8, 203.0.113.2") == 429


@override_settings(
    CRM_LEAD_FORM_TOKEN=TOKEN,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}},
)
def test_a_cache_server_that_is_down_does_not_break_the_site_form(client: Client, db: None) -> None:
    from django.core.cache import caches

    caches.close_all()
    response = webform(client, {"phone": "+79161234567"})
    assert response.status_code == 200
    assert Lead.objects.count() == 1
