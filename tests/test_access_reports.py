"""Who may open the sales summary and what it counts for them: URL x method x persona (style guide 6, 10).

Every signed-in user opens the report; it counts only the deals they may see (crm.sales.access), so
a won deal of `manager` shows for the manager, the team lead, the head of sales, the marketer and the
administrator, and not for a colleague, another team or an operator. Filtering by an owner one may not
see is refused as an invalid choice (400 from the API) rather than answered with zeros.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from crm.accounts.models import User
from crm.sales.models import Deal, DealEvent, DealStageChange
from crm.sales.tests.factories import DealFactory, PipelineFactory, StageFactory, WonStageFactory
from tests.access import PERSONAS, Case, anonymous_status, check_access, everyone, send_request


@dataclass
class ReportWorld:
    """A won deal of `manager` for 1,500.00 RUB."""

    deal: Deal


@pytest.fixture
def world(manager: User) -> ReportWorld:
    pipeline = PipelineFactory(name="Воронка отчёта")
    StageFactory(pipeline=pipeline, name="Первый", position=1)
    won = WonStageFactory(pipeline=pipeline, name="Успешно")
    deal = DealFactory(owner=manager, pipeline=pipeline, stage=won, amount=Decimal("1500.00"), title="Выигранная")
    return ReportWorld(deal=deal)


ReportCase = Case[ReportWorld]
#                 manager colleague lead outsider head marketer operator admin
SEES_THE_OWNER = (200, 400, 200, 400, 200, 200, 400, 200)

CASES: list[ReportCase] = [
    Case("sales:report-summary", "get", everyone(200)),
    Case("sales:report-summary", "get", everyone(200), data={"format": "xlsx"}),
    Case("sales:report-summary", "get", everyone(200), data={"start": "2026-02-01", "end": "2026-01-01"}),
    Case("api:sales-report-summary", "get", everyone(200)),
    Case("api:sales-report-summary", "get", SEES_THE_OWNER, data=lambda w: {"owner": w.deal.owner_id}),
    Case("api:sales-report-summary", "get", everyone(400), data={"start": "2026-02-01", "end": "2026-01-01"}),
]


def _snapshot(world: ReportWorld) -> dict[str, Any]:
    """A report reads only: nothing may change."""
    return {
        "deal": Deal.objects.filter(pk=world.deal.pk).values().first(),
        "events": DealEvent.objects.count(),
        "stage_changes": DealStageChange.objects.count(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[f"{c.id}-{n}" for n, c in enumerate(CASES)])
def test_access(request: pytest.FixtureRequest, world: ReportWorld, case: ReportCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.method == "get"], ids=lambda c: c.id)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: ReportWorld, case: ReportCase) -> None:
    assert send_request(client, case, world) == anonymous_status(case, {})


#                   manager colleague lead outsider head marketer operator admin
WON_DEALS_SEEN = dict(zip(PERSONAS, (1, 0, 1, 0, 1, 1, 0, 1), strict=True))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_counts_only_the_deals_it_may_see(
    request: pytest.FixtureRequest, world: ReportWorld, persona: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    seen = WON_DEALS_SEEN[persona]

    body = client.get(reverse("api:sales-report-summary")).json()

    assert body["won_count"] == seen
    assert body["currencies"] == (
        [
            {"currency": "RUB", "open_count": 0, "open_amount": "0.00", "won_count": 1, "won_amount": "1500.00",
             "lost_count": 0, "win_rate": "100.00", "average_won": "1500.00"}
        ]
        if seen
        else []
    )  # fmt: skip
