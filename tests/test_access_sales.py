"""Who may do what on deals, their lines and pipeline settings: URL x method x persona (style guide 6, 10).

A deal of `manager`: its owner and those who change any deal (head of sales, administrator) change it;
the team lead and a marketer see it but are refused (403); a colleague, another team and an operator
cannot tell it exists (404). Pipeline settings are for those who manage pipelines (the administrator).
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.catalog.models import Product
from crm.catalog.tests.factories import ProductFactory
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.sales.models import (
    Deal,
    DealEvent,
    DealInteraction,
    DealLine,
    DealStageChange,
    DiscountLimit,
    Pipeline,
    Stage,
    StageRequirement,
)
from crm.sales.tests.factories import DealFactory, DealLineFactory, PipelineFactory, StageFactory
from tests.access import Case, anonymous_status, check_access, everyone, only, send_request


@dataclass
class SalesWorld:
    """A deal of `manager` with a line, one in the trash, and a pipeline to configure."""

    party: Party
    deal: Deal
    trashed: Deal
    line: DealLine
    product: Product
    pipeline: Pipeline
    first: Stage
    second: Stage
    requirement: StageRequirement


@pytest.fixture
def world(manager: User) -> SalesWorld:
    party = PartyFactory(responsible=manager, name="ООО Ромашка")
    pipeline = PipelineFactory(name="Воронка доступа")
    first = StageFactory(pipeline=pipeline, name="Первый", position=1)
    second = StageFactory(pipeline=pipeline, name="Второй", position=2)
    requirement = StageRequirement.objects.create(stage=second, kind="field", field="contact", label="Контакт")
    deal = DealFactory(owner=manager, party=party, pipeline=pipeline, stage=first, title="Сделка менеджера")
    trashed = DealFactory(
        owner=manager, party=party, pipeline=pipeline, stage=first, is_deleted=True, deleted_at=timezone.now()
    )
    line = DealLineFactory(deal=deal)
    return SalesWorld(
        party=party, deal=deal, trashed=trashed, line=line, product=ProductFactory(), pipeline=pipeline,
        first=first, second=second, requirement=requirement,
    )  # fmt: skip


SalesCase = Case[SalesWorld]
#         manager colleague lead outsider head marketer operator admin
VIEW = (200, 404, 200, 404, 200, 200, 404, 200)
EDIT_PAGE = (200, 404, 403, 404, 200, 403, 404, 200)
CHANGE = (302, 404, 403, 404, 302, 403, 404, 302)
RESTORE = (302, 404, 404, 404, 302, 404, 404, 302)
CREATE_PAGE = (200, 404, 200, 404, 200, 403, 403, 200)
# A colleague and another team cannot use a client they do not see: the form comes back with the error.
CREATE = (302, 200, 302, 200, 302, 403, 403, 302)
CLIENT_CARD = (200, 404, 200, 404, 200, 200, 200, 200)
API_CHANGE = (200, 404, 403, 404, 200, 403, 404, 200)
API_CREATED = (201, 404, 403, 404, 201, 403, 404, 201)
API_REMOVED = (204, 404, 403, 404, 204, 403, 404, 204)
API_CREATE = (201, 400, 201, 400, 201, 403, 403, 201)


def settings_only(status: int) -> tuple[int, ...]:
    return only(status, "administrator")


def _interaction(world: SalesWorld) -> dict[str, Any]:
    return {
        "type": InteractionType.objects.get(code="call").pk, "direction": "out", "duration_minutes": 5,
        "occurred_at": "2026-01-10T10:00", "subject": "Звонок",
    }  # fmt: skip


def _new_deal(world: SalesWorld) -> dict[str, Any]:
    return {"title": "Новая", "party": world.party.pk, "pipeline": world.pipeline.pk, "currency": "RUB"}


CASES: list[SalesCase] = [
    Case("sales:deal-list", "get", everyone(200)),
    Case("sales:deal-export", "get", everyone(200), lambda w: ["csv"]),
    Case("sales:deal-trash", "get", everyone(200)),
    Case("sales:deal-party-options", "get", everyone(200), data={"party_query": "Ромашка"}),
    Case("sales:deal-create", "get", CREATE_PAGE, data=lambda w: {"party": w.party.pk}),
    Case("sales:deal-create", "post", CREATE, data=_new_deal),
    Case("sales:deal-detail", "get", VIEW, lambda w: [w.deal.pk]),
    Case("sales:deal-update", "get", EDIT_PAGE, lambda w: [w.deal.pk]),
    Case("sales:deal-update", "post", CHANGE, lambda w: [w.deal.pk], lambda w: {"title": "Новое", "currency": "RUB"}),
    Case("sales:deal-delete", "post", CHANGE, lambda w: [w.deal.pk]),
    Case("sales:deal-restore", "post", RESTORE, lambda w: [w.trashed.pk]),
    Case("sales:deal-move-stage", "post", CHANGE, lambda w: [w.deal.pk], lambda w: {"stage": w.second.pk}),
    Case(
        "sales:deal-line-add",
        "post",
        CHANGE,
        lambda w: [w.deal.pk],
        lambda w: {"product": w.product.pk, "quantity": "1", "list_price": "10"},
    ),  # fmt: skip
    Case("sales:deal-line-update", "post", CHANGE, lambda w: [w.line.pk], {"quantity": "2", "discount_percent": "0"}),
    Case("sales:deal-line-remove", "post", CHANGE, lambda w: [w.line.pk]),
    Case("sales:deal-log-interaction", "post", CHANGE, lambda w: [w.deal.pk], _interaction),
    Case("sales:party-deals", "get", CLIENT_CARD, lambda w: [w.party.pk]),
    Case("sales:pipeline-list", "get", settings_only(200)),
    Case("sales:pipeline-create", "get", settings_only(200)),
    Case("sales:pipeline-create", "post", settings_only(302), data={"name": "Новая воронка", "position": 1}),
    Case("sales:pipeline-update", "get", settings_only(200), lambda w: [w.pipeline.pk]),
    Case(
        "sales:pipeline-update",
        "post",
        settings_only(302),
        lambda w: [w.pipeline.pk],
        {"name": "Переименована", "position": 2},
    ),  # fmt: skip
    Case(
        "sales:stage-create",
        "post",
        settings_only(302),
        lambda w: [w.pipeline.pk],
        {"name": "Третий", "kind": "open", "probability": 50},
    ),  # fmt: skip
    Case("sales:stage-update", "get", settings_only(200), lambda w: [w.second.pk]),
    Case(
        "sales:stage-update",
        "post",
        settings_only(302),
        lambda w: [w.second.pk],
        {"name": "Второй!", "kind": "open", "probability": 40},
    ),  # fmt: skip
    Case("sales:stage-move", "post", settings_only(302), lambda w: [w.second.pk], {"direction": "up"}),
    Case("sales:stage-delete", "post", settings_only(302), lambda w: [w.second.pk]),
    Case(
        "sales:requirement-add",
        "post",
        settings_only(302),
        lambda w: [w.first.pk],
        {"kind": "document", "document_kind": "proposal"},
    ),  # fmt: skip
    Case("sales:requirement-remove", "post", settings_only(302), lambda w: [w.requirement.pk]),
    Case("sales:discount-limits", "get", settings_only(200)),
    Case("sales:discount-limits", "post", settings_only(302)),
    Case("api:deal-list", "get", everyone(200)),
    Case("api:deal-list", "post", API_CREATE, data=_new_deal, json=True),
    Case("api:deal-detail", "get", VIEW, lambda w: [w.deal.pk]),
    Case(
        "api:deal-detail",
        "patch",
        API_CHANGE,
        lambda w: [w.deal.pk],
        lambda w: {"title": "Новое", "version": w.deal.version},
        json=True,
    ),  # fmt: skip
    Case("api:deal-detail", "delete", API_REMOVED, lambda w: [w.deal.pk]),
    Case("api:deal-move-stage", "post", API_CHANGE, lambda w: [w.deal.pk], lambda w: {"stage": w.second.pk}, json=True),
    Case("api:deal-requirements", "get", VIEW, lambda w: [w.deal.pk]),
    Case(
        "api:deal-lines",
        "post",
        API_CREATED,
        lambda w: [w.deal.pk],
        lambda w: {"product": w.product.pk, "quantity": "1", "list_price": "10"},
        json=True,
    ),  # fmt: skip
    Case("api:deal-line-detail", "patch", API_CHANGE, lambda w: [w.line.pk], {"quantity": "2"}, json=True),
    Case("api:deal-line-detail", "delete", API_REMOVED, lambda w: [w.line.pk]),
    Case("api:deal-interactions", "post", API_CREATED, lambda w: [w.deal.pk], {"type": "call"}, json=True),
    Case("api:pipeline-list", "get", everyone(200)),
]


def _snapshot(world: SalesWorld) -> dict[str, Any]:
    """Everything a refused request could have changed."""
    return {
        "deal": Deal.objects.filter(pk=world.deal.pk).values().first(),
        "trashed": Deal.objects.filter(pk=world.trashed.pk).values("is_deleted").first(),
        "deals": Deal.objects.count(),
        "lines": list(DealLine.objects.order_by("pk").values()),
        "events": DealEvent.objects.count(),
        "stage_changes": DealStageChange.objects.count(),
        "links": DealInteraction.objects.count(),
        "pipelines": list(Pipeline.objects.order_by("pk").values()),
        "stages": list(Stage.objects.order_by("pk").values()),
        "requirements": list(StageRequirement.objects.order_by("pk").values()),
        "limits": list(DiscountLimit.objects.order_by("pk").values()),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access(request: pytest.FixtureRequest, world: SalesWorld, case: SalesCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_anonymous_visitors_are_refused_and_change_nothing(client: Client, world: SalesWorld, case: SalesCase) -> None:
    before = _snapshot(world)
    assert send_request(client, case, world) == anonymous_status(case, {})
    assert _snapshot(world) == before
