"""Activity pages: today's plan, logging from the card, the timeline, the client report and the time report."""

import datetime
import io
from typing import Any

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.accounts.models import User
from crm.activities import services
from crm.activities.models import Interaction, InteractionType, Task
from crm.parties import services as party_services
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory, PersonFactory

pytestmark = pytest.mark.django_db

# A Wednesday morning in Moscow.
NOW = datetime.datetime(2026, 3, 11, 7, 0, tzinfo=datetime.UTC)


@pytest.fixture
def party(manager: User) -> Party:
    return PartyFactory(responsible=manager, name="ООО Ромашка")


def _types(*codes: str) -> list[InteractionType]:
    return [InteractionType.objects.get(code=code) for code in codes]


def test_today_shows_overdue_todays_contacts_and_tasks_and_birthdays(
    client: Client, manager: User, colleague: User, party: Party
) -> None:
    with time_machine.travel(NOW, tick=False):
        overdue = services.task_create(actor=manager, title="Просрочено", due_at=NOW - datetime.timedelta(days=1))
        contact = services.task_create(
            actor=manager, title="Звонок", kind="contact", party=party, due_at=NOW + datetime.timedelta(hours=2)
        )
        task = services.task_create(actor=manager, title="Счёт", due_at=NOW + datetime.timedelta(hours=3))
        services.task_create(actor=manager, title="Завтра", due_at=NOW + datetime.timedelta(days=1))
        services.task_create(actor=colleague, title="Чужая", due_at=NOW)
        PersonFactory(responsible=manager, last_name="Именинник", birthday=datetime.date(1980, 3, 15))
        PersonFactory(responsible=manager, last_name="Потом", birthday=datetime.date(1980, 3, 16))
        client.force_login(manager)
        response = client.get(reverse("activities:today"))
    assert response.status_code == 200
    context = response.context
    assert [t.pk for t in context["overdue"]] == [overdue.pk]
    assert [t.pk for t in context["today_contacts"]] == [contact.pk]
    assert [t.pk for t in context["today_tasks"]] == [task.pk]
    assert [p.last_name for p in context["birthdays"]] == ["Именинник"]
    content = response.content.decode()
    for shown in ("Просрочено", "Звонок", "Счёт", "Именинник"):
        assert shown in content
    assert "Чужая" not in content


