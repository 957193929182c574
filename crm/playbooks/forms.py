"""Parsing of the script editor, the run's closing form and the report filters; the services save."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import User
from crm.activities.forms import InteractionForm
from crm.activities.models import InteractionType
from crm.core.forms import StyledFormMixin
from crm.playbooks.choices import Outcome
from crm.playbooks.models import Script, Step
from crm.sales.models import Stage


class StageChoiceField(forms.ModelChoiceField[Stage]):
    """Stages named with their pipeline: several pipelines may have a stage of the same name."""

    def label_from_instance(self, obj: Stage) -> str:
        return f"{obj.pipeline.name}: {obj.name}"


class ScriptForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    stage = StageChoiceField(
        label=_("Pipeline stage"),
        queryset=Stage.objects.select_related("pipeline").order_by("pipeline__position", "pipeline__name", "position"),
        required=False,
    )
    interaction_type = forms.ModelChoiceField(
        label=_("Interaction type"), queryset=InteractionType.objects.filter(is_active=True), required=False
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    start_step = forms.ModelChoiceField(label=_("First step"), queryset=Step.objects.none(), required=False)

    def __init__(self, *args: Any, script: Script | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if script is None:
            del self.fields["start_step"]
        else:
            start = self.fields["start_step"]
            assert isinstance(start, forms.ModelChoiceField)
            start.queryset = script.steps.order_by("position", "pk")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("stage") and not data.get("interaction_type"):
            self.add_error("stage", _("Choose a stage, an interaction type or both."))
        return data


class StepForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("What to say or ask"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, required=False)


class AnswerForm(StyledFormMixin, forms.Form):
    label = forms.CharField(label=_("Client's answer"), max_length=300)
    next_step = forms.ModelChoiceField(label=_("Leads to step"), queryset=Step.objects.none(), required=False)
    outcome = forms.ChoiceField(label=_("or ends with"), choices=[("", "—"), *Outcome.choices], required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, required=False)

    def __init__(
        self, *args: Any, script: Script, exclude_step: Step | None = None, steps: list[Step] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        field = self.fields["next_step"]
        assert isinstance(field, forms.ModelChoiceField)
        queryset = script.steps.order_by("position", "pk")
        field.queryset = queryset.exclude(pk=exclude_step.pk) if exclude_step is not None else queryset
        if steps is not None:
            # The editor page shows one form per step: offer the steps already loaded instead of a query per form.
            field.choices = [("", "---------")] + [(s.pk, s.title) for s in steps if s != exclude_step]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("next_step")) == bool(data.get("outcome")):
            self.add_error("next_step", _("An answer leads either to another step or to an outcome."))
        return data


class RunFinishForm(InteractionForm):
    """The usual contact form, plus how the conversation ended when the script did not say."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False)

    def __init__(self, *args: Any, needs_outcome: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_outcome:
            self.fields["outcome"].required = True
        else:
            del self.fields["outcome"]


class ReportFilterForm(StyledFormMixin, forms.Form):
    script = forms.ModelChoiceField(label=_("Script"), queryset=Script.objects.none(), required=False)
    user = forms.ModelChoiceField(label=_("Manager"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, scripts: QuerySet[Script], users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        script = self.fields["script"]
        user = self.fields["user"]
        assert isinstance(script, forms.ModelChoiceField)
        assert isinstance(user, forms.ModelChoiceField)
        script.queryset = scripts
        user.queryset = users
