"""Clients over REST: the same selectors, FilterSet, access rules and services as the pages."""

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
from crm.core.api import CappedKeysetPagination, keyset_link, required_version
from crm.core.pagination import keyset_page_merged
from crm.parties import selectors, services
from crm.parties.access import can_reassign_parties, get_party_for
from crm.parties.api.serializers import (
    ClassifierOutput,
    ContactPointInput,
    ContactPointOutput,
    CustomFieldOutput,
    PartyDetailOutput,
    PartyInput,
    PartyListOutput,
)
from crm.parties.fields import field_access, refused_write
from crm.parties.filters import PartyFilter, ordering_from
from crm.parties.models import Classifier, ClassifierNode, ContactPoint, CustomField, Party
from crm.parties.selectors import SORTABLE


def _refuse_hidden(user: User, values: dict[str, Any]) -> None:
    """403 naming the fields and contact kinds of a write that are hidden from the user (X4): nothing changes."""
    kinds = [str(point.get("kind", "")) for point in values.get("contact_points", [])]
    message = refused_write(field_access(user), fields=[k for k in values if k != "contact_points"], kinds=kinds)
    if message:
        raise PermissionDenied(message)


class PartyPagination(CappedKeysetPagination):
    ordering = ("name", "pk")
    ordering_fields = tuple(SORTABLE)


