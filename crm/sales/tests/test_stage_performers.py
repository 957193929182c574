"""A stage's performer (a user, or a role within the owner's team) gets a task when a deal enters the stage."""

from django.contrib.auth.models import Group

from crm.accounts.models import User
from crm.accounts.roles import TEAM_LEAD
from crm.activities.models import Task
from crm.sales.models import Deal, DealEvent
from crm.sales.services import deal_move_stage
from crm.sales.tests.conftest import Flow


def test_the_stage_performer_gets_a_task_for_the_deal(
    manager: User, colleague: User, deal_of_manager: Deal, flow: Flow
) -> None:
    flow.demo.performer = colleague
    flow.demo.save()

    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.demo)

    task = Task.objects.get()
    assert (task.title, task.party, list(task.assignees.all()), task.created_by) == (
        f"Stage “{flow.demo.name}” of the deal “Поставка серверов”",
        deal_of_manager.party,
        [colleague],
        manager,
    )
    event = DealEvent.objects.get(deal=deal_of_manager, kind=DealEvent.Kind.STAGE_CHANGED)
    assert event.data["performers"] == [str(colleague)]


def test_a_performer_role_means_its_holders_in_the_owners_team(
    manager: User, team_lead: User, outsider: User, deal_of_manager: Deal, flow: Flow
) -> None:
    role = Group.objects.get(name=TEAM_LEAD)
    outsider.groups.add(role)  # holds the role, but in another team
    flow.demo.performer_role = role
    flow.demo.save()

    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.demo)

    assert list(Task.objects.get().assignees.all()) == [team_lead]


def test_no_task_when_the_one_moving_the_deal_performs_the_stage(
    manager: User, deal_of_manager: Deal, flow: Flow
) -> None:
    flow.demo.performer = manager
    flow.demo.save()

    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.demo)

    assert not Task.objects.exists()
    assert "performers" not in DealEvent.objects.get(deal=deal_of_manager, kind=DealEvent.Kind.STAGE_CHANGED).data
