"""seed_deals: bulk deals for demos and the kanban benchmark, consistent with what the services would write."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from crm.accounts.models import User
from crm.parties.tests.factories import PartyFactory
from crm.sales.models import Deal, DealEvent, DealLine, DealStageChange, Pipeline


def test_seeded_deals_belong_to_the_clients_managers_with_lines_and_history(manager: User, colleague: User) -> None:
    PartyFactory.create_batch(3, responsible=manager)
    PartyFactory.create_batch(2, responsible=colleague)
    pipeline = Pipeline.objects.get(name="Новые продажи")

    call_command("seed_deals", "--deals", "200", "--pipeline", "Новые продажи", "--open-share", "0.75", verbosity=0)

    deals = Deal.objects.all()
    assert deals.count() == 200
    assert set(deals.values_list("pipeline", flat=True)) == {pipeline.pk}
    assert set(deals.values_list("owner", flat=True)) == {manager.pk, colleague.pk}
    assert all(d.owner_id == d.party.responsible_id for d in deals.select_related("party"))
    assert deals.filter(stage__kind="open").count() == 150
    assert deals.filter(stage__kind="open", closed_at__isnull=False).count() == 0
    assert deals.exclude(stage__kind="open").filter(closed_at__isnull=True).count() == 0
    assert deals.filter(stage__kind="lost", lost_reason__isnull=True).count() == 0
    assert set(deals.values_list("currency", flat=True)) <= {"RUB", "USD", "EUR"}
    for deal in deals.annotate(lines_total=Sum("lines__price"))[:20]:
        lines = DealLine.objects.filter(deal=deal)
        assert deal.amount == sum((line.price * line.quantity for line in lines), Decimal("0")) > 0
    assert DealEvent.objects.filter(kind=DealEvent.Kind.CREATED).count() == 200
    moved = deals.exclude(stage__position=1).count()
    assert DealStageChange.objects.count() == 200 + moved
    assert DealEvent.objects.filter(kind=DealEvent.Kind.STAGE_CHANGED).count() == moved


def test_seeding_again_adds_more_deals_with_fresh_ids(manager: User) -> None:
    PartyFactory(responsible=manager)
    call_command("seed_deals", "--deals", "5", verbosity=0)
    call_command("seed_deals", "--deals", "5", "--seed", "2", verbosity=0)
    assert Deal.objects.count() == 10
    assert DealEvent.objects.filter(kind=DealEvent.Kind.CREATED).count() == 10


@pytest.mark.django_db
def test_without_clients_the_command_says_what_to_do_first() -> None:
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_deals", "--deals", "5", verbosity=0)