class PartyListApi(generics.ListAPIView[Party]):
    """List clients with the page's filters (node=, q=, kind=, responsible=, ...), keyset-paged; create one."""

    serializer_class = PartyListOutput
    filterset_class = PartyFilter
    pagination_class = PartyPagination

    def get_queryset(self) -> QuerySet[Party]:
        return selectors.party_list_for(api_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Keyset pages merged over the visibility branches (see parties_visible_branches)."""
        user = api_user(request)
        params = request.query_params
        ordering = ordering_from(params.get("ordering"))
        try:
            size = max(1, min(int(params.get("page_size", "50")), PartyPagination.max_page_size))
        except ValueError:
            raise serializers.ValidationError({"page_size": [_("Enter a whole number.")]}) from None
        branches = selectors.party_list_branches(user, params)
        page = keyset_page_merged(branches.rows, ordering, params.get("cursor"), size, counted=branches.counted)
        rows = selectors.with_card_summary(page.rows)
        return Response(
            {
                "count": page.total,
                "count_is_capped": page.total_is_capped,
                "next": keyset_link(request, page.next_cursor),
                "previous": keyset_link(request, page.prev_cursor),
                "results": PartyListOutput(rows, many=True, context={"request": request}).data,
            }
        )

    @extend_schema(request=PartyInput, responses={201: PartyDetailOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not user.has_perm("parties.add_party"):
            raise PermissionDenied
        data = PartyInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        _refuse_hidden(user, values)
        if "kind" not in values:
            raise serializers.ValidationError({"kind": [_("This field is required.")]})
        responsible = None
        if "responsible" in values:
            responsible_id = values.pop("responsible")
            if responsible_id != user.pk and not can_reassign_parties(user):
                raise PermissionDenied
            responsible = get_object_or_404(User, pk=responsible_id, is_active=True)
        party = services.party_create(
            actor=user,
            data=values,
            responsible=responsible,
            contact_points=values.pop("contact_points", []),
            custom_data=values.pop("custom_data", None),
        )
        output = PartyDetailOutput(selectors.party_detail_for(party), context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


class PartyDetailApi(APIView):
    """One client's card; PATCH with `version` (a stale version is refused); DELETE moves it to the trash."""

    @extend_schema(responses=PartyDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        party = selectors.party_detail_for(get_party_for(api_user(request), pk))
        return Response(PartyDetailOutput(party, context={"request": request}).data)

    @extend_schema(request=PartyInput, responses=PartyDetailOutput)
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        party = get_party_for(user, pk, action="change")
        data = PartyInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        _refuse_hidden(user, values)
        values.pop("contact_points", None)
        values.pop("responsible", None)
        version = required_version(values.pop("version", None))
        services.party_update(
            actor=user, party=party, data=values, expected_version=version, custom_data=values.pop("custom_data", None)
        )
        return Response(PartyDetailOutput(selectors.party_detail_for(party), context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.party_delete(actor=user, party=get_party_for(user, pk, action="change"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PartySearchApi(APIView):
    """Search as you type: a name part, a phone in any form, an e-mail or an INN (S22)."""

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses=PartyListOutput(many=True))
    def get(self, request: Request) -> Response:
        found = selectors.party_search(api_user(request), request.query_params.get("q", ""))
        return Response(PartyListOutput(found, many=True, context={"request": request}).data)


class ContactPointCreateApi(APIView):
    @extend_schema(request=ContactPointInput, responses={201: ContactPointOutput})
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        party = get_party_for(user, pk, action="change")
        data = ContactPointInput(data=request.data)
        data.is_valid(raise_exception=True)
        _refuse_hidden(user, {"contact_points": [data.validated_data]})
        point = services.contact_point_add(actor=user, party=party, **data.validated_data)
        return Response(ContactPointOutput(point, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ContactPointDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        point = get_object_or_404(ContactPoint, pk=pk)
        get_party_for(user, point.party_id, action="change")
        _refuse_hidden(user, {"contact_points": [{"kind": point.kind}]})
        services.contact_point_remove(actor=user, point=point)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClassificationApi(APIView):
    class Input(serializers.Serializer[dict[str, Any]]):
        nodes = serializers.PrimaryKeyRelatedField(queryset=ClassifierNode.objects.all(), many=True)

    @extend_schema(request=Input, responses=PartyDetailOutput)
    def put(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        party = get_party_for(user, pk, action="change")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.party_set_classification(actor=user, party=party, nodes=data.validated_data["nodes"])
        return Response(PartyDetailOutput(selectors.party_detail_for(party), context={"request": request}).data)


class PartyReassignApi(APIView):
    """Reassign clients chosen by id, or every client matching the list's filters (S24)."""

    class Input(serializers.Serializer[dict[str, Any]]):
        responsible = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
        ids = serializers.ListField(child=serializers.IntegerField(), required=False)

    @extend_schema(request=Input, responses={200: {"type": "object", "properties": {"moved": {"type": "integer"}}}})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not can_reassign_parties(user):
            raise PermissionDenied
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        parties = PartyFilter(request.query_params, queryset=selectors.party_list_for(user)).qs
        if data.validated_data.get("ids"):
            parties = parties.filter(pk__in=data.validated_data["ids"])
        moved = services.party_reassign(actor=user, parties=parties, responsible=data.validated_data["responsible"])
        return Response({"moved": moved})


class PartyMergeApi(APIView):
    class Input(serializers.Serializer[dict[str, Any]]):
        duplicate = serializers.IntegerField()

    @extend_schema(request=Input, responses=PartyDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        if not user.has_perm("parties.merge_parties"):
            raise PermissionDenied
        keep = get_party_for(user, pk, action="change")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        duplicate = get_party_for(user, data.validated_data["duplicate"], action="change")
        services.party_merge(actor=user, keep=keep, duplicate=duplicate)
        return Response(PartyDetailOutput(selectors.party_detail_for(keep), context={"request": request}).data)


class DuplicatesApi(APIView):
    """Existing clients with the same INN, phone or e-mail, or a similar name (X2)."""

    @extend_schema(
        parameters=[OpenApiParameter(n, str) for n in ("inn", "phone", "email", "name")],
        responses=PartyListOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        found = selectors.possible_duplicates(
            api_user(request), inn=params.get("inn", ""), phones=[params.get("phone", "")],
            emails=[params.get("email", "")], name=params.get("name", ""),
        )  # fmt: skip
        return Response(PartyListOutput(found, many=True, context={"request": request}).data)


class ClassifierListApi(generics.ListAPIView[Classifier]):
    serializer_class = ClassifierOutput
    pagination_class = None
    queryset = Classifier.objects.prefetch_related("nodes")


class CustomFieldListApi(generics.ListAPIView[CustomField]):
    serializer_class = CustomFieldOutput
    pagination_class = None
    queryset = CustomField.objects.filter(is_active=True)