def test_logging_a_call_from_the_card_plans_the_next_contact_for_today(
    client: Client, manager: User, party: Party
) -> None:
    (call,) = _types("call")
    with time_machine.travel(NOW, tick=True):
        client.force_login(manager)
        local = timezone.localtime(NOW)
        response = client.post(
            reverse("activities:interaction-create", args=[party.pk]),
            {
                "type": call.pk, "direction": "out", "occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": "7", "subject": "Знакомство", "result": "Интересуются",
                "next_due_at": (local + datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
                "next_remind_minutes": "15", "next_title": "Отправить КП",
            },
        )  # fmt: skip
        assert response.status_code == 302
        assert response["Location"] == reverse("parties:detail", args=[party.pk])
        today = client.get(reverse("activities:today")).context
    interaction = Interaction.objects.get()
    assert (interaction.party, interaction.author, interaction.duration_minutes) == (party, manager, 7)
    assert [t.title for t in today["today_contacts"]] == ["Отправить КП"]
    task = Task.objects.get()
    assert task.remind_at == task.due_at - datetime.timedelta(minutes=15)


def test_logging_by_htmx_answers_with_the_form_and_events(client: Client, manager: User, party: Party) -> None:
    (call,) = _types("call")
    client.force_login(manager)
    response = client.post(
        reverse("activities:interaction-create", args=[party.pk]),
        {"type": call.pk, "direction": "in", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "duration_minutes": "0"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response["HX-Trigger"] == "crm:timeline, crm:bell"
    assert Interaction.objects.count() == 1


def test_a_next_contact_in_the_past_is_refused_with_the_form(client: Client, manager: User, party: Party) -> None:
    (call,) = _types("call")
    client.force_login(manager)
    now = timezone.localtime()
    response = client.post(
        reverse("activities:interaction-create", args=[party.pk]),
        {"type": call.pk, "direction": "out", "occurred_at": now.strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "0",
         "next_due_at": (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["next_due_at"]
    assert (Interaction.objects.count(), Task.objects.count()) == (0, 0)


@pytest.fixture
def history(manager: User, party: Party) -> dict[str, object]:
    """An interaction, a task and a change of the client, one hour apart, oldest first."""
    call, meeting = _types("call", "meeting")
    start = timezone.now() - datetime.timedelta(hours=10)
    with time_machine.travel(start, tick=False):
        first_call = services.interaction_log(actor=manager, party=party, type=call, subject="Звонок 1")
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        task = services.task_create(
            actor=manager, title="Задача", party=party, due_at=start + datetime.timedelta(days=1)
        )
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        party_services.party_update(actor=manager, party=party, data={"region": "Тверь"}, expected_version=1)
    with time_machine.travel(start + datetime.timedelta(hours=3), tick=False):
        meet = services.interaction_log(actor=manager, party=party, type=meeting, subject="Встреча")
    return {"call": first_call, "task": task, "meeting": meet}


def _timeline(client: Client, party: Party, **params: str) -> list[tuple[str, object]]:
    response = client.get(reverse("activities:party-timeline", args=[party.pk]), params)
    assert response.status_code == 200
    return [(e.kind, getattr(e.obj, "pk", None)) for e in response.context["page"].entries]


def test_timeline_shows_every_kind_newest_first_and_filters(
    client: Client, manager: User, party: Party, history: dict[str, Any]
) -> None:
    client.force_login(manager)
    entries = _timeline(client, party)
    kinds = [kind for kind, _pk in entries]
    assert kinds[:3] == ["interaction", "change", "task"]
    assert entries[0] == ("interaction", history["meeting"].pk)
    assert ("interaction", history["call"].pk) in entries
    assert kinds.index("task") < entries.index(("interaction", history["call"].pk))
    assert _timeline(client, party, kind="interaction") == [
        ("interaction", history["meeting"].pk), ("interaction", history["call"].pk),
    ]  # fmt: skip
    assert _timeline(client, party, kind="task") == [("task", history["task"].pk)]
    assert _timeline(client, party, type="call") == [("interaction", history["call"].pk)]
    assert {k for k, _ in _timeline(client, party, kind="change")} <= {"change", "activity_change"}


def test_timeline_pages_with_before(client: Client, manager: User, party: Party) -> None:
    (call,) = _types("call")
    start = timezone.now() - datetime.timedelta(days=30)
    for i in range(25):
        with time_machine.travel(start + datetime.timedelta(hours=i), tick=False):
            services.interaction_log(actor=manager, party=party, type=call, subject=f"Звонок {i}")
    client.force_login(manager)
    url = reverse("activities:party-timeline", args=[party.pk])
    first = client.get(url, {"kind": "interaction"}).context["page"]
    assert [e.obj.subject for e in first.entries] == [f"Звонок {i}" for i in range(24, 4, -1)]
    second = client.get(url, {"kind": "interaction", "before": first.next_before.isoformat()}).context["page"]
    assert [e.obj.subject for e in second.entries] == [f"Звонок {i}" for i in range(4, -1, -1)]
    assert second.next_before is None


def test_party_report_xlsx_has_exact_rows(client: Client, manager: User, party: Party) -> None:
    call, meeting = _types("call", "meeting")
    for _ in range(3):
        services.interaction_log(actor=manager, party=party, type=call, duration_minutes=5)
    services.interaction_log(actor=manager, party=party, type=meeting, duration_minutes=60, subject="Встреча")
    other = PartyFactory(responsible=manager)
    services.interaction_log(actor=manager, party=other, type=call)
    client.force_login(manager)
    url = reverse("activities:party-report", args=[party.pk])
    page = client.get(url)
    assert {label: total["count"] for label, total in page.context["totals"].items()} == {
        str(call): 3, str(meeting): 1,
    }  # fmt: skip
    response = client.get(url, {"format": "xlsx"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4
    assert sorted(row[1] for row in rows) == sorted([str(call)] * 3 + [str(meeting)])
    assert sum(row[3] for row in rows) == 75


@pytest.fixture
def logged_time(manager: User, colleague: User, outsider: User, head_of_sales: User) -> None:
    (call,) = _types("call")
    for author, minutes in ((manager, 10), (colleague, 20), (outsider, 40)):
        services.interaction_log(
            actor=author, party=PartyFactory(responsible=author), type=call, duration_minutes=minutes
        )


@pytest.mark.parametrize(
    ("persona", "minutes"),
    [
        ("manager", [10]),
        ("team_lead", [10, 20]),
        ("head_of_sales", [10, 20, 40]),
        ("outsider", [40]),
        ("marketer", []),
    ],
)
def test_time_report_is_scoped_to_whose_time_one_may_see(
    client: Client, request: pytest.FixtureRequest, logged_time: None, persona: str, minutes: list[int]
) -> None:
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("activities:reports"))
    assert response.status_code == 200
    assert sorted(row["minutes"] for row in response.context["table"]) == minutes


def test_bell_shows_the_unread_count(client: Client, manager: User) -> None:
    from crm.activities.models import Notification

    Notification.objects.create(user=manager, key="a", title="Первое")
    Notification.objects.create(user=manager, key="b", title="Второе")
    Notification.objects.create(user=manager, key="c", title="Прочитано", read_at=timezone.now())
    client.force_login(manager)
    response = client.get(reverse("activities:bell"))
    assert response.context["count"] == 2
    assert '<span class="badge bg-red text-white badge-pill" id="bell-count">2</span>' in response.content.decode()
    response = client.post(reverse("activities:notifications-read"))
    assert response.context["count"] == 0


def test_task_list_exports_the_users_open_tasks_to_xlsx(
    client: Client, manager: User, colleague: User, party: Party
) -> None:
    due = timezone.now() + datetime.timedelta(days=1)
    services.task_create(actor=manager, title="=Позвонить", due_at=due, party=party)
    services.task_create(actor=colleague, title="Чужая", due_at=due)
    done = services.task_create(actor=manager, title="Сделано", due_at=due)
    services.task_complete(actor=manager, task=done)
    client.force_login(manager)

    response = client.get(reverse("activities:task-export", args=["xlsx"]), {"status": "open"})

    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    rows = [row[:2] + row[4:6] for row in sheet.iter_rows(values_only=True)]
    assert rows[1:] == [("=Позвонить", "задача", party.name, "Иван Петров")]  # the user's language: Russian
    assert sheet.cell(row=2, column=1).data_type == "s"  # a formula-looking title stays text


def test_editing_an_interaction_records_the_change_and_refuses_a_stale_version(
    client: Client, manager: User, party: Party
) -> None:
    call = InteractionType.objects.get(code="call")
    when = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    interaction = services.interaction_log(
        actor=manager, party=party, type=call, subject="Звонок", duration_minutes=3, occurred_at=when
    )
    client.force_login(manager)
    url = reverse("activities:interaction-update", args=[interaction.pk])
    form = {
        "type": call.pk, "direction": "out", "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "7", "subject": "Звонок по счёту", "result": "", "version": "1",
    }  # fmt: skip

    saved = client.post(url, form)
    stale = client.post(url, {**form, "subject": "Чужая правка"})

    interaction.refresh_from_db()
    assert (saved.status_code, stale.status_code) == (302, 200)
    assert (interaction.subject, interaction.duration_minutes, interaction.version) == ("Звонок по счёту", 7, 2)
    event = interaction.events.get(kind="changed")
    assert [(c["field"], c["old"], c["new"]) for c in event.data["changes"]] == [
        ("duration_minutes", 3, 7), ("subject", "Звонок", "Звонок по счёту"),
    ]  # fmt: skip
    assert "Кто-то другой изменил эту запись" in stale.content.decode()  # the user's language: Russian


def test_the_task_list_pages_forward_and_back(client: Client, manager: User) -> None:
    start = timezone.now() + datetime.timedelta(days=1)
    for n in range(55):
        services.task_create(actor=manager, title=f"Задача {n:02d}", due_at=start + datetime.timedelta(hours=n))
    client.force_login(manager)

    first = client.get(reverse("activities:task-list"), {"status": "open"})
    assert [t.title for t in first.context["page"].rows][:2] == ["Задача 00", "Задача 01"]
    assert first.context["pager"].previous is None
    second = client.get(first.context["pager"].next)
    assert [t.title for t in second.context["page"].rows] == [f"Задача {n:02d}" for n in range(50, 55)]
    assert "status=open" in second.context["pager"].previous
    html = second.content.decode()
    assert 'rel="prev"' in html
    assert "51–55" in html
    back = client.get(second.context["pager"].previous)
    assert [t.title for t in back.context["page"].rows] == [t.title for t in first.context["page"].rows]
