"""Interactions, tasks, the timeline and notifications over REST."""

from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.http import api_user
from crm.activities import selectors, services
from crm.activities.access import (
    can_log_interaction,
    get_interaction_for,
    get_task_for,
    interactions_visible_to,
    tasks_visible_to,
)
from crm.activities.api.serializers import (
    InteractionInput,
    InteractionOutput,
    NotificationOutput,
    TaskInput,
    TaskOutput,
    TimelineEntryOutput,
)
from crm.activities.models import Interaction, Notification, Task
from crm.core.api import CappedKeysetPagination, required_version
from crm.parties.access import get_party_for
from crm.parties.models import Party
from crm.parties.selectors import contact_person_candidates


def _contact_person(party: Party, pk: int | None) -> Party | None:
    if not pk:
        return None
    person = contact_person_candidates(party).filter(pk=pk).first()
    if person is None:
        raise serializers.ValidationError({"contact_person": [_("Unknown contact person.")]})
    return person


class InteractionPagination(CappedKeysetPagination):
    ordering = ("-occurred_at", "-pk")


class InteractionListApi(generics.ListAPIView[Interaction]):
    """Interactions visible to the user (?party= to narrow), newest first; POST logs one with a next step."""

    serializer_class = InteractionOutput
    pagination_class = InteractionPagination

    def get_queryset(self) -> QuerySet[Interaction]:
        queryset = interactions_visible_to(api_user(self.request)).select_related("type", "author")
        party = self.request.query_params.get("party", "")
        return queryset.filter(party_id=int(party)) if party.isdigit() else queryset

    @extend_schema(request=InteractionInput, responses={201: InteractionOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        data = InteractionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        party = get_party_for(user, values.pop("party"))
        if not can_log_interaction(user, party):
            raise PermissionDenied
        next_step = values.pop("next_step", None)
        if next_step is not None:
            next_step = {**next_step, "assignees": [user]}
        interaction = services.interaction_log(
            actor=user, party=party, contact_person=_contact_person(party, values.pop("contact_person", None)),
            next_step=next_step, **values,
        )  # fmt: skip
        return Response(InteractionOutput(interaction).data, status=status.HTTP_201_CREATED)


class InteractionDetailApi(APIView):
    """One interaction; PATCH with `version` records each changed field; DELETE moves it to the trash."""

    @extend_schema(responses=InteractionOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(InteractionOutput(get_interaction_for(api_user(request), pk)).data)

    @extend_schema(request=InteractionInput, responses=InteractionOutput)
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        interaction = get_interaction_for(user, pk, action="change")
        data = InteractionInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        for ignored in ("party", "next_step"):
            values.pop(ignored, None)
        version = required_version(request.data.get("version") if hasattr(request.data, "get") else None)
        if "contact_person" in values:
            values["contact_person"] = _contact_person(interaction.party, values["contact_person"])
        services.interaction_update(actor=user, interaction=interaction, data=values, expected_version=version)
        return Response(InteractionOutput(interaction).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.interaction_delete(actor=user, interaction=get_interaction_for(user, pk, action="change"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PartyTimelineApi(APIView):
    """The client's whole history, newest first; `before` pages back, `kind` and `type` filter (S9)."""

    @extend_schema(
        parameters=[OpenApiParameter("kind", str), OpenApiParameter("type", str), OpenApiParameter("before", str)],
        responses=TimelineEntryOutput(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        party = get_party_for(user, pk)
        kind = request.query_params.get("kind", "")
        page = selectors.party_timeline(
            user, party, kinds={kind} if kind in selectors.TIMELINE_KINDS else None,
            type_code=request.query_params.get("type", ""),
            before=parse_datetime(request.query_params.get("before", "") or ""),
        )  # fmt: skip
        # Each kind is serialised in one go: a serializer per row costs a millisecond of field setup.
        objects = [e.obj for e in page.entries]
        interactions = [o for o in objects if isinstance(o, Interaction)]
        tasks = [o for o in objects if isinstance(o, Task)]
        details: dict[int, Any] = {
            **{id(o): d for o, d in zip(interactions, InteractionOutput(interactions, many=True).data, strict=True)},
            **{id(o): d for o, d in zip(tasks, TaskOutput(tasks, many=True).data, strict=True)},
        }
        entries = [{"kind": e.kind, "at": e.at, **_describe(e.obj, details)} for e in page.entries]
        return Response(
            {
                "results": entries,
                "next_before": page.next_before.isoformat() if page.next_before else None,
            }
        )


def _describe(obj: Any, details: dict[int, Any]) -> dict[str, Any]:
    if isinstance(obj, Interaction):
        return {"title": str(obj.type), "details": details[id(obj)]}
    if isinstance(obj, Task):
        return {"title": obj.title, "details": details[id(obj)]}
    return {"title": obj.get_kind_display(), "details": {"id": obj.pk, "actor": obj.actor_id, **obj.data}}


class TaskPagination(CappedKeysetPagination):
    ordering = ("due_at", "pk")


class TaskListApi(generics.ListAPIView[Task]):
    """Tasks visible to the user (?mine=1 for own open ones, ?party= to narrow); POST creates one."""

    serializer_class = TaskOutput
    pagination_class = TaskPagination

    def get_queryset(self) -> QuerySet[Task]:
        user = api_user(self.request)
        params = self.request.query_params
        queryset = (
            (selectors.my_open_tasks(user) if params.get("mine") else tasks_visible_to(user))
            .prefetch_related("assignees")
            .select_related("interaction_type")
        )
        if params.get("party", "").isdigit():
            queryset = queryset.filter(party_id=int(params["party"]))
        if params.get("status"):
            queryset = queryset.filter(status=params["status"])
        return queryset

    @extend_schema(request=TaskInput, responses={201: TaskOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not user.has_perm("activities.add_task"):
            raise PermissionDenied
        data = TaskInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        party_pk = values.pop("party", None)
        party = get_party_for(user, party_pk) if party_pk else None
        task = services.task_create(actor=user, party=party, **values)
        return Response(TaskOutput(task).data, status=status.HTTP_201_CREATED)


class TaskDetailApi(APIView):
    @extend_schema(responses=TaskOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TaskOutput(get_task_for(api_user(request), pk)).data)

    @extend_schema(request=TaskInput, responses=TaskOutput)
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        task = get_task_for(user, pk, action="change")
        data = TaskInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("party", None)
        version = required_version(values.pop("version", None))
        assignees = values.pop("assignees", None)
        services.task_update(actor=user, task=task, data=values, expected_version=version, assignees=assignees)
        return Response(TaskOutput(task).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.task_delete(actor=user, task=get_task_for(user, pk, action="change"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskCompleteApi(APIView):
    @extend_schema(request=None, responses=TaskOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        task = services.task_complete(actor=user, task=get_task_for(user, pk, action="change"))
        return Response(TaskOutput(task).data)


class NotificationListApi(generics.ListAPIView[Notification]):
    """The user's unread notifications (the bell); POST marks them all read."""

    serializer_class = NotificationOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.unread_notifications(api_user(self.request))[:100]

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {"read": {"type": "integer"}}}})
    def post(self, request: Request) -> Response:
        return Response({"read": services.notification_mark_read(actor=api_user(request))})
