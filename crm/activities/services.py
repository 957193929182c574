"""Every write to interactions, tasks and reminders; each writes its history row."""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.activities.choices import ReminderState, TaskKind, TaskStatus
from crm.activities.models import ActivityEvent, Interaction, InteractionType, Notification, Reminder, Task
from crm.core.models import field_value_for_history
from crm.core.versioning import bump_version
from crm.parties.models import Party

INTERACTION_FIELDS = ("type", "direction", "occurred_at", "duration_minutes", "subject", "result", "contact_person")
TASK_FIELDS = ("kind", "title", "description", "due_at", "remind_at", "interaction_type", "contact_person")


def _changes(before: Mapping[str, Any], obj: Interaction | Task, fields: Iterable[str]) -> list[dict[str, Any]]:
    result = []
    for field in fields:
        old, new = before[field], getattr(obj, field)
        if old != new:
            label = str(getattr(type(obj)._meta.get_field(field), "verbose_name", field))
            result.append(
                {
                    "field": field,
                    "label": label,
                    "old": field_value_for_history(old),
                    "new": field_value_for_history(new),
                }
            )
    return result


def _check_contact_person(party: Party, person: Party | None) -> None:
    if person is not None and person.pk != party.pk and not person.employer_links.filter(organization=party).exists():
        raise ValidationError({"contact_person": _("This person is not a contact of the client.")})


@transaction.atomic
def interaction_log(
    *,
    actor: User,
    party: Party,
    type: InteractionType,
    occurred_at: datetime.datetime | None = None,
    direction: str = "out",
    duration_minutes: int = 0,
    subject: str = "",
    result: str = "",
    contact_person: Party | None = None,
    participants: Iterable[User] = (),
    next_step: Mapping[str, Any] | None = None,
) -> Interaction:
    """Record a contact that happened and, in the same step, plan the next one (S3, S23)."""
    _check_contact_person(party, contact_person)
    interaction = Interaction(
        party=party, type=type, occurred_at=occurred_at or timezone.now(), direction=direction,
        duration_minutes=duration_minutes, subject=subject, result=result, contact_person=contact_person, author=actor,
    )  # fmt: skip
    interaction.full_clean()
    interaction.save()
    interaction.participants.set([actor, *participants])
    ActivityEvent.objects.create(
        party=party, interaction=interaction, actor=actor, kind=ActivityEvent.Kind.CREATED,
        data={"type": str(type), "subject": subject},
    )  # fmt: skip
    if next_step:
        task_create(
            actor=actor,
            party=party,
            kind=TaskKind.CONTACT,
            title=next_step.get("title")
            or _("Next contact: %(type)s") % {"type": next_step.get("interaction_type") or type},
            due_at=next_step["due_at"],
            remind_at=next_step.get("remind_at"),
            interaction_type=next_step.get("interaction_type") or type,
            contact_person=contact_person,
            assignees=next_step.get("assignees") or [actor],
            origin_interaction=interaction,
        )
    return interaction


@transaction.atomic
def interaction_update(
    *, actor: User, interaction: Interaction, data: Mapping[str, Any], expected_version: int | None
) -> Interaction:
    fields = [f for f in data if f in INTERACTION_FIELDS]
    before = {f: getattr(interaction, f) for f in fields}
    for field in fields:
        setattr(interaction, field, data[field])
    _check_contact_person(interaction.party, interaction.contact_person)
    interaction.full_clean()
    bump_version(interaction, expected_version)
    interaction.save()
    changes = _changes(before, interaction, fields)
    if changes:
        ActivityEvent.objects.create(
            party=interaction.party, interaction=interaction, actor=actor, kind=ActivityEvent.Kind.CHANGED,
            data={"changes": changes},
        )  # fmt: skip
    return interaction


@transaction.atomic
def interaction_delete(*, actor: User, interaction: Interaction) -> Interaction:
    interaction.is_deleted, interaction.deleted_at, interaction.deleted_by = True, timezone.now(), actor
    interaction.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    ActivityEvent.objects.create(
        party=interaction.party, interaction=interaction, actor=actor, kind=ActivityEvent.Kind.DELETED,
        data={"type": str(interaction.type), "subject": interaction.subject},
    )  # fmt: skip
    return interaction


@transaction.atomic
def interaction_restore(*, actor: User, interaction: Interaction) -> Interaction:
    interaction.is_deleted, interaction.deleted_at, interaction.deleted_by = False, None, None
    interaction.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    ActivityEvent.objects.create(
        party=interaction.party, interaction=interaction, actor=actor, kind=ActivityEvent.Kind.RESTORED,
        data={"type": str(interaction.type), "subject": interaction.subject},
    )  # fmt: skip
    return interaction


