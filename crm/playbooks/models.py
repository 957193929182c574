"""Scripts for typical situations (S13): steps with answers that branch, and the runs managers follow."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.playbooks import choices


class Script(TimeStampedModel):
    """A sales or conversation script for a pipeline stage or an interaction type; editors need manage_pipelines."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    stage = models.ForeignKey(
        "sales.Stage", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("stage")
    )
    interaction_type = models.ForeignKey(
        "activities.InteractionType",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("interaction type"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    start_step = models.ForeignKey(
        "playbooks.Step", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("first step")
    )

    class Meta:
        verbose_name = _("script")
        verbose_name_plural = _("scripts")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__isnull=False) | Q(interaction_type__isnull=False),
                name="playbooks_script_has_situation",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    """One thing the manager says or asks; its answers lead to the next step or end the script."""

    script = models.ForeignKey(Script, models.CASCADE, related_name="steps", verbose_name=_("script"))
    position = models.PositiveIntegerField(_("display order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("what to say"), blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["script", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class Answer(models.Model):
    """What the client may answer at a step: leads to another step of the same script or ends with an outcome."""

    step = models.ForeignKey(Step, models.CASCADE, related_name="answers", verbose_name=_("step"))
    position = models.PositiveIntegerField(_("display order"), default=0)
    label = models.CharField(_("answer"), max_length=300)
    # RESTRICT, not PROTECT: a step that answers lead to cannot be deleted alone, but the whole script can.
    next_step = models.ForeignKey(
        Step, models.RESTRICT, null=True, blank=True, related_name="incoming", verbose_name=_("next step")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=choices.Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["step", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(next_step__isnull=False) & Q(outcome="")) | (Q(next_step__isnull=True) & ~Q(outcome="")),
                name="playbooks_answer_next_step_or_outcome",
            )
        ]

    def __str__(self) -> str:
        return self.label


class ScriptEvent(models.Model):
    """One change of a script, its steps or answers (who, when, what); written by services."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        STEP_ADDED = "step_added", _("step added")
        STEP_CHANGED = "step_changed", _("step changed")
        STEP_REMOVED = "step_removed", _("step removed")
        ANSWER_ADDED = "answer_added", _("answer added")
        ANSWER_CHANGED = "answer_changed", _("answer changed")
        ANSWER_REMOVED = "answer_removed", _("answer removed")

    script = models.ForeignKey(Script, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["script", "-at"], name="script_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} {self.script_id} {self.at:%Y-%m-%d}"


class ScriptRun(models.Model):
    """One time a manager followed a script with a client: the branch taken, the outcome and the logged contact."""

    script = models.ForeignKey(Script, models.PROTECT, related_name="runs", verbose_name=_("script"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("manager"))
    party = models.ForeignKey("parties.Party", models.PROTECT, related_name="+", verbose_name=_("client"))
    deal = models.ForeignKey(
        "sales.Deal", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("deal")
    )
    interaction = models.ForeignKey(
        "activities.Interaction",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="script_runs",
        verbose_name=_("interaction"),
    )
    current_step = models.ForeignKey(Step, models.SET_NULL, null=True, blank=True, related_name="+")
    # The branch taken, in order: [{"step": id, "title": ..., "answer": id, "label": ...}, ...]; texts are
    # copied so the record stays readable after the script is edited.
    path = models.JSONField(_("branch taken"), default=list, blank=True)
    # The same branch as one line ("Greeting: yes → Need: no"), so the report can group runs by it.
    branch = models.TextField(_("branch"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=choices.Outcome.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=choices.RunStatus.choices, default=choices.RunStatus.OPEN
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("script run")
        verbose_name_plural = _("script runs")
        indexes = [
            models.Index(fields=["user", "started_at"], name="script_run_user_time"),
            models.Index(fields=["script", "started_at"], name="script_run_script_time"),
        ]

    def __str__(self) -> str:
        return f"{self.script_id} {self.user_id} {self.started_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status == choices.RunStatus.OPEN
