"""Reads for the timeline, today's plan and the interaction reports, built on access.py."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.accounts.models import User
from crm.activities.access import interactions_of_party, tasks_of_party, tasks_visible_to
from crm.activities.choices import TaskStatus
from crm.activities.models import ActivityEvent, Interaction, Notification, Task
from crm.parties.fields import field_access, mask_events
from crm.parties.models import Party, PartyEvent
from crm.parties.selectors import birthdays_between

TIMELINE_KINDS = ("interaction", "task", "change")


@dataclass
class TimelineEntry:
    kind: str
    at: datetime.datetime
    obj: Any


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_before: datetime.datetime | None


def party_timeline(
    user: User, party: Party, *, kinds: set[str] | None = None, type_code: str = "",
    before: datetime.datetime | None = None, limit: int = 20,
) -> TimelinePage:  # fmt: skip
    """The client's whole history, newest first: interactions, tasks and changes (S9, X5).

    Each source is read newest-first up to `limit + 1` rows before the cursor and the pieces are
    merged, so a page costs four indexed queries however long the history is.
    """
    kinds = kinds or set(TIMELINE_KINDS)
    before = before or timezone.now() + datetime.timedelta(days=36500)
    entries: list[TimelineEntry] = []
    if "interaction" in kinds:
        interactions = (
            interactions_of_party(party)
            .filter(occurred_at__lt=before)
            .select_related("type", "author", "contact_person")
            .order_by("-occurred_at", "-pk")
        )
        if type_code:
            interactions = interactions.filter(type__code=type_code)
        entries += [TimelineEntry("interaction", i.occurred_at, i) for i in interactions[: limit + 1]]
    if "task" in kinds and not type_code:
        tasks = (
            tasks_of_party(party)
            .filter(created_at__lt=before)
            .select_related("interaction_type", "created_by")
            .prefetch_related("assignees")
            .order_by("-created_at", "-pk")
        )
        entries += [TimelineEntry("task", t.created_at, t) for t in tasks[: limit + 1]]
    if "change" in kinds and not type_code:
        party_events = PartyEvent.objects.filter(party=party, at__lt=before).select_related("actor").order_by("-at")
        changes = list(party_events[: limit + 1])
        mask_events(field_access(user), changes)  # old and new values of data hidden from the user
        entries += [TimelineEntry("change", e.at, e) for e in changes]
        activity_events = (
            ActivityEvent.objects.filter(party=party, at__lt=before)
            .exclude(kind=ActivityEvent.Kind.CREATED)
            .select_related("actor", "interaction__type", "task")
            .order_by("-at")
        )
        entries += [TimelineEntry("activity_change", e.at, e) for e in activity_events[: limit + 1]]
    entries.sort(key=lambda e: e.at, reverse=True)
    page = entries[:limit]
    return TimelinePage(entries=page, next_before=page[-1].at if len(entries) > limit else None)


def task_list_for(user: User, status: str) -> QuerySet[Task]:
    """The task list's rows: the user's own open tasks, or every visible task in another status."""
    if status == TaskStatus.OPEN:
        return my_open_tasks(user)
    return tasks_visible_to(user).filter(status=status).select_related("party", "interaction_type")


def _day_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


def my_open_tasks(user: User) -> QuerySet[Task]:
    return (
        Task.objects.filter(is_deleted=False, status=TaskStatus.OPEN, assignees=user)
        .select_related("party", "interaction_type", "contact_person")
        .order_by("due_at", "pk")
    )


def today_plan(user: User, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Today's plan (S26): overdue and today's tasks and planned contacts, birthdays this week."""
    now = now or timezone.now()
    start, end = _day_bounds(now)
    open_tasks = my_open_tasks(user)
    today = list(open_tasks.filter(due_at__gte=start, due_at__lt=end)[:200])
    overdue = list(open_tasks.filter(due_at__lt=start)[:200])
    local_today = timezone.localtime(now).date()
    week_start = local_today - datetime.timedelta(days=local_today.weekday())
    seen = field_access(user).sees("personal")  # birthdays are personal data (X4)
    birthdays = list(birthdays_between(user, week_start, 7)[:100]) if seen else []
    return {
        "overdue": overdue,
        "today_contacts": [t for t in today if t.kind == "contact"],
        "today_tasks": [t for t in today if t.kind != "contact"],
        "birthdays": birthdays,
        "done_today": Task.objects.filter(assignees=user, status=TaskStatus.DONE, done_at__gte=start).count(),
    }


def unread_notifications(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, read_at__isnull=True).order_by("-created_at")


def party_interaction_report(
    user: User, party: Party, *, start: datetime.date, end: datetime.date
) -> list[dict[str, Any]]:
    """All interactions with one client by type and month over a period (S9), computed in the database."""
    rows = (
        interactions_of_party(party)
        .filter(occurred_at__date__gte=start, occurred_at__date__lte=end)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month", "type__code", "type__name")
        .annotate(count=Count("pk"), minutes=Sum("duration_minutes"))
        .order_by("month", "type__code")
    )
    return list(rows)


def party_interactions_in_period(
    user: User, party: Party, *, start: datetime.date, end: datetime.date
) -> QuerySet[Interaction]:
    return (
        interactions_of_party(party)
        .filter(occurred_at__date__gte=start, occurred_at__date__lte=end)
        .select_related("type", "author", "contact_person")
        .order_by("occurred_at")
    )


def users_in_scope(user: User) -> QuerySet[User]:
    """Whose time a user may see: everyone for heads of sales, the team for a team lead, else oneself."""
    if not user.has_perm("activities.view_time_report"):
        # Seeing every client (a marketer) is not seeing colleagues' working time.
        return User.objects.filter(pk=user.pk)
    if user.has_perm("activities.view_all_activities"):
        return User.objects.filter(is_active=True)
    if user.led_teams.exists():
        return User.objects.filter(Q(team__head=user) | Q(pk=user.pk), is_active=True)
    return User.objects.filter(pk=user.pk)


def time_report(user: User, *, start: datetime.date, end: datetime.date) -> list[dict[str, Any]]:
    """Each manager's interactions by type: count and time spent (S23 time accounting)."""
    return list(
        Interaction.objects.filter(
            is_deleted=False,
            author__in=users_in_scope(user),
            occurred_at__date__gte=start,
            occurred_at__date__lte=end,
        )
        .values("author_id", "author__last_name", "author__first_name", "author__username", "type__code", "type__name")
        .annotate(count=Count("pk"), minutes=Sum("duration_minutes"))
        .order_by("author__last_name", "author__first_name", "type__code")
    )
