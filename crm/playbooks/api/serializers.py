from typing import Any

from rest_framework import serializers

from crm.activities.api.serializers import NextStepInput
from crm.activities.choices import Direction
from crm.activities.models import InteractionType
from crm.playbooks.choices import Outcome
from crm.playbooks.models import Answer, Script, ScriptRun, Step


class AnswerOutput(serializers.ModelSerializer[Answer]):
    class Meta:
        model = Answer
        fields = ["id", "position", "label", "next_step", "outcome"]


class StepOutput(serializers.ModelSerializer[Step]):
    answers = AnswerOutput(many=True, read_only=True)

    class Meta:
        model = Step
        fields = ["id", "position", "title", "text", "answers"]


class ScriptOutput(serializers.ModelSerializer[Script]):
    interaction_type: serializers.SlugRelatedField[InteractionType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    stage_name = serializers.CharField(source="stage.name", default=None, read_only=True)

    class Meta:
        model = Script
        fields = ["id", "name", "description", "stage", "stage_name", "interaction_type", "is_active", "start_step"]


class ScriptDetailOutput(ScriptOutput):
    steps = serializers.SerializerMethodField()

    class Meta(ScriptOutput.Meta):
        fields = [*ScriptOutput.Meta.fields, "steps"]

    def get_steps(self, script: Script) -> list[dict[str, Any]]:
        steps: list[Step] = self.context["steps"]
        return list(StepOutput(steps, many=True).data)


class RunOutput(serializers.ModelSerializer[ScriptRun]):
    class Meta:
        model = ScriptRun
        fields = ["id", "script", "user", "party", "deal", "interaction", "current_step", "path", "outcome", "status",
                  "started_at", "finished_at"]  # fmt: skip


class RunStartInput(serializers.Serializer[dict[str, Any]]):
    script = serializers.IntegerField()
    party = serializers.IntegerField(required=False)
    deal = serializers.IntegerField(required=False, allow_null=True)


class RunAnswerInput(serializers.Serializer[dict[str, Any]]):
    answer = serializers.IntegerField()


class RunFinishInput(serializers.Serializer[dict[str, Any]]):
    """The contact to log (as in POST /interactions/ without the client) and, if the script did not say, the outcome."""

    type = serializers.SlugRelatedField(slug_field="code", queryset=InteractionType.objects.filter(is_active=True))
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True, default="")
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.OUTGOING)
    occurred_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(min_value=0, max_value=1440, default=0)
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    result = serializers.CharField(required=False, allow_blank=True, default="")
    contact_person = serializers.IntegerField(required=False, allow_null=True)
    next_step = NextStepInput(required=False)
