"""Leads over REST (S24): a site or a mail robot pushes leads; the same access rules, selectors and services as the pages."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
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
from crm.catalog.models import Currency
from crm.core.api import CappedKeysetPagination
from crm.parties.access import get_party_for
from crm.parties.choices import PartyKind
from crm.parties.models import Party
from crm.sales.choices import LeadChannel, LeadRuleKind
from crm.sales.leads import selectors, services
from crm.sales.leads.access import (
    OPEN_STATUSES,
    can_add_lead,
    can_change_lead,
    can_distribute_leads,
    can_own_leads,
    get_lead_for,
    get_lead_rule_for,
    lead_owner_candidates,
    lead_rules_for,
)
from crm.sales.models import Lead, LeadRule, Pipeline, Stage


class LeadOutput(serializers.ModelSerializer[Lead]):
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id", "title", "contact_name", "company_name", "phone", "email", "inn", "region", "industry", "message",
            "channel", "status", "owner", "owner_name", "assigned_by_rule", "reject_reason", "party", "deal",
            "created_at", "closed_at", "version",
        ]  # fmt: skip

    def get_owner_name(self, lead: Lead) -> str | None:
        return str(lead.owner) if lead.owner else None


class ClientCandidateOutput(serializers.ModelSerializer[Party]):
    responsible_name = serializers.CharField(source="responsible.__str__", read_only=True)

    class Meta:
        model = Party
        fields = ["id", "kind", "name", "inn", "responsible", "responsible_name"]


class LeadDetailOutput(LeadOutput):
    client_candidates = serializers.SerializerMethodField()

    class Meta(LeadOutput.Meta):
        fields = [*LeadOutput.Meta.fields, "client_candidates"]

    @extend_schema(responses=ClientCandidateOutput(many=True))
    def get_client_candidates(self, lead: Lead) -> list[dict[str, Any]]:
        found: list[Party] = self.context.get("candidates", [])
        return list(ClientCandidateOutput(found, many=True).data)


class LeadPagination(CappedKeysetPagination):
    ordering = ("-created_at", "-pk")


class LeadListApi(generics.ListAPIView[Lead]):
    """Leads the user may see (tab=new|mine|all, and the page's filters), newest first; POST registers a lead."""

    serializer_class = LeadOutput
    filterset_class = selectors.LeadFilter
    pagination_class = LeadPagination

    class Input(serializers.Serializer[dict[str, Any]]):
        title = serializers.CharField(max_length=300, required=False, allow_blank=True)
        contact_name = serializers.CharField(max_length=300, required=False, allow_blank=True)
        company_name = serializers.CharField(max_length=300, required=False, allow_blank=True)
        phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
        email = serializers.CharField(max_length=254, required=False, allow_blank=True)
        inn = serializers.CharField(max_length=14, required=False, allow_blank=True)
        region = serializers.CharField(max_length=200, required=False, allow_blank=True)
        industry = serializers.CharField(max_length=200, required=False, allow_blank=True)
        message = serializers.CharField(max_length=20000, required=False, allow_blank=True)
        channel = serializers.ChoiceField(choices=LeadChannel.choices, required=False)
        take = serializers.BooleanField(required=False, default=False, help_text="Keep the lead for yourself.")

    def get_queryset(self) -> QuerySet[Lead]:
        user = api_user(self.request)
        return selectors.lead_list_for(user, selectors.tab_from(self.request.query_params.get("tab", "all"), user))

    @extend_schema(
        parameters=[OpenApiParameter("tab", str, enum=list(selectors.TABS))], responses=LeadOutput(many=True)
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=Input, responses={201: LeadOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not can_add_lead(user):
            raise PermissionDenied
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        take = values.pop("take")
        if take and not can_own_leads(user):
            raise PermissionDenied
        lead = services.lead_create(actor=user, data=values, owner=user if take else None)
        return Response(LeadOutput(lead).data, status=status.HTTP_201_CREATED)


class LeadDetailApi(APIView):
    """One lead; while it is open its owner also gets the clients it may turn out to be."""

    @extend_schema(responses=LeadDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        lead = selectors.lead_detail_for(get_lead_for(user, pk))
        open_for_user = lead.status in OPEN_STATUSES and can_change_lead(user, lead)
        candidates = selectors.lead_client_candidates(user, lead) if open_for_user else []
        return Response(LeadDetailOutput(lead, context={"candidates": candidates}).data)


def _owner(owner_id: int) -> User:
    owner: User = get_object_or_404(lead_owner_candidates(), pk=owner_id)
    return owner


class LeadAssignApi(APIView):
    """Give one lead to a manager by hand (sales.distribute_leads)."""

    class Input(serializers.Serializer[dict[str, Any]]):
        owner = serializers.IntegerField()

    @extend_schema(request=Input, responses=LeadOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        lead = get_lead_for(user, pk, action="assign")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.lead_assign(actor=user, leads=[lead], owner=_owner(data.validated_data["owner"]))
        lead.refresh_from_db()
        return Response(LeadOutput(lead).data)


class LeadBulkAssignApi(APIView):
    """Give many leads to one manager at once; a closed one among them refuses the batch."""

    class Input(serializers.Serializer[dict[str, Any]]):
        owner = serializers.IntegerField()
        ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=1000)

    class Output(serializers.Serializer[dict[str, Any]]):
        assigned = serializers.IntegerField()

    @extend_schema(request=Input, responses=Output)
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not can_distribute_leads(user):
            raise PermissionDenied
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        leads = selectors.lead_list_for(user).filter(pk__in=data.validated_data["ids"])
        moved = services.lead_assign(actor=user, leads=leads, owner=_owner(data.validated_data["owner"]))
        return Response({"assigned": moved})


class LeadQualifyApi(APIView):
    """Turn a lead into a client (`party`: one of its client candidates, or empty for a new one) and a deal."""

    class Input(serializers.Serializer[dict[str, Any]]):
        pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.filter(is_active=True))
        stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False, allow_null=True)
        party = serializers.IntegerField(required=False, allow_null=True)
        party_kind = serializers.ChoiceField(choices=PartyKind.choices, required=False, default=PartyKind.ORGANIZATION)
        deal_title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.all(), required=False)

    @extend_schema(request=Input, responses=LeadOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        lead = get_lead_for(user, pk, action="change")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        party = None
        if values.get("party"):
            # A client found by the lead's INN, phone or e-mail may be another manager's: offering it is the
            # point (no duplicate card); any other client must be one the user can see.
            candidates = {p.pk: p for p in selectors.lead_client_candidates(user, lead)}
            party = candidates.get(values["party"])
            if party is None:
                try:
                    party = get_party_for(user, values["party"])
                except Http404:
                    raise serializers.ValidationError({"party": [_("There is no such client.")]}) from None
        services.lead_qualify(
            actor=user,
            lead=lead,
            pipeline=values["pipeline"],
            stage=values.get("stage"),
            party=party,
            party_kind=values["party_kind"],
            deal_title=values["deal_title"],
            currency=values.get("currency") or "RUB",
        )
        return Response(LeadOutput(lead).data)


class LeadRejectApi(APIView):
    class Input(serializers.Serializer[dict[str, Any]]):
        reason = serializers.CharField(max_length=300)

    @extend_schema(request=Input, responses=LeadOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        lead = get_lead_for(user, pk, action="change")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.lead_reject(actor=user, lead=lead, reason=data.validated_data["reason"])
        return Response(LeadOutput(lead).data)


class LeadRuleOutput(serializers.ModelSerializer[LeadRule]):
    class Meta:
        model = LeadRule
        fields = ["id", "position", "name", "kind", "match_values", "managers", "last_assigned", "is_active"]


class LeadRuleInput(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=LeadRuleKind.choices)
    match_values = serializers.CharField(required=False, allow_blank=True, default="")
    managers = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True)
    is_active = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(required=False, min_value=0, help_text="Move the rule to this place.")


class LeadRuleListApi(APIView):
    """The distribution rules in the order they are tried (sales.distribute_leads)."""

    @extend_schema(responses=LeadRuleOutput(many=True))
    def get(self, request: Request) -> Response:
        rules = lead_rules_for(api_user(request)).prefetch_related("managers")
        return Response(LeadRuleOutput(rules, many=True).data)

    @extend_schema(request=LeadRuleInput, responses={201: LeadRuleOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        lead_rules_for(user)
        data = LeadRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        managers = values.pop("managers")
        position = values.pop("position", None)
        rule = services.lead_rule_create(actor=user, data=values, managers=managers)
        if position is not None:
            rule = services.lead_rule_move(actor=user, rule=rule, position=position)
        return Response(LeadRuleOutput(rule).data, status=status.HTTP_201_CREATED)


class LeadRuleDetailApi(APIView):
    """One rule: PATCH any field (`position` reorders, `is_active` false deactivates); DELETE removes it."""

    @extend_schema(responses=LeadRuleOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(LeadRuleOutput(get_lead_rule_for(api_user(request), pk)).data)

    @extend_schema(request=LeadRuleInput, responses=LeadRuleOutput)
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        rule = get_lead_rule_for(user, pk)
        data = LeadRuleInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        managers = values.pop("managers", None)
        position = values.pop("position", None)
        services.lead_rule_update(actor=user, rule=rule, data=values, managers=managers)
        if position is not None:
            services.lead_rule_move(actor=user, rule=rule, position=position)
        rule.refresh_from_db()
        return Response(LeadRuleOutput(rule).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.lead_rule_delete(actor=user, rule=get_lead_rule_for(user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
