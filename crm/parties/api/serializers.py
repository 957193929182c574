"""API shapes of clients; parsing only, the services save.

Data hidden from the reader (crm/parties/fields.py, X4) is returned as null and named in the object's
`hidden_fields`, so a client tells "hidden" from "empty". The reader comes from the serializer's
context (`request`); without one everything sensitive is hidden.
"""

from typing import Any

from rest_framework import serializers

from crm.parties.choices import ContactKind, ContactLabel, PartyKind
from crm.parties.fields import SENSITIVE_FIELDS, FieldAccess, field_access
from crm.parties.models import Classifier, ClassifierNode, ContactPoint, CustomField, Party, PartyContact
from crm.parties.services import EDITABLE_FIELDS


def reader_access(serializer: serializers.BaseSerializer[Any]) -> FieldAccess:
    """What the request's user sees, worked out once per response (nested and listed serializers share it)."""
    context = serializer.context
    if "field_access" not in context:
        request = context.get("request")
        context["field_access"] = field_access(getattr(request, "user", None))
    access: FieldAccess = context["field_access"]
    return access


class ContactPointOutput(serializers.ModelSerializer[ContactPoint]):
    hidden_fields = serializers.SerializerMethodField(help_text="Fields returned as null because they are hidden.")

    class Meta:
        model = ContactPoint
        fields = ["id", "kind", "label", "value", "is_primary", "confirmed_at", "hidden_fields"]
        extra_kwargs = {"value": {"allow_null": True}}

    def get_hidden_fields(self, point: ContactPoint) -> list[str]:
        return [] if reader_access(self).sees_kind(point.kind) else ["value"]

    def to_representation(self, instance: ContactPoint) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if data["hidden_fields"]:
            data["value"] = None
        return data


