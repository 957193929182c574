"""Deals over REST: the same selectors, FilterSet, access rules and services as the pages."""

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.http import api_user
from crm.accounts.models import User
from crm.activities.choices import Direction
from crm.activities.models import InteractionType
from crm.catalog.models import Product
from crm.core.api import CappedKeysetPagination, required_version
from crm.parties.access import parties_visible_to
from crm.parties.models import Party
from crm.parties.selectors import contact_person_candidates
from crm.sales import selectors, services
from crm.sales.access import can_create_deal, get_deal_for
from crm.sales.api.serializers import (
    DealDetailOutput,
    DealInput,
    DealListOutput,
    LineInput,
    LineOutput,
    PipelineOutput,
    RequirementOutput,
)
from crm.sales.filters import DealFilter
from crm.sales.models import Deal, DealLine, Pipeline, Stage


class DealPagination(CappedKeysetPagination):
    ordering = ("-updated_at", "-pk")
    ordering_fields = tuple(selectors.SORTABLE)


def _detail(deal: Deal) -> dict[str, Any]:
    deal = selectors.deal_detail(deal)
    totals = selectors.deal_totals(deal, list(deal.lines.all()))
    return dict(DealDetailOutput(deal, context={"totals": totals}).data)


def _one(queryset: QuerySet[Any], pk: int | None, field: str) -> Any:
    """The row of `queryset` with `pk`, or a 400 naming the field: a hidden row looks like a missing one."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError({field: [_("Not found.")]})
    return found


def _relations(user: User, values: dict[str, Any], party: Party) -> dict[str, Any]:
    """Turn the ids of an input into rows the user may use."""
    out: dict[str, Any] = {}
    if "contact" in values:
        out["contact"] = _one(contact_person_candidates(party), values["contact"], "contact")
    if "currency" in values:
        out["currency"] = values["currency"]
    return out


class DealListApi(generics.ListAPIView[Deal]):
    """Deals the user may see, with the table's filters (pipeline=, stage=, state=, owner=, team=, node=, q=...)."""

    serializer_class = DealListOutput
    filterset_class = DealFilter
    pagination_class = DealPagination

    def get_queryset(self) -> QuerySet[Deal]:
        return selectors.deal_list_for(api_user(self.request))

    @extend_schema(request=DealInput, responses={201: DealDetailOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not can_create_deal(user):
            raise PermissionDenied
        data = DealInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        party = _one(parties_visible_to(user), values["party"], "party")
        pipeline = _one(Pipeline.objects.filter(is_active=True), values["pipeline"], "pipeline")
        stage = _one(Stage.objects.filter(pipeline=pipeline), values.get("stage"), "stage")
        competitors = selectors.competitor_candidates().filter(pk__in=values.get("competitors", []))
        deal = services.deal_create(
            actor=user, party=party, title=values["title"], pipeline=pipeline, stage=stage,
            currency=values["currency"], contact=_relations(user, values, party).get("contact"),
            amount=values.get("amount"), expected_close_date=values.get("expected_close_date"),
            probability=values.get("probability"), source=values.get("source", ""),
            source_detail=values.get("source_detail", ""), description=values.get("description", ""),
            competitors=list(competitors),
        )  # fmt: skip
        return Response(_detail(deal), status=status.HTTP_201_CREATED)


class DealDetailApi(APIView):
    """One deal with its lines and totals; PATCH with `version` (a stale one is refused); DELETE to the trash."""

    @extend_schema(responses=DealDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(get_deal_for(api_user(request), pk)))

    @extend_schema(request=DealInput, responses=DealDetailOutput)
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        deal = get_deal_for(user, pk, action="change")
        data = DealInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = required_version(values.pop("version", None))
        for fixed in ("party", "pipeline", "stage"):
            if fixed in values:
                raise serializers.ValidationError({fixed: [_("This field cannot be changed here.")]})
        changes: dict[str, Any] = {
            k: v for k, v in values.items() if k in services.DEAL_FIELDS and k not in ("contact", "currency")
        }
        changes.update(_relations(user, values, deal.party))
        if "currency" in changes:
            changes["currency"] = _one(selectors.currencies(), changes["currency"], "currency")
        if "amount" in values:
            changes["amount_is_manual"] = values["amount"] is not None
            if values["amount"] is None:
                changes.pop("amount")
        if "probability" in values:
            changes["probability_is_manual"] = values["probability"] is not None
            if values["probability"] is None:
                changes["probability"] = deal.stage.probability
        competitors = None
        if "competitors" in values:
            competitors = list(selectors.competitor_candidates().filter(pk__in=values["competitors"]))
        services.deal_update(actor=user, deal=deal, data=changes, expected_version=version, competitors=competitors)
        return Response(_detail(deal))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.deal_delete(actor=user, deal=get_deal_for(user, pk, action="change"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DealMoveStageApi(APIView):
    """Move the deal to a stage; 400 names each missing requirement and changes nothing."""

    class Input(serializers.Serializer[dict[str, Any]]):
        stage = serializers.IntegerField()
        lost_reason = serializers.IntegerField(required=False, allow_null=True)
        version = serializers.IntegerField(required=False)

    @extend_schema(request=Input, responses=DealDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        deal = get_deal_for(user, pk, action="change")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        stage = _one(Stage.objects.filter(pipeline_id=deal.pipeline_id), values["stage"], "stage")
        reason = _one(selectors.lost_reason_nodes(), values.get("lost_reason"), "lost_reason")
        services.deal_move_stage(
            actor=user, deal=deal, stage=stage, lost_reason=reason, expected_version=values.get("version")
        )
        return Response(_detail(deal))


class _RequirementState(RequirementOutput):
    is_met = serializers.BooleanField()

    class Meta(RequirementOutput.Meta):
        fields = [*RequirementOutput.Meta.fields, "is_met"]


class _MissingFor(serializers.Serializer[dict[str, Any]]):
    stage = serializers.IntegerField()
    requirements = RequirementOutput(many=True)
    messages = serializers.ListField(child=serializers.CharField())


class RequirementsOutput(serializers.Serializer[dict[str, Any]]):
    """The shape DealRequirementsApi answers with (for the OpenAPI description)."""

    stage = serializers.IntegerField()
    requirements = _RequirementState(many=True)
    missing_for = _MissingFor(required=False)


class DealRequirementsApi(APIView):
    """What the deal's current stage requires and whether each is done; with `stage=`, what a move there lacks."""

    @extend_schema(parameters=[OpenApiParameter("stage", int)], responses=RequirementsOutput)
    def get(self, request: Request, pk: int) -> Response:
        deal = get_deal_for(api_user(request), pk)
        current = [
            {**RequirementOutput(requirement).data, "is_met": met}
            for requirement, met in selectors.current_requirements(deal)
        ]
        body: dict[str, Any] = {"stage": deal.stage_id, "requirements": current}
        raw = request.query_params.get("stage", "")
        if raw:
            if not raw.isdigit():
                raise serializers.ValidationError({"stage": [_("Enter a whole number.")]})
            target = _one(Stage.objects.filter(pipeline_id=deal.pipeline_id), int(raw), "stage")
            missing = services.deal_missing_requirements(deal, target)
            body["missing_for"] = {
                "stage": target.pk,
                "requirements": RequirementOutput(missing, many=True).data,
                "messages": [services.requirement_message(r) for r in missing],
            }
        return Response(body)


class DealLineCreateApi(APIView):
    """Add a line: the price comes from the client's price list unless `list_price` is sent."""

    @extend_schema(request=LineInput, responses={201: LineOutput})
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        deal = get_deal_for(user, pk, action="change")
        data = LineInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        product = _one(Product.objects.filter(is_active=True, is_deleted=False), values["product"], "product")
        line = services.deal_line_add(
            actor=user, deal=deal, product=product, quantity=values["quantity"],
            discount_percent=values.get("discount_percent", Decimal("0")), list_price=values.get("list_price"),
            description=values.get("description", ""),
        )  # fmt: skip
        return Response(LineOutput(line).data, status=status.HTTP_201_CREATED)


class DealLineDetailApi(APIView):
    """Change (quantity, discount, price, description) or remove a line."""

    def _line(self, request: Request, pk: int) -> DealLine:
        line = get_object_or_404(DealLine.objects.select_related("product"), pk=pk)
        line.deal = get_deal_for(api_user(request), line.deal_id, action="change")
        return line

    @extend_schema(request=LineInput, responses=LineOutput)
    def patch(self, request: Request, pk: int) -> Response:
        line = self._line(request, pk)
        data = LineInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k != "product"}
        services.deal_line_update(actor=api_user(request), line=line, data=values)
        return Response(LineOutput(line).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.deal_line_remove(actor=api_user(request), line=self._line(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DealInteractionApi(APIView):
    """Log an interaction with the deal's client for this deal (it counts towards stage requirements)."""

    class Input(serializers.Serializer[dict[str, Any]]):
        type = serializers.SlugRelatedField(slug_field="code", queryset=InteractionType.objects.filter(is_active=True))
        occurred_at = serializers.DateTimeField(required=False)
        direction = serializers.ChoiceField(choices=Direction.choices, required=False, default=Direction.OUTGOING)
        duration_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60, required=False, default=0)
        subject = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
        result = serializers.CharField(required=False, default="", allow_blank=True)

    @extend_schema(request=Input, responses={201: DealDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        deal = get_deal_for(user, pk, action="change")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        occurred: datetime.datetime | None = values.pop("occurred_at", None)
        services.deal_log_interaction(actor=user, deal=deal, occurred_at=occurred, **values)
        return Response(_detail(deal), status=status.HTTP_201_CREATED)


class PipelineListApi(generics.ListAPIView[Pipeline]):
    """Active pipelines with their stages in order and each stage's requirements."""

    serializer_class = PipelineOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[Pipeline]:
        return selectors.pipelines_with_stages()
