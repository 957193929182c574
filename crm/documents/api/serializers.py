"""API input and output shapes of documents and contracts."""

from rest_framework import serializers

from crm.documents.choices import ContractStatus
from crm.documents.models import Contract, Document
from crm.sales.choices import DocumentKind
from crm.sales.models import Deal


class DocumentOutput(serializers.ModelSerializer[Document]):
    created_by = serializers.CharField(source="created_by.username")
    has_docx = serializers.SerializerMethodField()
    has_pdf = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "number", "kind", "year", "deal", "party", "contract", "amount", "currency",
                  "created_by", "created_at", "has_docx", "has_pdf"]  # fmt: skip

    def get_has_docx(self, document: Document) -> bool:
        return bool(document.docx_file)

    def get_has_pdf(self, document: Document) -> bool:
        return bool(document.pdf_file)


class DocumentGenerateInput(serializers.Serializer[None]):
    deal = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    template = serializers.IntegerField(required=False, allow_null=True)


class ContractOutput(serializers.ModelSerializer[Contract]):
    owner = serializers.CharField(source="owner.username")
    deals = serializers.PrimaryKeyRelatedField[Deal](many=True, read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "number", "party", "owner", "signed_on", "starts_on", "ends_on", "amount", "currency",
                  "status", "reminder_days", "notes", "deals", "created_at", "updated_at"]  # fmt: skip


class ContractInput(serializers.Serializer[None]):
    number = serializers.CharField(max_length=60)
    party = serializers.IntegerField()
    signed_on = serializers.DateField(required=False, allow_null=True)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    status = serializers.ChoiceField(choices=ContractStatus.choices, required=False)
    reminder_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    deals = serializers.ListField(child=serializers.IntegerField(), required=False)


class ContractPatchInput(ContractInput):
    number = serializers.CharField(max_length=60, required=False)
    party = serializers.IntegerField(required=False)
