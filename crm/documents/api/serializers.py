"""API input and output shapes of documents, their approval routes and contracts."""

from rest_framework import serializers

from crm.accounts.models import User
from crm.documents.choices import ContractStatus, Decision
from crm.documents.forms import MAX_APPROVERS
from crm.documents.models import ApprovalRoute, ApprovalStep, Contract, Document
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


def _user_name(user: User) -> str:
    return user.get_full_name() or user.username


class ApprovalStepOutput(serializers.ModelSerializer[ApprovalStep]):
    """One approver's turn: who, in which place, what they decided and why."""

    approver_name = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalStep
        fields = ["id", "order", "approver", "approver_name", "decision", "comment", "asked_at", "decided_at"]

    def get_approver_name(self, step: ApprovalStep) -> str:
        return _user_name(step.approver)


class ApprovalRouteOutput(serializers.ModelSerializer[ApprovalRoute]):
    created_by = serializers.IntegerField(source="created_by_id")
    steps = ApprovalStepOutput(many=True)

    class Meta:
        model = ApprovalRoute
        fields = ["id", "document", "status", "created_by", "created_at", "finished_at", "steps"]


class DocumentDetailOutput(DocumentOutput):
    """A document with its approval routes, newest first (the first one is the current or the last)."""

    routes = ApprovalRouteOutput(many=True, read_only=True)

    class Meta(DocumentOutput.Meta):
        fields = [*DocumentOutput.Meta.fields, "routes"]


class ApprovalInboxOutput(serializers.ModelSerializer[ApprovalStep]):
    """A step waiting for the signed-in user's decision, with the document it is about."""

    document = serializers.IntegerField(source="route.document_id")
    number = serializers.CharField(source="route.document.number")
    kind = serializers.CharField(source="route.document.kind")
    party = serializers.IntegerField(source="route.document.party_id")
    party_name = serializers.CharField(source="route.document.party.name")
    sent_by = serializers.IntegerField(source="route.created_by_id")
    sent_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalStep
        fields = ["id", "order", "document", "number", "kind", "party", "party_name", "sent_by", "sent_by_name",
                  "asked_at"]  # fmt: skip

    def get_sent_by_name(self, step: ApprovalStep) -> str:
        return _user_name(step.route.created_by)


class ApprovalStartInput(serializers.Serializer[None]):
    approvers = serializers.ListField(child=serializers.IntegerField(), max_length=MAX_APPROVERS)


class ApprovalDecideInput(serializers.Serializer[None]):
    decision = serializers.ChoiceField(choices=[Decision.APPROVED, Decision.REJECTED])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


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
