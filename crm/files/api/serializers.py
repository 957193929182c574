from typing import Any

from django.urls import reverse
from rest_framework import serializers

from crm.files.models import Attachment, SalesMaterial


class AttachmentOutput(serializers.ModelSerializer[Attachment]):
    uploaded_by_name = serializers.CharField(source="uploaded_by.__str__")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "party", "deal", "interaction", "original_name", "size", "content_type", "sha256",
                  "material", "uploaded_by", "uploaded_by_name", "uploaded_at", "download_url"]  # fmt: skip

    def get_download_url(self, obj: Attachment) -> str:
        return reverse("api:attachment-download", args=[obj.pk])


class MaterialOutput(serializers.ModelSerializer[SalesMaterial]):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = SalesMaterial
        fields = ["id", "title", "category", "description", "language", "is_active", "original_name", "size",
                  "content_type", "sha256", "updated_at", "download_url"]  # fmt: skip

    def get_download_url(self, obj: SalesMaterial) -> str:
        return reverse("api:sales-material-download", args=[obj.pk])


class UploadInput(serializers.Serializer[dict[str, Any]]):
    file = serializers.FileField(allow_empty_file=True)


class FromLibraryInput(serializers.Serializer[dict[str, Any]]):
    materials = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=50)
