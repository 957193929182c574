"""Parsing and field validation for the client pages; saving is the services' job."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import User
from crm.core.forms import StyledFormMixin
from crm.parties.choices import ContactKind, ContactLabel, CustomFieldTarget, CustomFieldType, PartyKind
from crm.parties.fields import FIELD_GROUPS, FieldAccess
from crm.parties.models import Classifier, ClassifierNode, CustomField, Party

ORGANIZATION_FIELDS = [
    "name", "full_name", "legal_form", "inn", "kpp", "ogrn", "industry", "region", "size",
    "bank_name", "bik", "account", "correspondent_account",
    "relationship", "source", "source_detail", "triggering_event", "purchase_probability", "notes",
]  # fmt: skip
PERSON_FIELDS = [
    "last_name", "first_name", "middle_name", "birthday", "inn", "region",
    "relationship", "source", "source_detail", "triggering_event", "purchase_probability", "notes",
]  # fmt: skip


# Typing a name, INN, phone or e-mail asks the server for possible duplicates (X2).
DUPLICATE_CHECK = {
    "hx-get": reverse_lazy("parties:duplicates"),
    "hx-trigger": "change",
    "hx-target": "#duplicates",
    "hx-include": "#party-form",
}


def custom_form_fields(target: str) -> dict[str, forms.Field]:
    """Form fields for the administrator-defined custom fields of one target (X3)."""
    result: dict[str, forms.Field] = {}
    for field in CustomField.objects.filter(target=target, is_active=True):
        common: dict[str, Any] = {"label": field.label, "required": field.is_required}
        if field.field_type == CustomFieldType.NUMBER:
            result[f"custom_{field.key}"] = forms.DecimalField(**common)
        elif field.field_type == CustomFieldType.DATE:
            result[f"custom_{field.key}"] = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        elif field.field_type == CustomFieldType.CHOICE:
            result[f"custom_{field.key}"] = forms.ChoiceField(
                choices=[("", "—"), *((o, o) for o in field.options)], **common
            )
        else:
            result[f"custom_{field.key}"] = forms.CharField(max_length=1000, **common)
    return result


class PartyForm(StyledFormMixin, forms.ModelForm[Party]):
    """The client card's fields for one form (legal entity or individual), custom fields and version."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    co_owners = forms.ModelMultipleChoiceField(
        label=_("Co-owners"), queryset=User.objects.filter(is_active=True), required=False
    )

    class Meta:
        model = Party
        fields = ORGANIZATION_FIELDS + [f for f in PERSON_FIELDS if f not in ORGANIZATION_FIELDS]
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, kind: str, access: FieldAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = ORGANIZATION_FIELDS if kind == PartyKind.ORGANIZATION else PERSON_FIELDS
        for name in list(self.fields):
            # Data hidden from the user is left out: saving keeps the stored values (X4).
            if (name not in keep and name not in ("version", "co_owners")) or not access.sees_field(name):
                del self.fields[name]
        target = CustomFieldTarget.ORGANIZATION if kind == PartyKind.ORGANIZATION else CustomFieldTarget.PERSON
        self.fields.update(custom_form_fields(target))
        for name in ("name", "last_name", "inn"):
            if name in self.fields and not self.instance.pk:
                self.fields[name].widget.attrs.update(DUPLICATE_CHECK)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["co_owners"].initial = list(self.instance.co_owners.all())
            for key, value in self.instance.custom_data.items():
                if f"custom_{key}" in self.fields:
                    self.fields[f"custom_{key}"].initial = value

    def _post_clean(self) -> None:
        # Model validation (requisites checksums) runs in the service, which reports errors by field.
        pass

    def party_data(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in ("version", "co_owners") and not k.startswith("custom_")
        }

    def custom_data(self) -> dict[str, Any]:
        return {
            k.removeprefix("custom_"): (str(v) if v is not None and not isinstance(v, str) else v)
            for k, v in self.cleaned_data.items()
            if k.startswith("custom_")
        }


