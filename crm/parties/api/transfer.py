"""Import and export of clients over REST: the same services and access rules as the import wizard."""

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.http import api_user
from crm.parties.access import can_export_parties, can_import_parties, parties_visible_to
from crm.parties.fields import field_access
from crm.parties.filters import PartyFilter
from crm.parties.models import Party
from crm.parties.transfer import (
    ImportKind,
    mapping_suggest,
    parties_import_tabular,
    parties_import_vcard,
    parties_vcard_chunks,
    table_sample,
)
from crm.parties.vcard import Version


class RowErrorOutput(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Spreadsheet row number (the header is row 1) or vCard card number.")
    column = serializers.CharField(help_text="Header of the column (or vCard property) holding the wrong value.")
    value = serializers.CharField()
    message = serializers.CharField()


class ImportResultOutput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    total_rows = serializers.IntegerField()
    valid_rows = serializers.IntegerField()
    invalid_rows = serializers.IntegerField()
    created = serializers.IntegerField()
    created_organizations = serializers.IntegerField()
    linked = serializers.IntegerField()
    is_imported = serializers.BooleanField()
    is_dry_run = serializers.BooleanField()
    mapping = serializers.DictField(child=serializers.CharField(), required=False)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # `errors` would shadow Serializer.errors as a class attribute; the schema reads get_fields().
        fields = super().get_fields()
        fields["errors"] = RowErrorOutput(many=True)
        fields["warnings"] = RowErrorOutput(many=True)
        return fields


class PartiesImportApi(APIView):
    """Import clients from a CSV or XLSX file; `dry_run` only validates and returns the report."""

    parser_classes = [MultiPartParser, FormParser]

    class Input(serializers.Serializer[Any]):
        file = serializers.FileField()
        kind = serializers.ChoiceField(choices=ImportKind.choices)
        mapping = serializers.JSONField(
            binary=True,
            required=False,
            help_text='JSON object {"column header": "field"}; omitted: the suggested mapping is used.',
        )
        allow_partial = serializers.BooleanField(default=False)
        dry_run = serializers.BooleanField(default=False)

        def validate_mapping(self, value: Any) -> dict[str, str]:
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise serializers.ValidationError(_("Give an object mapping column headers to field names."))
            return value

    @extend_schema(
        request={"multipart/form-data": Input},
        responses={
            200: ImportResultOutput,
            400: OpenApiResponse(ImportResultOutput, description="Rows with errors: nothing was imported."),
            403: OpenApiResponse(description="The user may not import clients."),
        },
    )
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not can_import_parties(user):
            raise PermissionDenied
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        upload, kind = data.validated_data["file"], data.validated_data["kind"]
        mapping = data.validated_data.get("mapping")
        if mapping is None:
            headers = table_sample(upload, rows=0).headers
            mapping = mapping_suggest(headers=headers, kind=kind, access=field_access(user))
        result = parties_import_tabular(
            actor=user,
            file=upload,
            mapping=mapping,
            kind=kind,
            allow_partial=data.validated_data["allow_partial"],
            dry_run=data.validated_data["dry_run"],
        )
        refused = result.has_errors and not (result.is_dry_run or result.is_imported)
        body = {**result.as_dict(), "mapping": mapping}
        return Response(body, status=status.HTTP_400_BAD_REQUEST if refused else status.HTTP_200_OK)


class PartiesVcardImportApi(APIView):
    """Import people (and their organisations) from a .vcf file of vCard 2.1, 3.0 or 4.0 cards."""

    parser_classes = [MultiPartParser, FormParser]

    class Input(serializers.Serializer[Any]):
        file = serializers.FileField()

    @extend_schema(
        request={"multipart/form-data": Input},
        responses={200: ImportResultOutput, 403: OpenApiResponse(description="The user may not import clients.")},
    )
    def post(self, request: Request) -> Response:
        user = api_user(request)
        if not can_import_parties(user):
            raise PermissionDenied
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        result = parties_import_vcard(actor=user, file=data.validated_data["file"])
        return Response(result.as_dict())


class PartiesVcardExportApi(APIView):
    """The clients the user sees, filtered like the list (q=, kind=, node=, ...), as one .vcf file."""

    @extend_schema(
        parameters=[
            OpenApiParameter("version", str, enum=["3.0", "4.0"], description="vCard version, 3.0 by default."),
            OpenApiParameter("id", int, many=True, description="Only these clients."),
        ],
        responses={
            (200, "text/vcard"): OpenApiTypes.STR,
            403: OpenApiResponse(description="The user may not export clients."),
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        user = api_user(request)
        if not can_export_parties(user):
            raise PermissionDenied
        queryset: QuerySet[Party] = parties_visible_to(user).order_by("name", "pk")
        ids = [int(v) for v in request.query_params.getlist("id") if v.isdigit()]
        if ids:
            queryset = queryset.filter(pk__in=ids)
        parties: QuerySet[Party] = PartyFilter(request.query_params, queryset=queryset).qs
        version: Version = "4.0" if request.query_params.get("version") == "4.0" else "3.0"
        response = StreamingHttpResponse(
            parties_vcard_chunks(parties=parties, access=field_access(user), version=version),
            content_type="text/vcard; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="clients.vcf"'
        return response


# Included under /api/v1/parties/ by crm/parties/api/urls.py.
urlpatterns = [
    path("import/", PartiesImportApi.as_view(), name="parties-import"),
    path("vcard/import/", PartiesVcardImportApi.as_view(), name="parties-vcard-import"),
    path("vcard/export/", PartiesVcardExportApi.as_view(), name="parties-vcard-export"),
]
