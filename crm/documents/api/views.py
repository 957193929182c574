"""Documents and contracts over REST: list, detail, generate, download, approval routes; contracts list, create,
detail, change."""

from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.http import api_user
from crm.catalog.models import Currency
from crm.core.api import CappedKeysetPagination
from crm.documents import selectors, services
from crm.documents.access import (
    can_create_contract,
    ensure_document_content_visible,
    get_contract_for,
    get_document_for,
    get_pending_step_for,
)
from crm.documents.api.serializers import (
    ApprovalDecideInput,
    ApprovalInboxOutput,
    ApprovalRouteOutput,
    ApprovalStartInput,
    ApprovalStepOutput,
    ContractInput,
    ContractOutput,
    ContractPatchInput,
    DocumentDetailOutput,
    DocumentGenerateInput,
    DocumentOutput,
)
from crm.documents.choices import Decision, OutputFormat
from crm.documents.filters import ContractFilter
from crm.documents.models import ApprovalStep, Contract, Document
from crm.parties.access import get_party_for
from crm.sales.access import deals_visible_to, get_deal_for
from crm.sales.models import Deal


class DocumentPagination(CappedKeysetPagination):
    ordering = ("-created_at", "-pk")


class DocumentListApi(generics.ListAPIView[Document]):
    """Documents the user may see (?deal= or ?party= to narrow), newest first."""

    serializer_class = DocumentOutput
    pagination_class = DocumentPagination

    def get_queryset(self) -> QuerySet[Document]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no signed-in user
            return Document.objects.none()
        queryset = selectors.document_list_for(api_user(self.request))
        for name in ("deal", "party"):
            value = self.request.query_params.get(name, "")
            if value.isdigit():
                queryset = queryset.filter(**{f"{name}_id": int(value)})
        return queryset


class DocumentDetailApi(APIView):
    """One document with the state of its approval routes."""

    @extend_schema(responses={200: DocumentDetailOutput})
    def get(self, request: Request, pk: int) -> Response:
        document = selectors.document_with_routes(get_document_for(api_user(request), pk))
        return Response(DocumentDetailOutput(document).data)


class DocumentGenerateApi(APIView):
    """Number and render a document of a kind for a deal the user may change."""

    @extend_schema(request=DocumentGenerateInput, responses={201: DocumentOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        data = DocumentGenerateInput(data=request.data)
        data.is_valid(raise_exception=True)
        deal = get_deal_for(user, data.validated_data["deal"], action="change")
        ensure_document_content_visible(user)
        template = None
        if template_id := data.validated_data.get("template"):
            template = selectors.template_by_pk(template_id)
            if template is None:
                raise serializers.ValidationError({"template": [_("Unknown template.")]})
        document = services.document_generate(
            actor=user, deal=deal, kind=data.validated_data["kind"], template=template
        )
        return Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)


class DocumentDownloadApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, pk: int, fmt: str) -> FileResponse:
        document = get_document_for(api_user(request), pk)
        ensure_document_content_visible(api_user(request))
        stored = (
            document.docx_file if fmt == OutputFormat.DOCX else document.pdf_file if fmt == OutputFormat.PDF else None
        )
        if not stored:
            raise Http404
        return FileResponse(
            default_storage.open(stored.name, "rb"), as_attachment=True, filename=f"{document.number}.{fmt}"
        )


class ContractPagination(CappedKeysetPagination):
    ordering = ("-created_at", "-pk")


def _contract_values(user: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Resolve ids to rows the user may use: a visible client, a known currency, visible deals."""
    if "party" in values:
        values["party"] = get_party_for(user, values["party"])
    if "currency" in values:
        currency = Currency.objects.filter(pk=values["currency"]).first()
        if currency is None:
            raise serializers.ValidationError({"currency": [_("Unknown currency.")]})
        values["currency"] = currency
    if "deals" in values:
        ids = values["deals"]
        deals: list[Deal] = list(deals_visible_to(user).filter(pk__in=ids))
        if len(deals) != len(set(ids)):
            raise serializers.ValidationError({"deals": [_("Unknown deal.")]})
        values["deals"] = deals
    return values


class ContractListApi(generics.ListAPIView[Contract]):
    """Contracts the user may see, filtered like the page (?status=, ?expiring_within=, ?owner=); POST adds one."""

    serializer_class = ContractOutput
    pagination_class = ContractPagination
    filterset_class = ContractFilter

    def get_queryset(self) -> QuerySet[Contract]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no signed-in user
            return Contract.objects.none()
        return selectors.contract_list_for(api_user(self.request)).prefetch_related("deals")

    @extend_schema(request=ContractInput, responses={201: ContractOutput})
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not can_create_contract(user):
            raise PermissionDenied
        data = ContractInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = _contract_values(user, {"currency": "RUB", **data.validated_data})
        contract = services.contract_create(actor=user, **values)
        return Response(ContractOutput(contract).data, status=status.HTTP_201_CREATED)


class ContractDetailApi(APIView):
    @extend_schema(responses={200: ContractOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ContractOutput(get_contract_for(api_user(request), pk)).data)

    @extend_schema(request=ContractPatchInput, responses={200: ContractOutput})
    def patch(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        contract = get_contract_for(user, pk, action="change")
        data = ContractPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = _contract_values(user, dict(data.validated_data))
        contract = services.contract_update(actor=user, contract=contract, **values)
        return Response(ContractOutput(contract).data)


# Approval routes


class DocumentSendForApprovalApi(APIView):
    """Send the document to approvers (user ids, in the order they are asked); as on the document's page."""

    @extend_schema(request=ApprovalStartInput, responses={201: ApprovalRouteOutput})
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        document = get_document_for(user, pk, action="change")
        data = ApprovalStartInput(data=request.data)
        data.is_valid(raise_exception=True)
        ids: list[int] = data.validated_data["approvers"]
        # The page offers active users only; anyone else is unknown here too.
        known = {u.pk: u for u in selectors.approver_choices().filter(pk__in=ids)}
        if any(pk not in known for pk in ids):
            raise serializers.ValidationError({"approvers": [_("Unknown user.")]})
        route = services.approval_route_start(actor=user, document=document, approvers=[known[pk] for pk in ids])
        return Response(ApprovalRouteOutput(route).data, status=status.HTTP_201_CREATED)


class ApprovalPagination(CappedKeysetPagination):
    ordering = ("asked_at", "pk")


class ApprovalListApi(generics.ListAPIView[ApprovalStep]):
    """The approval steps waiting for the signed-in user's decision, longest waiting first."""

    serializer_class = ApprovalInboxOutput
    pagination_class = ApprovalPagination

    def get_queryset(self) -> QuerySet[ApprovalStep]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no signed-in user
            return ApprovalStep.objects.none()
        return selectors.approval_inbox(api_user(self.request))


class ApprovalStepDecideApi(APIView):
    """The current approver approves or rejects (a rejection says why); any other step looks missing (404)."""

    @extend_schema(request=ApprovalDecideInput, responses={200: ApprovalStepOutput})
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        step = get_pending_step_for(user, pk)
        data = ApprovalDecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        step = services.approval_decide(
            actor=user,
            step=step,
            approve=data.validated_data["decision"] == Decision.APPROVED,
            comment=data.validated_data["comment"],
        )
        return Response(ApprovalStepOutput(step).data)