class QuickContactsForm(StyledFormMixin, forms.Form):
    """The first phone and e-mail typed straight into the new-client form."""

    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.EmailField(label=_("E-mail"), required=False)
    position = forms.CharField(label=_("Position"), required=False, max_length=200)

    def __init__(self, *args: Any, access: FieldAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, kind in (("phone", ContactKind.PHONE), ("email", ContactKind.EMAIL)):
            if access.sees_kind(kind):
                self.fields[name].widget.attrs.update(DUPLICATE_CHECK)
            else:
                del self.fields[name]

    def contact_points(self) -> list[dict[str, str]]:
        points = []
        if self.cleaned_data.get("phone"):
            points.append({"kind": ContactKind.PHONE, "value": self.cleaned_data["phone"], "label": ContactLabel.WORK})
        if self.cleaned_data.get("email"):
            points.append({"kind": ContactKind.EMAIL, "value": self.cleaned_data["email"], "label": ContactLabel.WORK})
        return points


class ContactPointForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ContactKind.choices)
    label = forms.ChoiceField(label=_("Label"), choices=[("", "—"), *ContactLabel.choices], required=False)
    value = forms.CharField(label=_("Value"), max_length=500)
    is_primary = forms.BooleanField(label=_("Main"), required=False)

    def __init__(self, *args: Any, access: FieldAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(value, label) for value, label in ContactKind.choices if access.sees_kind(value)]


class ClassificationForm(StyledFormMixin, forms.Form):
    nodes = forms.ModelMultipleChoiceField(
        label=_("Classifier nodes"), queryset=ClassifierNode.objects.select_related("classifier"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class ReassignForm(StyledFormMixin, forms.Form):
    responsible = forms.ModelChoiceField(label=_("New responsible manager"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["responsible"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(is_active=True).order_by("last_name", "first_name")


class ContactPersonForm(StyledFormMixin, forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    middle_name = forms.CharField(label=_("Middle name"), max_length=150, required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.EmailField(label=_("E-mail"), required=False)

    def __init__(self, *args: Any, access: FieldAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hidden = {"birthday": not access.sees_field("birthday"), "phone": not access.sees_kind(ContactKind.PHONE),
                  "email": not access.sees_kind(ContactKind.EMAIL)}  # fmt: skip
        for name in [name for name, is_hidden in hidden.items() if is_hidden]:
            del self.fields[name]


class ClassifierForm(StyledFormMixin, forms.ModelForm[Classifier]):
    class Meta:
        model = Classifier
        fields = ["name", "description"]


class NodeForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.ModelChoiceField(label=_("Parent"), queryset=ClassifierNode.objects.none(), required=False)

    def __init__(self, *args: Any, nodes: QuerySet[ClassifierNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = nodes


class CustomFieldForm(StyledFormMixin, forms.ModelForm[CustomField]):
    options_text = forms.CharField(
        label=_("Options"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("One per line.")
    )

    class Meta:
        model = CustomField
        fields = ["target", "key", "label", "field_type", "is_required", "position", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["options_text"].initial = "\n".join(self.instance.options)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.instance.options = [line.strip() for line in data.get("options_text", "").splitlines() if line.strip()]
        return data


class FieldAccessForm(forms.Form):
    """Which groups of sensitive client data each role sees: one tick per role and group (X4)."""

    roles = forms.ModelMultipleChoiceField(queryset=Group.objects.all(), widget=forms.MultipleHiddenInput)
    grants = forms.MultipleChoiceField(label=_("Sees"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, roles: Iterable[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["grants"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(f"{role.pk}:{group.code}", group.label) for role in roles for group in FIELD_GROUPS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shown = {str(role.pk) for role in data.get("roles", [])}
        if any(grant.split(":")[0] not in shown for grant in data.get("grants", [])):
            raise forms.ValidationError(_("The roles changed meanwhile: open the page again."))
        return data

    def grants_by_role(self) -> dict[Group, set[str]]:
        chosen = set(self.cleaned_data["grants"])
        return {
            role: {group.code for group in FIELD_GROUPS if f"{role.pk}:{group.code}" in chosen}
            for role in self.cleaned_data["roles"]
        }
