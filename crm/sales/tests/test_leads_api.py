"""Leads over REST (S24): a mail robot pushes leads with a token; assignment, qualification, rejection, rules."""

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.accounts.models import User
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.sales.choices import LeadRuleKind, LeadStatus
from crm.sales.leads import services
from crm.sales.models import Deal, Lead, LeadRule
from crm.sales.tests.conftest import Flow

VALID_INN = "7707083893"


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages are asserted in the source language
    client.force_authenticate(user)
    return client


def lead_of(owner: User | None, **data: Any) -> Lead:
    return services.lead_create(actor=None, data={"phone": "+79161234567", **data}, owner=owner)


def test_a_mail_robot_pushes_a_lead_with_its_token_and_the_rules_place_it(operator: User, manager: User) -> None:
    services.lead_rule_create(
        actor=manager, data={"name": "IT", "kind": LeadRuleKind.INDUSTRY, "match_values": "IT"}, managers=[manager]
    )
    robot = APIClient()
    robot.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=operator).key}")
    response = robot.post(
        reverse("api:lead-list"),
        {"title": "Письмо с сайта", "email": "Buyer@Example.com", "industry": "it", "channel": "email"},
        format="json",
    )
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json()["id"] == lead.pk
    assert (lead.email, lead.channel, lead.owner, lead.status) == (
        "buyer@example.com", "email", manager, LeadStatus.ASSIGNED,
    )  # fmt: skip


def test_bad_fields_are_a_400_naming_each_and_nothing_is_saved(operator: User) -> None:
    response = api_for(operator).post(reverse("api:lead-list"), {"phone": "+7 000", "inn": "7707083894"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "phone": ["+7 000 is not a valid phone number."],
        "inn": ["INN must be 10 or 12 digits with a correct check digit."],
    }
    assert Lead.objects.count() == 0


def test_an_operator_cannot_keep_a_lead(operator: User) -> None:
    response = api_for(operator).post(reverse("api:lead-list"), {"phone": "+79161234567", "take": True}, format="json")
    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_the_list_has_tabs_and_the_page_s_filters(head_of_sales: User, manager: User) -> None:
    lead_of(manager, title="Кассы", channel="call")
    lead_of(None, title="Ничья")
    api = api_for(head_of_sales)

    def titles(**params: str) -> list[str]:
        return [row["title"] for row in api.get(reverse("api:lead-list"), params).json()["results"]]

    assert titles() == ["Ничья", "Кассы"]
    assert titles(tab="new") == ["Ничья"]
    assert titles(channel="call") == ["Кассы"]
    assert titles(q="нича") == []
    assert titles(q="ничь") == ["Ничья"]
    assert api.get(reverse("api:lead-list")).json()["count"] == 2


def test_the_owner_gets_client_candidates_a_team_lead_does_not(manager: User, team_lead: User, outsider: User) -> None:
    existing = PartyFactory(responsible=outsider, inn=VALID_INN)
    lead = lead_of(manager, inn=VALID_INN)
    url = reverse("api:lead-detail", args=[lead.pk])
    candidates = api_for(manager).get(url).json()["client_candidates"]
    assert [(c["id"], c["responsible"]) for c in candidates] == [(existing.pk, outsider.pk)]
    assert api_for(team_lead).get(url).json()["client_candidates"] == []


def test_bulk_assignment_with_a_closed_lead_is_refused_whole(head_of_sales: User, colleague: User) -> None:
    fresh, closed = lead_of(None), lead_of(None, title="Спам")
    services.lead_reject(actor=head_of_sales, lead=closed, reason="спам")
    api = api_for(head_of_sales)
    url = reverse("api:lead-bulk-assign")
    refused = api.post(url, {"owner": colleague.pk, "ids": [fresh.pk, closed.pk]}, format="json")
    assert (refused.status_code, refused.json()) == (
        400,
        {"non_field_errors": ["The lead “Спам” is already rejected."]},
    )
    assert Lead.objects.get(pk=fresh.pk).owner is None
    done = api.post(url, {"owner": colleague.pk, "ids": [fresh.pk]}, format="json")
    assert (done.status_code, done.json()) == (200, {"assigned": 1})
    assert Lead.objects.get(pk=fresh.pk).owner == colleague


def test_assigning_to_someone_who_cannot_take_leads_is_a_404(head_of_sales: User, operator: User) -> None:
    lead = lead_of(None)
    response = api_for(head_of_sales).post(
        reverse("api:lead-assign", args=[lead.pk]), {"owner": operator.pk}, format="json"
    )
    assert response.status_code == 404
    assert Lead.objects.get().owner is None


def test_qualifying_with_a_found_client_of_another_manager(manager: User, outsider: User, flow: Flow) -> None:
    existing = PartyFactory(responsible=outsider, inn=VALID_INN)
    lead = lead_of(manager, inn=VALID_INN, title="Кассы")
    response = api_for(manager).post(
        reverse("api:lead-qualify", args=[lead.pk]),
        {"pipeline": flow.pipeline.pk, "party": existing.pk, "deal_title": "Кассы в сеть"},
        format="json",
    )
    assert response.status_code == 200
    deal = Deal.objects.get()
    assert (response.json()["status"], response.json()["party"], response.json()["deal"]) == (
        "qualified", existing.pk, deal.pk,
    )  # fmt: skip
    assert (deal.title, deal.owner, deal.party) == ("Кассы в сеть", manager, existing)


def test_qualifying_with_a_hidden_unrelated_client_is_refused(manager: User, outsider: User, flow: Flow) -> None:
    hidden = PartyFactory(responsible=outsider)
    lead = lead_of(manager, company_name="ООО Ромашка")
    response = api_for(manager).post(
        reverse("api:lead-qualify", args=[lead.pk]), {"pipeline": flow.pipeline.pk, "party": hidden.pk}, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"party": ["There is no such client."]})
    assert (Lead.objects.get().status, Deal.objects.count(), Party.objects.count()) == (LeadStatus.ASSIGNED, 0, 1)