class ContactPointInput(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    value = serializers.CharField(max_length=500)
    label = serializers.ChoiceField(choices=ContactLabel.choices, required=False, default="")  # type: ignore[assignment]
    is_primary = serializers.BooleanField(required=False, default=False)


class NodeOutput(serializers.ModelSerializer[ClassifierNode]):
    class Meta:
        model = ClassifierNode
        fields = ["id", "classifier", "parent", "name", "depth"]


class EmployerOutput(serializers.ModelSerializer[PartyContact]):
    organization_name = serializers.CharField(source="organization.name")

    class Meta:
        model = PartyContact
        fields = ["organization", "organization_name", "position"]


_DATETIME = serializers.DateTimeField()  # renders like the model's DateTimeField in a ModelSerializer


class PartyListOutput(serializers.ModelSerializer[Party]):
    responsible_name = serializers.CharField(source="responsible.__str__", read_only=True)
    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    hidden_fields = serializers.SerializerMethodField(help_text="Fields returned as null because they are hidden.")

    class Meta:
        model = Party
        fields = ["id", "kind", "name", "inn", "region", "relationship", "responsible", "responsible_name",
                  "phone", "email", "updated_at", "hidden_fields"]  # fmt: skip

    def get_phone(self, party: Party) -> str | None:
        point = getattr(party, "main_phone", None)
        return point.value if point and reader_access(self).sees_kind(ContactKind.PHONE) else None

    def get_email(self, party: Party) -> str | None:
        point = getattr(party, "main_email", None)
        return point.value if point and reader_access(self).sees_kind(ContactKind.EMAIL) else None

    def get_hidden_fields(self, party: Party) -> list[str]:
        access = reader_access(self)
        return [name for name, kind in (("phone", ContactKind.PHONE), ("email", ContactKind.EMAIL))
                if not access.sees_kind(kind)]  # fmt: skip

    def to_representation(self, instance: Party) -> dict[str, Any]:
        """What the fields above give, written out: search and lists render this for every row they show.

        A test compares it with DRF's field-by-field rendering, so a field added to Meta fails it.
        """
        access = reader_access(self)
        phone, email = getattr(instance, "main_phone", None), getattr(instance, "main_email", None)
        sees_phone, sees_email = access.sees_kind(ContactKind.PHONE), access.sees_kind(ContactKind.EMAIL)
        return {
            "id": instance.pk,
            "kind": instance.kind,
            "name": instance.name,
            "inn": instance.inn,
            "region": instance.region,
            "relationship": instance.relationship,
            "responsible": instance.responsible_id,
            "responsible_name": str(instance.responsible),
            "phone": phone.value if phone and sees_phone else None,
            "email": email.value if email and sees_email else None,
            "updated_at": _DATETIME.to_representation(instance.updated_at),
            "hidden_fields": [name for name, sees in (("phone", sees_phone), ("email", sees_email)) if not sees],
        }


class PartyDetailOutput(serializers.ModelSerializer[Party]):
    contact_points = ContactPointOutput(many=True, source="points")
    nodes = NodeOutput(many=True)
    employers = EmployerOutput(many=True)
    co_owners = serializers.SerializerMethodField()
    hidden_fields = serializers.SerializerMethodField(help_text="Fields returned as null because they are hidden.")

    class Meta:
        model = Party
        fields = ["id", *EDITABLE_FIELDS, "responsible", "co_owners", "custom_data", "version", "created_at",
                  "updated_at", "contact_points", "nodes", "employers", "hidden_fields"]  # fmt: skip
        extra_kwargs = {name: {"allow_null": True} for name in SENSITIVE_FIELDS}

    def get_co_owners(self, party: Party) -> list[int]:
        return [u.pk for u in getattr(party, "co_owner_list", [])]

    def get_hidden_fields(self, party: Party) -> list[str]:
        return list(reader_access(self).hidden_fields)

    def to_representation(self, instance: Party) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        for name in data["hidden_fields"]:
            data[name] = None
        return data


class PartyInput(serializers.Serializer[dict[str, Any]]):
    """Fields of a client; model validation (checksums) runs in the service with the pages' messages."""

    kind = serializers.ChoiceField(choices=PartyKind.choices, required=False)
    name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    full_name = serializers.CharField(max_length=500, required=False, allow_blank=True)
    legal_form = serializers.CharField(max_length=16, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    middle_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    birthday = serializers.DateField(required=False, allow_null=True)
    inn = serializers.CharField(max_length=14, required=False, allow_blank=True)
    kpp = serializers.CharField(max_length=11, required=False, allow_blank=True)
    ogrn = serializers.CharField(max_length=17, required=False, allow_blank=True)
    bank_name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    bik = serializers.CharField(max_length=11, required=False, allow_blank=True)
    account = serializers.CharField(max_length=24, required=False, allow_blank=True)
    correspondent_account = serializers.CharField(max_length=24, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=200, required=False, allow_blank=True)
    region = serializers.CharField(max_length=200, required=False, allow_blank=True)
    size = serializers.CharField(max_length=16, required=False, allow_blank=True)
    relationship = serializers.CharField(max_length=16, required=False)
    source = serializers.CharField(max_length=16, required=False, allow_blank=True)  # type: ignore[assignment]
    source_detail = serializers.CharField(max_length=300, required=False, allow_blank=True)
    triggering_event = serializers.CharField(max_length=300, required=False, allow_blank=True)
    purchase_probability = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    custom_data = serializers.DictField(required=False)
    contact_points = ContactPointInput(many=True, required=False)
    responsible = serializers.IntegerField(required=False)
    version = serializers.IntegerField(required=False)


class ClassifierOutput(serializers.ModelSerializer[Classifier]):
    nodes = NodeOutput(many=True)

    class Meta:
        model = Classifier
        fields = ["id", "name", "description", "nodes"]


class CustomFieldOutput(serializers.ModelSerializer[CustomField]):
    class Meta:
        model = CustomField
        fields = ["id", "target", "key", "label", "field_type", "options", "is_required", "is_active"]
