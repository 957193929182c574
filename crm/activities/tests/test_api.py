"""Activities over REST: logging with a next step, the timeline, tasks and the bell."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crm.accounts.models import User
from crm.activities import services
from crm.activities.choices import TaskKind, TaskStatus
from crm.activities.models import Interaction, InteractionType, Notification, Reminder, Task
from crm.parties.models import Party
from crm.parties.tests.factories import PartyContactFactory, PartyFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def party(manager: User) -> Party:
    return PartyFactory(responsible=manager, name="ООО Ромашка")


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_post_interaction_with_a_next_step_plans_a_contact(manager: User, party: Party) -> None:
    due = timezone.now() + datetime.timedelta(days=1)
    response = api_for(manager).post(
        reverse("api:interaction-list"),
        {"party": party.pk, "type": "call", "duration_minutes": 3, "subject": "Звонок",
         "next_step": {"due_at": due.isoformat(), "remind_at": (due - datetime.timedelta(hours=1)).isoformat(),
                       "interaction_type": "meeting", "title": "Встреча"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert (body["party"], body["type"], body["author"], body["duration_minutes"]) == (party.pk, "call", manager.pk, 3)
    task = Task.objects.get()
    assert task.interaction_type is not None
    assert (task.kind, task.title, task.interaction_type.code, task.origin_interaction_id) == (
        TaskKind.CONTACT, "Встреча", "meeting", body["id"],
    )  # fmt: skip
    assert list(task.assignees.all()) == [manager]
    assert Reminder.objects.get().remind_at == due - datetime.timedelta(hours=1)


def test_post_interaction_names_a_contact_person_only_of_the_client(manager: User, party: Party) -> None:
    url = reverse("api:interaction-list")
    stranger = PersonFactory(responsible=manager)
    response = api_for(manager).post(
        url, {"party": party.pk, "type": "call", "contact_person": stranger.pk}, format="json"
    )
    assert (response.status_code, list(response.json())) == (400, ["contact_person"])
    person = PartyContactFactory(organization=party).person
    response = api_for(manager).post(
        url, {"party": party.pk, "type": "call", "contact_person": person.pk}, format="json"
    )
    assert (response.status_code, response.json()["contact_person"]) == (201, person.pk)


@pytest.mark.parametrize(("persona", "status"), [("team_lead", 403), ("outsider", 404), ("operator", 201)])
def test_who_may_log_a_contact_with_someone_elses_client(
    request: pytest.FixtureRequest, party: Party, persona: str, status: int
) -> None:
    response = api_for(request.getfixturevalue(persona)).post(
        reverse("api:interaction-list"), {"party": party.pk, "type": "call"}, format="json"
    )
    assert response.status_code == status
    assert Interaction.objects.count() == (1 if status == 201 else 0)


def test_interaction_list_is_visible_only(manager: User, outsider: User, party: Party) -> None:
    call = InteractionType.objects.get(code="call")
    services.interaction_log(actor=manager, party=party, type=call, subject="Моё")
    services.interaction_log(actor=outsider, party=PartyFactory(responsible=outsider), type=call, subject="Чужое")
    body = api_for(manager).get(reverse("api:interaction-list")).json()
    assert ([i["subject"] for i in body["results"]], body["count"]) == (["Моё"], 1)


def test_timeline_api_newest_first_with_paging(manager: User, party: Party) -> None:
    import time_machine

    call = InteractionType.objects.get(code="call")
    start = timezone.now() - datetime.timedelta(days=3)
    for i in range(25):
        with time_machine.travel(start + datetime.timedelta(minutes=i), tick=False):
            services.interaction_log(actor=manager, party=party, type=call, subject=f"З{i}")
    url = reverse("api:party-timeline", args=[party.pk])
    first = api_for(manager).get(url, {"kind": "interaction"}).json()
    assert [e["details"]["subject"] for e in first["results"]] == [f"З{i}" for i in range(24, 4, -1)]
    second = api_for(manager).get(url, {"kind": "interaction", "before": first["next_before"]}).json()
    assert [e["details"]["subject"] for e in second["results"]] == [f"З{i}" for i in range(4, -1, -1)]
    assert second["next_before"] is None


def test_task_api_create_complete_and_version(manager: User, party: Party) -> None:
    api = api_for(manager)
    due = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    created = api.post(reverse("api:task-list"), {"title": "Счёт", "due_at": due, "party": party.pk}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert api.patch(reverse("api:task-detail", args=[pk]), {"title": "Без версии"}, format="json").status_code == 400
    assert (
        api.patch(reverse("api:task-detail", args=[pk]), {"title": "Новое", "version": 1}, format="json").json()[
            "title"
        ]
        == "Новое"
    )
    assert api.post(reverse("api:task-complete", args=[pk])).json()["status"] == TaskStatus.DONE
    assert [t["id"] for t in api.get(reverse("api:task-list"), {"mine": "1"}).json()["results"]] == []


def test_bell_api_lists_unread_and_marks_them_read(manager: User, colleague: User) -> None:
    Notification.objects.create(user=manager, key="a", title="Напоминание")
    Notification.objects.create(user=colleague, key="a", title="Чужое")
    api = api_for(manager)
    assert [n["title"] for n in api.get(reverse("api:notification-list")).json()] == ["Напоминание"]
    assert api.post(reverse("api:notification-list")).json() == {"read": 1}
    assert api.get(reverse("api:notification-list")).json() == []
