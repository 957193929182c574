"""Interactions with clients (S23, C1), tasks and planned contacts (S3, T1), reminders (S20)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.activities import choices
from crm.core.models import BusinessRecord, TimeStampedModel


class InteractionType(TimeStampedModel):
    """A kind of interaction (call, meeting, demonstration...); administrators add their own."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("Leave empty for shipped types."))
    icon = models.CharField(_("icon"), max_length=40, default="message")
    position = models.PositiveIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("interaction type")
        verbose_name_plural = _("interaction types")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        if self.name:
            return self.name
        return str(choices.SHIPPED_TYPES.get(self.code, self.code))


class Interaction(BusinessRecord):
    """A contact with a client that happened: a call, a meeting, a letter... with its result."""

    party = models.ForeignKey("parties.Party", models.PROTECT, related_name="interactions", verbose_name=_("client"))
    contact_person = models.ForeignKey(
        "parties.Party",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions_as_contact",
        verbose_name=_("contact person"),
    )
    type = models.ForeignKey(InteractionType, models.PROTECT, related_name="+", verbose_name=_("type"))
    direction = models.CharField(
        _("direction"), max_length=3, choices=choices.Direction.choices, default=choices.Direction.OUTGOING
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    duration_minutes = models.PositiveIntegerField(_("duration, min"), default=0)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    result = models.TextField(_("result"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("author"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="interactions", verbose_name=_("participants")
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        permissions = [
            ("view_all_activities", _("Can see every interaction and task")),
            ("change_any_activity", _("Can change any interaction and task")),
            ("view_time_report", _("Can see the time accounting report")),
            ("manage_interaction_types", _("Can edit interaction types")),
        ]
        indexes = [
            models.Index(fields=["party", "is_deleted", "-occurred_at"], name="interaction_party_timeline"),
            models.Index(fields=["author", "occurred_at"], name="interaction_author_time"),
        ]

    def __str__(self) -> str:
        return f"{self.type}: {self.party} {self.occurred_at:%Y-%m-%d}"


class Task(BusinessRecord):
    """Something to do by a due time: a plain task or a planned contact with a client."""

    kind = models.CharField(_("kind"), max_length=16, choices=choices.TaskKind.choices, default=choices.TaskKind.TASK)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    party = models.ForeignKey(
        "parties.Party", models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=_("client")
    )
    contact_person = models.ForeignKey(
        "parties.Party",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks_as_contact",
        verbose_name=_("contact person"),
    )
    interaction_type = models.ForeignKey(
        InteractionType, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("contact type")
    )
    due_at = models.DateTimeField(_("due"))
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="tasks", verbose_name=_("assignees"))
    status = models.CharField(
        _("status"), max_length=16, choices=choices.TaskStatus.choices, default=choices.TaskStatus.OPEN
    )
    done_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    origin_interaction = models.ForeignKey(
        Interaction,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_steps",
        verbose_name=_("planned after"),
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["status", "due_at"], name="task_status_due"),
            models.Index(fields=["party", "-due_at"], name="task_party_timeline"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == choices.TaskStatus.OPEN and self.due_at < timezone.now()


class Reminder(models.Model):
    """One reminder of one task to one assignee; delivered once by the worker under a lease."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="reminders")
    remind_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=choices.ReminderState.choices, default=choices.ReminderState.PENDING
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="activities_reminder_unique")]
        indexes = [models.Index(fields=["state", "remind_at"], name="reminder_due")]

    def __str__(self) -> str:
        return f"reminder {self.task_id} -> {self.user_id}"


class Notification(models.Model):
    """A message in a user's bell; one per reminder thanks to the unique key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="activities_notification_unique")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class ActivityEvent(models.Model):
    """One change of an interaction or task (who, when, field, old, new); shown in the client's history."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("moved to trash")
        RESTORED = "restored", _("restored")
        COMPLETED = "completed", _("completed")

    party = models.ForeignKey("parties.Party", models.CASCADE, null=True, related_name="activity_events")
    interaction = models.ForeignKey(Interaction, models.CASCADE, null=True, related_name="events")
    task = models.ForeignKey(Task, models.CASCADE, null=True, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["party", "-at"], name="activity_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"
