"""Parsing of the interaction and task forms; the services save."""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import User
from crm.activities.choices import Direction, TaskKind
from crm.activities.models import InteractionType
from crm.core.forms import StyledFormMixin
from crm.parties.models import Party

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class InteractionForm(StyledFormMixin, forms.Form):
    """Log a contact and, optionally, plan the next one in the same form (S3, S22)."""

    type = forms.ModelChoiceField(
        label=_("Type"), queryset=InteractionType.objects.filter(is_active=True), empty_label=None
    )
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.OUTGOING)
    occurred_at = forms.DateTimeField(label=_("When"), widget=DATETIME_WIDGET)
    duration_minutes = forms.IntegerField(label=_("Duration, min"), min_value=0, max_value=24 * 60, initial=0)
    contact_person = forms.ModelChoiceField(label=_("Contact person"), queryset=Party.objects.none(), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    participants = forms.ModelMultipleChoiceField(
        label=_("Other participants"), queryset=User.objects.filter(is_active=True), required=False
    )
    next_due_at = forms.DateTimeField(label=_("Next contact"), widget=DATETIME_WIDGET, required=False)
    next_type = forms.ModelChoiceField(
        label=_("Next contact type"), queryset=InteractionType.objects.filter(is_active=True), required=False
    )
    next_title = forms.CharField(label=_("What to do"), max_length=300, required=False)
    next_remind_minutes = forms.TypedChoiceField(
        label=_("Remind"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[
            ("", _("no reminder")),
            (0, _("at due time")),
            (15, _("15 minutes before")),
            (60, _("1 hour before")),
            (1440, _("1 day before")),
        ],
    )

    def __init__(self, *args: Any, party: Party, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        persons = Party.objects.filter(employer_links__organization=party, is_deleted=False)
        field = self.fields["contact_person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = persons
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        due = data.get("next_due_at")
        occurred = data.get("occurred_at")
        if occurred and occurred > timezone.now() + datetime.timedelta(minutes=5):
            self.add_error("occurred_at", _("A logged contact cannot be in the future; plan it as the next contact."))
        if due and due < timezone.now() - datetime.timedelta(minutes=5):
            self.add_error("next_due_at", _("The next contact must be in the future."))
        return data

    def next_step(self, actor: User) -> dict[str, Any] | None:
        due = self.cleaned_data.get("next_due_at")
        if not due:
            return None
        minutes = self.cleaned_data.get("next_remind_minutes")
        return {
            "due_at": due,
            "interaction_type": self.cleaned_data.get("next_type") or self.cleaned_data["type"],
            "title": self.cleaned_data.get("next_title", ""),
            "remind_at": due - datetime.timedelta(minutes=minutes) if minutes is not None else None,
            "assignees": [actor],
        }


class InteractionEditForm(InteractionForm):
    """Correct a logged interaction; every changed field goes to the client's history."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("participants", "next_due_at", "next_type", "next_title", "next_remind_minutes"):
            del self.fields[name]

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class TaskForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.TASK)
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    due_at = forms.DateTimeField(label=_("Due"), widget=DATETIME_WIDGET)
    remind_at = forms.DateTimeField(label=_("Remind at"), widget=DATETIME_WIDGET, required=False)
    interaction_type = forms.ModelChoiceField(
        label=_("Contact type"), queryset=InteractionType.objects.filter(is_active=True), required=False
    )
    assignees = forms.ModelMultipleChoiceField(
        label=_("Assignees"), queryset=User.objects.filter(is_active=True), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PeriodForm(StyledFormMixin, forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}), required=False)

    def period(self) -> tuple[datetime.date, datetime.date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or (end - datetime.timedelta(days=365))
        return (start, end) if start <= end else (end, start)
