"""Interactions, tasks and reminders: next steps, completion, delivery exactly once under a lease."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.accounts.models import User
from crm.activities import services
from crm.activities.choices import ReminderState, TaskKind, TaskStatus
from crm.activities.models import ActivityEvent, Interaction, InteractionType, Notification, Reminder, Task
from crm.activities.reminders import reminders_deliver_due
from crm.parties.models import Party
from crm.parties.tests.factories import PartyContactFactory, PartyFactory, PersonFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def call() -> InteractionType:
    return InteractionType.objects.get(code="call")


@pytest.fixture
def client_of_manager(manager: User) -> Party:
    return PartyFactory(responsible=manager, name="ООО Ромашка")


def test_logging_with_a_next_step_plans_a_contact_with_a_reminder(
    manager: User, client_of_manager: Party, call: InteractionType
) -> None:
    meeting = InteractionType.objects.get(code="meeting")
    due = timezone.now() + datetime.timedelta(days=2)
    interaction = services.interaction_log(
        actor=manager, party=client_of_manager, type=call, subject="Первый звонок", duration_minutes=5,
        next_step={"due_at": due, "remind_at": due - datetime.timedelta(hours=1), "interaction_type": meeting},
    )  # fmt: skip
    task = Task.objects.get()
    assert (task.kind, task.party, task.interaction_type, task.due_at, task.origin_interaction) == (
        TaskKind.CONTACT, client_of_manager, meeting, due, interaction,
    )  # fmt: skip
    assert list(task.assignees.all()) == [manager]
    assert list(Reminder.objects.values_list("user", "remind_at", "state")) == [
        (manager.pk, due - datetime.timedelta(hours=1), ReminderState.PENDING)
    ]
    assert list(interaction.participants.all()) == [manager]
    assert list(ActivityEvent.objects.order_by("pk").values_list("kind", "interaction", "task")) == [
        (ActivityEvent.Kind.CREATED, interaction.pk, None),
        (ActivityEvent.Kind.CREATED, None, task.pk),
    ]


def test_logging_with_someone_elses_contact_person_is_refused(
    manager: User, client_of_manager: Party, call: InteractionType
) -> None:
    stranger = PersonFactory(responsible=manager)
    with pytest.raises(ValidationError) as caught:
        services.interaction_log(actor=manager, party=client_of_manager, type=call, contact_person=stranger)
    assert list(caught.value.message_dict) == ["contact_person"]
    assert Interaction.objects.count() == 0
    link = PartyContactFactory(organization=client_of_manager)
    services.interaction_log(actor=manager, party=client_of_manager, type=call, contact_person=link.person)
    assert Interaction.objects.get().contact_person == link.person


def test_a_reminder_after_the_due_time_is_refused(manager: User) -> None:
    due = timezone.now() + datetime.timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        services.task_create(actor=manager, title="Т", due_at=due, remind_at=due + datetime.timedelta(minutes=1))
    assert list(caught.value.message_dict) == ["remind_at"]
    assert Task.objects.count() == 0


def test_completing_a_task_cancels_its_reminder_and_is_recorded(manager: User, client_of_manager: Party) -> None:
    due = timezone.now() + datetime.timedelta(hours=3)
    task = services.task_create(
        actor=manager,
        title="Позвонить",
        due_at=due,
        remind_at=due - datetime.timedelta(hours=1),
        party=client_of_manager,
    )
    services.task_complete(actor=manager, task=task)
    task.refresh_from_db()
    assert (task.status, task.done_at is not None, task.version) == (TaskStatus.DONE, True, 2)
    assert list(Reminder.objects.values_list("state", flat=True)) == [ReminderState.CANCELLED]
    assert ActivityEvent.objects.filter(task=task, kind=ActivityEvent.Kind.COMPLETED).count() == 1
    services.task_complete(actor=manager, task=task)  # twice is harmless
    assert ActivityEvent.objects.filter(task=task, kind=ActivityEvent.Kind.COMPLETED).count() == 1


def test_task_update_with_a_stale_version_changes_nothing(manager: User) -> None:
    task = services.task_create(actor=manager, title="Было", due_at=timezone.now() + datetime.timedelta(days=1))
    services.task_update(actor=manager, task=Task.objects.get(pk=task.pk), data={"title": "Стало"}, expected_version=1)
    with pytest.raises(ValidationError):
        services.task_update(
            actor=manager, task=Task.objects.get(pk=task.pk), data={"title": "Иное"}, expected_version=1
        )
    task.refresh_from_db()
    assert (task.title, task.version) == ("Стало", 2)


def _task_with_reminder(manager: User, party: Party) -> Task:
    return services.task_create(
        actor=manager, title="Перезвонить", party=party, due_at=NOW + datetime.timedelta(hours=1),
        remind_at=NOW - datetime.timedelta(minutes=1),
    )  # fmt: skip


def test_a_due_reminder_is_delivered_once_to_the_bell_and_by_email(manager: User, client_of_manager: Party) -> None:
    with time_machine.travel(NOW, tick=False):
        task = _task_with_reminder(manager, client_of_manager)
        future = services.task_create(
            actor=manager,
            title="Позже",
            due_at=NOW + datetime.timedelta(days=1),
            remind_at=NOW + datetime.timedelta(hours=5),
        )
        assert reminders_deliver_due() == 1
        assert reminders_deliver_due() == 0
    notification = Notification.objects.get()
    assert (notification.user, notification.key, notification.url) == (
        manager, f"reminder:{task.pk}", f"/tasks/{task.pk}/",
    )  # fmt: skip
    assert "Перезвонить" in notification.title
    assert [(m.to, "Перезвонить" in m.subject, "ООО Ромашка" in m.body) for m in mail.outbox] == [
        (["manager@example.com"], True, True)
    ]
    reminder = Reminder.objects.get(task=task)
    assert (reminder.state, reminder.lease_until, reminder.attempts) == (ReminderState.SENT, None, 1)
    assert Reminder.objects.get(task=future).state == ReminderState.PENDING


def test_a_crash_while_mailing_leaves_the_reminder_for_the_next_pass_after_the_lease(
    manager: User, client_of_manager: Party
) -> None:
    with time_machine.travel(NOW, tick=False):
        task = _task_with_reminder(manager, client_of_manager)
        with mock.patch("crm.activities.reminders.send_mail", side_effect=ConnectionError("SMTP is down")):
            assert reminders_deliver_due() == 0
        reminder = Reminder.objects.get(task=task)
        assert (reminder.state, reminder.emailed_at, reminder.attempts) == (ReminderState.PENDING, None, 1)
        assert Notification.objects.count() == 1
        assert reminders_deliver_due() == 0  # still leased by the crashed pass
    with time_machine.travel(NOW + datetime.timedelta(minutes=3), tick=False):
        assert reminders_deliver_due() == 1
        assert reminders_deliver_due() == 0
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (ReminderState.SENT, 2)
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_moving_the_reminder_time_re_arms_it(manager: User, client_of_manager: Party) -> None:
    with time_machine.travel(NOW, tick=False):
        task = _task_with_reminder(manager, client_of_manager)
        assert reminders_deliver_due() == 1
        services.task_update(
            actor=manager, task=task, data={"remind_at": NOW + datetime.timedelta(minutes=30)}, expected_version=1
        )
        reminder = Reminder.objects.get(task=task)
        assert (reminder.state, reminder.notified_at, reminder.emailed_at) == (ReminderState.PENDING, None, None)
        assert Notification.objects.count() == 0
        assert reminders_deliver_due() == 0  # not due yet
    with time_machine.travel(NOW + datetime.timedelta(minutes=31), tick=False):
        assert reminders_deliver_due() == 1
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 2


def test_an_unchanged_reminder_time_is_not_re_sent(manager: User, client_of_manager: Party) -> None:
    with time_machine.travel(NOW, tick=False):
        task = _task_with_reminder(manager, client_of_manager)
        reminders_deliver_due()
        services.task_update(actor=manager, task=task, data={"title": "Новое"}, expected_version=1)
        assert reminders_deliver_due() == 0
    assert len(mail.outbox) == 1


def test_reminders_follow_the_assignees(manager: User, colleague: User, client_of_manager: Party) -> None:
    with time_machine.travel(NOW, tick=False):
        task = _task_with_reminder(manager, client_of_manager)
        services.task_update(actor=manager, task=task, data={}, expected_version=1, assignees=[colleague])
        assert reminders_deliver_due() == 1
    assert list(Notification.objects.values_list("user", flat=True)) == [colleague.pk]
    assert dict(Reminder.objects.values_list("user", "state")) == {
        manager.pk: ReminderState.CANCELLED, colleague.pk: ReminderState.SENT,
    }  # fmt: skip


def test_notification_mark_read(manager: User, client_of_manager: Party) -> None:
    with time_machine.travel(NOW, tick=False):
        _task_with_reminder(manager, client_of_manager)
        reminders_deliver_due()
    assert services.notification_mark_read(actor=manager) == 1
    assert services.notification_mark_read(actor=manager) == 0
