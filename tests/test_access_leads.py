"""Who may do what with leads and their distribution rules: URL x method x persona (S24).

Columns as in tests/test_access_matrix.py. The lead belongs to `manager`; a second one waits unassigned in the
inbox. Heads of sales and administrators see and work every lead and edit the rules; a team lead sees the team's
leads and changes none; a marketer sees every lead (lead sources, M4) and changes none; an operator enters leads
and afterwards sees only those, changing none; the site's form answers anyone who brings the installation's token.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings

from crm.accounts.models import User
from crm.activities.models import Notification
from crm.parties.models import Party
from crm.sales.choices import LeadRuleKind
from crm.sales.leads import services
from crm.sales.models import Deal, Lead, LeadRule, Pipeline
from crm.sales.tests.factories import PipelineFactory, StageFactory
from tests.access import PERSONAS, Case, anonymous_status, check_access, everyone, only, send_request

TOKEN = "site-form-token"


@dataclass
class World:
    lead: Lead
    inbox: Lead
    entered: Lead
    rule: LeadRule
    pipeline: Pipeline
    colleague: User


@pytest.fixture
def world(manager: User, colleague: User, operator: User, settings: Settings) -> World:
    settings.CRM_LEAD_FORM_TOKEN = TOKEN
    cache.clear()  # the site form's rate limit counts in the cache
    pipeline = PipelineFactory(name="Продажи по заявкам")
    StageFactory(pipeline=pipeline, name="Квалификация")
    lead = services.lead_create(
        actor=manager, owner=manager, data={"title": "Кассы", "company_name": "ООО Ромашка", "phone": "+79161234567"}
    )
    inbox = services.lead_create(actor=None, data={"title": "Ничья", "email": "who@example.com"})
    entered = services.lead_create(actor=operator, data={"title": "Звонок", "phone": "+79160001122"})
    rule = services.lead_rule_create(
        actor=manager,
        data={"name": "Москва", "kind": LeadRuleKind.TERRITORY, "match_values": "Москва"},
        managers=[manager],
    )
    return World(lead, inbox, entered, rule, pipeline, colleague)


WorldCase = Case["World"]
LEAD: Callable[[World], list[Any]] = lambda w: [w.lead.pk]  # noqa: E731
INBOX: Callable[[World], list[Any]] = lambda w: [w.inbox.pk]  # noqa: E731
ENTERED: Callable[[World], list[Any]] = lambda w: [w.entered.pk]  # noqa: E731
RULE: Callable[[World], list[Any]] = lambda w: [w.rule.pk]  # noqa: E731
#                 manager colleague lead outsider head marketer operator admin
SEE = (200, 404, 200, 404, 200, 200, 404, 200)
SEE_INBOX = (404, 404, 404, 404, 200, 200, 404, 200)
SEE_ENTERED = (404, 404, 404, 404, 200, 200, 200, 200)  # the inbox's, plus the operator who entered it
CHANGE_ENTERED = (404, 404, 404, 404, 200, 403, 403, 200)  # who entered it only looks
ADD = only(200, *set(PERSONAS) - {"marketer"})
DISTRIBUTE = ("head_of_sales", "administrator")


def change(ok: int) -> tuple[int, ...]:
    """Qualify or reject: the owner, the head of sales, the administrator; others who see it are refused."""
    return (ok, 404, 403, 404, ok, 403, 404, ok)


def assign(ok: int) -> tuple[int, ...]:
    """Assign by hand: who distributes leads; others who see the lead are refused."""
    return (403, 404, 403, 404, ok, 403, 404, ok)


def _qualify(w: World) -> dict[str, Any]:
    return {"party": "", "party_kind": "organization", "pipeline": w.pipeline.pk, "currency": "RUB"}


RULE_FORM: Callable[[World], dict[str, Any]] = lambda w: {  # noqa: E731
    "name": "Все", "kind": "round_robin", "managers": [w.colleague.pk], "is_active": "on",
}  # fmt: skip

CASES: list[WorldCase] = [
    # pages
    Case("sales:lead-list", "get", everyone(200)),
    Case("sales:lead-create", "get", ADD),
    Case(
        "sales:lead-create",
        "post",
        only(302, *set(PERSONAS) - {"marketer"}),
        data={"phone": "+79161112233", "channel": "call"},
    ),
    Case(
        "sales:lead-bulk-assign",
        "post",
        only(302, *DISTRIBUTE),
        data=lambda w: {"lead": [w.inbox.pk], "owner": w.colleague.pk},
    ),
    Case("sales:lead-webform", "post", everyone(200), data={"token": TOKEN, "phone": "+79161112233"}),
    Case("sales:lead-detail", "get", SEE, LEAD),
    Case("sales:lead-detail", "get", SEE_INBOX, INBOX),
    Case("sales:lead-detail", "get", SEE_ENTERED, ENTERED),
    Case("sales:lead-assign", "post", assign(302), LEAD, lambda w: {"owner": w.colleague.pk}),
    Case("sales:lead-qualify", "get", change(200), LEAD),
    Case("sales:lead-qualify", "post", change(302), LEAD, _qualify),
    Case("sales:lead-reject", "post", change(302), LEAD, {"reason": "Спам"}),
    Case(
        "sales:lead-reject", "post", tuple(302 if s == 200 else s for s in CHANGE_ENTERED), ENTERED, {"reason": "Спам"}
    ),
    Case("sales:lead-qualify", "get", CHANGE_ENTERED, ENTERED),
    Case("sales:lead-rule-list", "get", only(200, *DISTRIBUTE)),
    Case("sales:lead-rule-create", "get", only(200, *DISTRIBUTE)),
    Case("sales:lead-rule-create", "post", only(302, *DISTRIBUTE), data=RULE_FORM),
    Case("sales:lead-rule-update", "get", only(200, *DISTRIBUTE), RULE),
    Case("sales:lead-rule-update", "post", only(302, *DISTRIBUTE), RULE, RULE_FORM),
    Case("sales:lead-rule-move", "post", only(302, *DISTRIBUTE), RULE, {"direction": "down"}),
    # API
    Case("api:lead-list", "get", everyone(200)),
    Case("api:lead-list", "post", only(201, *set(PERSONAS) - {"marketer"}), data={"phone": "+79161112233"}, json=True),
    Case(
        "api:lead-bulk-assign",
        "post",
        only(200, *DISTRIBUTE),
        data=lambda w: {"owner": w.colleague.pk, "ids": [w.inbox.pk]},
        json=True,
    ),  # fmt: skip
    Case("api:lead-detail", "get", SEE, LEAD),
    Case("api:lead-detail", "get", SEE_INBOX, INBOX),
    Case("api:lead-detail", "get", SEE_ENTERED, ENTERED),
    Case("api:lead-reject", "post", CHANGE_ENTERED, ENTERED, {"reason": "Спам"}, json=True),
    Case("api:lead-assign", "post", assign(200), LEAD, lambda w: {"owner": w.colleague.pk}, json=True),
    Case("api:lead-qualify", "post", change(200), LEAD, lambda w: {"pipeline": w.pipeline.pk}, json=True),
    Case("api:lead-reject", "post", change(200), LEAD, {"reason": "Спам"}, json=True),
    Case("api:lead-rule-list", "get", only(200, *DISTRIBUTE)),
    Case(
        "api:lead-rule-list",
        "post",
        only(201, *DISTRIBUTE),
        data=lambda w: {"name": "Все", "kind": "load", "managers": [w.colleague.pk]},
        json=True,
    ),  # fmt: skip
    Case("api:lead-rule-detail", "get", only(200, *DISTRIBUTE), RULE),
    Case("api:lead-rule-detail", "patch", only(200, *DISTRIBUTE), RULE, {"is_active": False}, json=True),
    Case("api:lead-rule-detail", "delete", only(204, *DISTRIBUTE), RULE),
]


def _snapshot(world: World) -> dict[str, Any]:
    """Everything a refused request could have changed."""
    counted = [Lead, LeadRule, Party, Deal, Notification]
    return {
        "counts": {m.__name__: m._default_manager.count() for m in counted},
        "lead": Lead.objects.filter(pk=world.lead.pk).values().first(),
        "inbox": Lead.objects.filter(pk=world.inbox.pk).values().first(),
        "entered": Lead.objects.filter(pk=world.entered.pk).values().first(),
        "rule": LeadRule.objects.filter(pk=world.rule.pk).values().first(),
        "rule_managers": sorted(world.rule.managers.values_list("pk", flat=True)),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access(request: pytest.FixtureRequest, world: World, case: WorldCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.method == "get"], ids=lambda c: c.id)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: World, case: WorldCase) -> None:
    assert send_request(client, case, world) == anonymous_status(case, {})


@pytest.mark.django_db
def test_an_anonymous_site_visitor_may_post_the_form_with_the_token(client: Client, world: World) -> None:
    case = Case[World]("sales:lead-webform", "post", everyone(200), data={"token": TOKEN, "phone": "+79161112233"})
    assert send_request(client, case, world) == 200
    assert Lead.objects.filter(phone="+79161112233", owner=None).count() == 1
