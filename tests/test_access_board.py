"""Who may open the kanban board and move its cards: URL x method x persona (style guide 6, 10).

Every signed-in user opens the board and sees the deals they may see (none, for some roles); moving a
card is for its owner and those who change any deal: the team lead and a marketer see it but are
refused (403), a colleague, another team and an operator cannot tell it exists (404).
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from crm.accounts.models import User
from crm.sales.models import Deal, DealEvent, DealStageChange, Stage
from crm.sales.tests.factories import DealFactory, PipelineFactory, StageFactory
from tests.access import Case, anonymous_status, check_access, everyone, send_request


@dataclass
class BoardWorld:
    """A deal of `manager` in the first stage of a pipeline, and the next stage to drag it to."""

    deal: Deal
    first: Stage
    second: Stage


@pytest.fixture
def world(manager: User) -> BoardWorld:
    pipeline = PipelineFactory(name="Воронка доступа")
    first = StageFactory(pipeline=pipeline, name="Первый", position=1)
    second = StageFactory(pipeline=pipeline, name="Второй", position=2)
    deal = DealFactory(owner=manager, pipeline=pipeline, stage=first, title="Сделка менеджера")
    return BoardWorld(deal=deal, first=first, second=second)


BoardCase = Case[BoardWorld]
#       manager colleague lead outsider head marketer operator admin
MOVE = (302, 404, 403, 404, 302, 403, 404, 302)

CASES: list[BoardCase] = [
    Case("sales:board", "get", everyone(200)),
    Case("sales:board-column", "get", everyone(200), lambda w: [w.first.pk]),
    Case("sales:board-move", "post", MOVE, lambda w: [w.deal.pk], lambda w: {"stage": w.second.pk}),
]


def _snapshot(world: BoardWorld) -> dict[str, Any]:
    """Everything a refused move could have changed."""
    return {
        "deal": Deal.objects.filter(pk=world.deal.pk).values().first(),
        "events": DealEvent.objects.count(),
        "stage_changes": DealStageChange.objects.count(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access(request: pytest.FixtureRequest, world: BoardWorld, case: BoardCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.method == "get"], ids=lambda c: c.id)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: BoardWorld, case: BoardCase) -> None:
    assert send_request(client, case, world) == anonymous_status(case, {})


@pytest.mark.django_db
def test_anonymous_moves_change_nothing(client: Client, world: BoardWorld) -> None:
    before = _snapshot(world)
    assert send_request(client, CASES[2], world) == 302
    assert _snapshot(world) == before
