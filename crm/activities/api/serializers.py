from typing import Any

from rest_framework import serializers

from crm.accounts.models import User
from crm.activities.choices import Direction, TaskKind
from crm.activities.models import Interaction, InteractionType, Notification, Task


class InteractionOutput(serializers.ModelSerializer[Interaction]):
    type = serializers.CharField(source="type.code")
    type_name = serializers.CharField(source="type.__str__")
    author_name = serializers.CharField(source="author.__str__")

    class Meta:
        model = Interaction
        fields = ["id", "party", "contact_person", "type", "type_name", "direction", "occurred_at", "duration_minutes",
                  "subject", "result", "author", "author_name", "version", "created_at"]  # fmt: skip


class NextStepInput(serializers.Serializer[dict[str, Any]]):
    due_at = serializers.DateTimeField()
    remind_at = serializers.DateTimeField(required=False, allow_null=True)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    interaction_type = serializers.SlugRelatedField(
        slug_field="code", queryset=InteractionType.objects.filter(is_active=True), required=False
    )


class InteractionInput(serializers.Serializer[dict[str, Any]]):
    party = serializers.IntegerField()
    type = serializers.SlugRelatedField(slug_field="code", queryset=InteractionType.objects.filter(is_active=True))
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.OUTGOING)
    occurred_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(min_value=0, max_value=1440, default=0)
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    result = serializers.CharField(required=False, allow_blank=True, default="")
    contact_person = serializers.IntegerField(required=False, allow_null=True)
    next_step = NextStepInput(required=False)


class TaskOutput(serializers.ModelSerializer[Task]):
    assignees: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    interaction_type: serializers.SlugRelatedField[InteractionType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = ["id", "kind", "title", "description", "party", "contact_person", "interaction_type", "due_at",
                  "remind_at", "assignees", "status", "done_at", "is_overdue", "version", "created_at"]  # fmt: skip


class TaskInput(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=TaskKind.choices, default=TaskKind.TASK)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    party = serializers.IntegerField(required=False, allow_null=True)
    due_at = serializers.DateTimeField()
    remind_at = serializers.DateTimeField(required=False, allow_null=True)
    interaction_type = serializers.SlugRelatedField(
        slug_field="code", queryset=InteractionType.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    version = serializers.IntegerField(required=False)


class TimelineEntryOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    title = serializers.CharField()
    details = serializers.DictField()


class NotificationOutput(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "title", "url", "created_at", "read_at"]