def _sync_reminders(task: Task) -> None:
    """One pending reminder per assignee at `remind_at`; already delivered ones are never re-sent."""
    assignee_ids = set(task.assignees.values_list("pk", flat=True))
    if task.remind_at is None or task.status != TaskStatus.OPEN or task.is_deleted:
        task.reminders.filter(state=ReminderState.PENDING).update(state=ReminderState.CANCELLED)
        return
    task.reminders.exclude(user_id__in=assignee_ids).filter(state=ReminderState.PENDING).update(
        state=ReminderState.CANCELLED
    )
    for user_id in assignee_ids:
        reminder, created = Reminder.objects.get_or_create(
            task=task, user_id=user_id, defaults={"remind_at": task.remind_at}
        )
        if not created and reminder.remind_at != task.remind_at:
            # A moved reminder time is a new reminder: deliver it again at the new time.
            reminder.remind_at, reminder.state, reminder.lease_until = task.remind_at, ReminderState.PENDING, None
            reminder.notified_at = reminder.emailed_at = None
            reminder.save()
            Notification.objects.filter(user_id=user_id, key=f"reminder:{task.pk}").delete()
        elif not created and reminder.state == ReminderState.CANCELLED:
            reminder.state = ReminderState.PENDING
            reminder.save(update_fields=["state"])
    if task.remind_at <= timezone.now() + datetime.timedelta(minutes=1):
        # Due now: wake a worker at once instead of waiting for the next periodic scan.
        from crm.activities.tasks import deliver_reminders

        transaction.on_commit(deliver_reminders.enqueue)


@transaction.atomic
def task_create(
    *,
    actor: User,
    title: str,
    due_at: datetime.datetime,
    kind: str = TaskKind.TASK,
    description: str = "",
    party: Party | None = None,
    contact_person: Party | None = None,
    interaction_type: InteractionType | None = None,
    remind_at: datetime.datetime | None = None,
    assignees: Iterable[User] = (),
    origin_interaction: Interaction | None = None,
) -> Task:
    """Create a task or a planned contact (S3, T1); reminders go to each assignee at `remind_at`."""
    if party is not None:
        _check_contact_person(party, contact_person)
    task = Task(
        kind=kind, title=title.strip(), description=description, party=party, contact_person=contact_person,
        interaction_type=interaction_type, due_at=due_at, remind_at=remind_at, created_by=actor,
        origin_interaction=origin_interaction,
    )  # fmt: skip
    if kind == TaskKind.CONTACT and party is None:
        raise ValidationError({"party": _("A planned contact needs a client.")})
    if remind_at is not None and remind_at > due_at:
        raise ValidationError({"remind_at": _("The reminder must come before the due time.")})
    task.full_clean()
    task.save()
    task.assignees.set(list(assignees) or [actor])
    _sync_reminders(task)
    ActivityEvent.objects.create(
        party=party, task=task, actor=actor, kind=ActivityEvent.Kind.CREATED,
        data={"title": task.title, "due_at": task.due_at.isoformat()},
    )  # fmt: skip
    return task


@transaction.atomic
def task_update(
    *,
    actor: User,
    task: Task,
    data: Mapping[str, Any],
    expected_version: int | None,
    assignees: Iterable[User] | None = None,
) -> Task:
    fields = [f for f in data if f in TASK_FIELDS]
    before = {f: getattr(task, f) for f in fields}
    for field in fields:
        setattr(task, field, data[field])
    if task.remind_at is not None and task.remind_at > task.due_at:
        raise ValidationError({"remind_at": _("The reminder must come before the due time.")})
    task.full_clean()
    bump_version(task, expected_version)
    task.save()
    if assignees is not None:
        task.assignees.set(list(assignees) or [actor])
    _sync_reminders(task)
    changes = _changes(before, task, fields)
    if changes:
        ActivityEvent.objects.create(
            party=task.party, task=task, actor=actor, kind=ActivityEvent.Kind.CHANGED, data={"changes": changes}
        )
    return task


@transaction.atomic
def task_complete(*, actor: User, task: Task, expected_version: int | None = None) -> Task:
    """Mark the task done; pending reminders are cancelled."""
    if task.status == TaskStatus.DONE:
        return task
    bump_version(task, expected_version)
    task.status, task.done_at = TaskStatus.DONE, timezone.now()
    task.save()
    _sync_reminders(task)
    ActivityEvent.objects.create(
        party=task.party, task=task, actor=actor, kind=ActivityEvent.Kind.COMPLETED, data={"title": task.title}
    )
    return task


@transaction.atomic
def task_delete(*, actor: User, task: Task) -> Task:
    task.is_deleted, task.deleted_at, task.deleted_by = True, timezone.now(), actor
    task.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    _sync_reminders(task)
    ActivityEvent.objects.create(
        party=task.party, task=task, actor=actor, kind=ActivityEvent.Kind.DELETED, data={"title": task.title}
    )
    return task


@transaction.atomic
def task_restore(*, actor: User, task: Task) -> Task:
    task.is_deleted, task.deleted_at, task.deleted_by = False, None, None
    task.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    _sync_reminders(task)
    ActivityEvent.objects.create(
        party=task.party, task=task, actor=actor, kind=ActivityEvent.Kind.RESTORED, data={"title": task.title}
    )
    return task


def notification_mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
