"""Parsing and field validation for documents, templates, contracts and approvals; services do the saving."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import User
from crm.catalog.models import Currency
from crm.core.forms import StyledFormMixin
from crm.documents.choices import ContractStatus, TemplateFormat
from crm.documents.models import CompanyProfile, Document, DocumentTemplate
from crm.parties.models import Party
from crm.sales.choices import DocumentKind
from crm.sales.models import Deal

MAX_APPROVERS = 5


class GenerateForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices, initial=DocumentKind.PROPOSAL)
    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=DocumentTemplate.objects.filter(is_active=True),
        required=False,
        empty_label=_("default for the kind"),
    )


class CompanyProfileForm(StyledFormMixin, forms.ModelForm):  # type: ignore[type-arg]  # django-stubs: ModelForm generic
    class Meta:
        model = CompanyProfile
        fields = [
            "name", "full_name", "inn", "kpp", "ogrn", "legal_address", "postal_address", "phone", "email",
            "bank_name", "bik", "account", "correspondent_account", "director_name", "director_position",
            "director_basis", "accountant_name",
        ]  # fmt: skip


class TemplateCreateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Document kind"), choices=DocumentKind.choices)
    format = forms.ChoiceField(label=_("Format"), choices=TemplateFormat.choices)
    file = forms.FileField(label=_("DOCX file"), required=False)
    html_source = forms.CharField(label=_("HTML source"), widget=forms.Textarea(attrs={"rows": 16}), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("format") == TemplateFormat.DOCX and not data.get("file"):
            self.add_error("file", _("Upload a DOCX file."))
        if data.get("format") == TemplateFormat.HTML and not (data.get("html_source") or "").strip():
            self.add_error("html_source", _("Enter the HTML of the template."))
        return data


class TemplateUpdateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    file = forms.FileField(label=_("Replace the DOCX file"), required=False)
    html_source = forms.CharField(label=_("HTML source"), widget=forms.Textarea(attrs={"rows": 24}), required=False)


class ContractForm(StyledFormMixin, forms.Form):
    number = forms.CharField(label=_("Number"), max_length=60)
    party = forms.ModelChoiceField(label=_("Client"), queryset=Party.objects.none())
    signed_on = forms.DateField(label=_("Date signed"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    starts_on = forms.DateField(label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=0, initial=0)
    currency = forms.ModelChoiceField(label=_("Currency"), queryset=Currency.objects.all())
    status = forms.ChoiceField(label=_("Status"), choices=ContractStatus.choices, initial=ContractStatus.DRAFT)
    reminder_days = forms.IntegerField(label=_("Remind before expiry, days"), min_value=0, max_value=3650, initial=30)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, parties: QuerySet[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        party_field = self.fields["party"]
        assert isinstance(party_field, forms.ModelChoiceField)
        party_field.queryset = parties


class LinkDealForm(StyledFormMixin, forms.Form):
    deal = forms.ModelChoiceField(label=_("Deal"), queryset=Deal.objects.none())

    def __init__(self, *args: Any, deals: QuerySet[Deal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["deal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = deals


class LinkDocumentForm(StyledFormMixin, forms.Form):
    document = forms.ModelChoiceField(label=_("Document"), queryset=Document.objects.none())

    def __init__(self, *args: Any, documents: QuerySet[Document], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["document"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = documents


class ApprovalForm(StyledFormMixin, forms.Form):
    """Up to five approvers in the order they are asked; blank places are skipped."""

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for place in range(1, MAX_APPROVERS + 1):
            self.fields[f"approver_{place}"] = forms.ModelChoiceField(
                label=_("Approver %(place)s") % {"place": place}, queryset=users, required=place == 1
            )

    def approvers(self) -> list[User]:
        return [u for p in range(1, MAX_APPROVERS + 1) if (u := self.cleaned_data.get(f"approver_{p}")) is not None]


class DecisionForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