def test_rejecting_needs_a_reason(manager: User) -> None:
    lead = lead_of(manager)
    api = api_for(manager)
    url = reverse("api:lead-reject", args=[lead.pk])
    assert api.post(url, {"reason": " "}, format="json").status_code == 400
    assert Lead.objects.get().status == LeadStatus.ASSIGNED
    response = api.post(url, {"reason": "Не наш профиль"}, format="json")
    assert (response.json()["status"], response.json()["reject_reason"]) == ("rejected", "Не наш профиль")


def test_rules_are_created_placed_deactivated_and_removed(head_of_sales: User, manager: User, colleague: User) -> None:
    api = api_for(head_of_sales)
    first = api.post(
        reverse("api:lead-rule-list"), {"name": "Все", "kind": "round_robin", "managers": [manager.pk]}, format="json"
    )
    second = api.post(
        reverse("api:lead-rule-list"),
        {"name": "Москва", "kind": "territory", "match_values": "Москва", "managers": [colleague.pk], "position": 0},
        format="json",
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert [r["name"] for r in api.get(reverse("api:lead-rule-list")).json()] == ["Москва", "Все"]
    url = reverse("api:lead-rule-detail", args=[first.json()["id"]])
    patched = api.patch(url, {"is_active": False, "position": 0}, format="json")
    assert (patched.json()["is_active"], patched.json()["position"]) == (False, 0)
    assert lead_of(None, region="Тверь").owner is None
    assert api.delete(url).status_code == 204
    assert list(LeadRule.objects.values_list("name", flat=True)) == ["Москва"]


def test_a_rule_without_managers_is_a_400(head_of_sales: User) -> None:
    response = api_for(head_of_sales).post(
        reverse("api:lead-rule-list"), {"name": "Все", "kind": "load", "managers": []}, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"managers": ["Choose at least one manager."]})
    assert LeadRule.objects.count() == 0


pytestmark = pytest.mark.django_db
