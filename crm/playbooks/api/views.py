"""Scripts, runs and the usage report over REST: the same access rules and services as the pages."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.http import api_user
from crm.core.api import CappedKeysetPagination
from crm.parties.access import get_party_for
from crm.parties.models import Party
from crm.parties.selectors import contact_person_candidates
from crm.playbooks import selectors, services
from crm.playbooks.access import answer_of_run, can_run_script, get_run_for, get_script_for, runs_visible_to
from crm.playbooks.api.serializers import (
    RunAnswerInput,
    RunFinishInput,
    RunOutput,
    RunStartInput,
    ScriptDetailOutput,
    ScriptOutput,
)
from crm.playbooks.models import Script, ScriptRun
from crm.sales.access import get_deal_for


class ScriptListApi(generics.ListAPIView[Script]):
    """Scripts the user may follow (editors also get the switched-off ones)."""

    serializer_class = ScriptOutput
    pagination_class = CappedKeysetPagination

    def get_queryset(self) -> QuerySet[Script]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no signed-in user
            return Script.objects.none()
        return selectors.script_list_for(api_user(self.request))


class ScriptDetailApi(APIView):
    """One script with its steps and their answers, and the check of its steps graph."""

    @extend_schema(responses=ScriptDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        script = get_script_for(api_user(request), pk)
        data = dict(ScriptDetailOutput(script, context={"steps": selectors.script_steps(script)}).data)
        check = services.script_check(script)
        data["errors"], data["warnings"] = check.errors, check.warnings
        return Response(data)


class RunListApi(generics.ListAPIView[ScriptRun]):
    """Runs in the user's scope (own; the team's for a team lead; all for heads of sales); POST starts one."""

    serializer_class = RunOutput
    pagination_class = CappedKeysetPagination

    def get_queryset(self) -> QuerySet[ScriptRun]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no signed-in user
            return ScriptRun.objects.none()
        return runs_visible_to(api_user(self.request))

    @extend_schema(request=RunStartInput, responses={201: RunOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        data = RunStartInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        deal = get_deal_for(user, values["deal"]) if values.get("deal") else None
        party_pk = values.get("party") or (deal.party_id if deal is not None else None)
        if party_pk is None:
            raise serializers.ValidationError({"party": [_("Name the client or the deal.")]})
        party = get_party_for(user, party_pk)
        if not can_run_script(user, party):
            raise PermissionDenied
        script = get_script_for(user, values["script"])
        run = services.run_start(actor=user, script=script, party=party, deal=deal)
        return Response(RunOutput(run).data, status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    @extend_schema(responses=RunOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RunOutput(get_run_for(api_user(request), pk)).data)


class RunAnswerApi(APIView):
    """Record the client's answer at the current step; the run moves to the step it leads to or to its outcome."""

    @extend_schema(request=RunAnswerInput, responses=RunOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        run = get_run_for(user, pk, action="change")
        data = RunAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        answer = answer_of_run(run, data.validated_data["answer"])
        if answer is None:
            raise serializers.ValidationError({"answer": [_("Choose one of the answers.")]})
        return Response(RunOutput(services.run_choose(actor=user, run=run, answer=answer)).data)


class RunBackApi(APIView):
    @extend_schema(request=None, responses=RunOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        run = get_run_for(user, pk, action="change")
        return Response(RunOutput(services.run_back(actor=user, run=run)).data)


def _contact_person(party: Party, pk: int | None) -> Party | None:
    if not pk:
        return None
    person = contact_person_candidates(party).filter(pk=pk).first()
    if person is None:
        raise serializers.ValidationError({"contact_person": [_("Unknown contact person.")]})
    return person


class RunFinishApi(APIView):
    """Log the contact with the branch taken and the outcome (linked to the run's deal if any)."""

    @extend_schema(request=RunFinishInput, responses=RunOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        run = get_run_for(user, pk, action="change")
        data = RunFinishInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        next_step = values.pop("next_step", None)
        if next_step is not None:
            next_step = {**next_step, "assignees": [user]}
        contact_person = _contact_person(run.party, values.pop("contact_person", None))
        run = services.run_finish(actor=user, run=run, contact_person=contact_person, next_step=next_step, **values)
        return Response(RunOutput(run).data)


class RunAbandonApi(APIView):
    @extend_schema(request=None, responses=RunOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        run = get_run_for(user, pk, action="change")
        return Response(RunOutput(services.run_abandon(actor=user, run=run)).data)


def _date(raw: str | None, default: datetime.date) -> datetime.date:
    if not raw:
        return default
    value = parse_date(raw)
    if value is None:
        raise serializers.ValidationError({"date": [_("Enter dates as YYYY-MM-DD.")]})
    return value


class ScriptReportApi(APIView):
    """Script usage per script and manager over a period (?start=&end=&script=&user=), in the user's scope."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", datetime.date),
            OpenApiParameter("end", datetime.date),
            OpenApiParameter("script", int),
            OpenApiParameter("user", int),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        end = _date(params.get("end"), timezone.localdate())
        start = _date(params.get("start"), end - datetime.timedelta(days=365))
        script, user = params.get("script", ""), params.get("user", "")
        report = selectors.script_usage_report(
            api_user(request), start=min(start, end), end=max(start, end),
            script_id=int(script) if script.isdigit() else None, user_id=int(user) if user.isdigit() else None,
        )  # fmt: skip
        rows = [
            {
                "script": row.script_id, "script_name": row.script_name, "user": row.user_id,
                "user_name": row.user_name, "runs": row.runs, "finished": row.finished, "abandoned": row.abandoned,
                "outcomes": row.outcomes, "average_minutes": row.average_minutes, "top_branch": row.top_branch,
                "top_branch_runs": row.top_branch_runs,
            }
            for row in report.rows
        ]  # fmt: skip
        return Response({"start": min(start, end), "end": max(start, end), "rows": rows})
