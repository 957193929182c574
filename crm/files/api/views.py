"""Attachments of clients, deals and interactions, and the sales materials library over REST."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.http import api_user
from crm.activities.access import get_interaction_for
from crm.core.api import KeysetPagination
from crm.files import selectors, services
from crm.files.access import Record, attachable_materials, can_attach_to, get_attachment_for, get_material_for
from crm.files.api.serializers import AttachmentOutput, FromLibraryInput, MaterialOutput, UploadInput
from crm.files.downloads import stream_file
from crm.files.models import Attachment, SalesMaterial
from crm.parties.access import get_party_for
from crm.sales.access import get_deal_for


class AttachmentPagination(KeysetPagination):
    ordering = ("-uploaded_at", "-pk")


class _RecordAttachmentsApi(generics.ListAPIView[Attachment]):
    """Live files of one record the user sees (newest first); POST a multipart `file` to attach one."""

    serializer_class = AttachmentOutput
    pagination_class = AttachmentPagination

    def get_record(self) -> Record:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Attachment]:
        return selectors.attachments_of(self.get_record())

    @extend_schema(request={"multipart/form-data": UploadInput}, responses={201: AttachmentOutput})
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        record = self.get_record()
        if not can_attach_to(user, record):
            raise PermissionDenied
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.attachment_upload(actor=user, record=record, upload=data.validated_data["file"])
        return Response(AttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)


class PartyAttachmentListApi(_RecordAttachmentsApi):
    def get_record(self) -> Record:
        return get_party_for(api_user(self.request), self.kwargs["pk"])


class DealAttachmentListApi(_RecordAttachmentsApi):
    def get_record(self) -> Record:
        return get_deal_for(api_user(self.request), self.kwargs["pk"])


class InteractionAttachmentListApi(_RecordAttachmentsApi):
    def get_record(self) -> Record:
        return get_interaction_for(api_user(self.request), self.kwargs["pk"])


class _FromLibraryApi(APIView):
    """Attach library materials (by id) to the record; each attachment shares the material's stored file."""

    def get_record(self, request: Request, pk: int) -> Record:
        raise NotImplementedError

    @extend_schema(request=FromLibraryInput, responses={201: AttachmentOutput(many=True)})
    def post(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        record = self.get_record(request, pk)
        if not can_attach_to(user, record):
            raise PermissionDenied
        data = FromLibraryInput(data=request.data)
        data.is_valid(raise_exception=True)
        wanted: list[int] = data.validated_data["materials"]
        found = {m.pk: m for m in attachable_materials(user).filter(pk__in=wanted)}
        missing = [pk for pk in wanted if pk not in found]
        if missing:
            raise serializers.ValidationError(
                {"materials": [_("Not in the library: %(ids)s.") % {"ids": ", ".join(map(str, missing))}]}
            )
        attachments = services.attachments_from_library(
            actor=user, record=record, materials=[found[pk] for pk in dict.fromkeys(wanted)]
        )
        return Response(AttachmentOutput(attachments, many=True).data, status=status.HTTP_201_CREATED)


class PartyAttachFromLibraryApi(_FromLibraryApi):
    def get_record(self, request: Request, pk: int) -> Record:
        return get_party_for(api_user(request), pk)


class DealAttachFromLibraryApi(_FromLibraryApi):
    def get_record(self, request: Request, pk: int) -> Record:
        return get_deal_for(api_user(request), pk)


class AttachmentDetailApi(APIView):
    """One attachment's metadata; DELETE moves it to the trash (those who may only look get 403)."""

    @extend_schema(responses=AttachmentOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(AttachmentOutput(get_attachment_for(api_user(request), pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        services.attachment_delete(actor=user, attachment=get_attachment_for(user, pk, action="change"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentDownloadApi(APIView):
    """The file's bytes, streamed, with its original name in Content-Disposition."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> FileResponse:
        return stream_file(get_attachment_for(api_user(request), pk))


class MaterialPagination(KeysetPagination):
    ordering = ("category", "title", "pk")


class MaterialListApi(generics.ListAPIView[SalesMaterial]):
    """The sales materials library (`q` searches title and description, `category` narrows)."""

    serializer_class = MaterialOutput
    pagination_class = MaterialPagination

    @extend_schema(parameters=[OpenApiParameter("q", str), OpenApiParameter("category", str)])
    def get(self, request: Request) -> Response:
        return super().get(request)

    def get_queryset(self) -> QuerySet[SalesMaterial]:
        params = self.request.query_params
        return selectors.material_list_for(
            api_user(self.request), query=params.get("q", ""), category=params.get("category", "")
        )


class MaterialDownloadApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> FileResponse:
        return stream_file(get_material_for(api_user(request), pk))
