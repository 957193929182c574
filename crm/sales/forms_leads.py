"""Forms of the lead pages: intake, the public web form, assignment, qualification, rejection, rules."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import User
from crm.catalog.models import Currency
from crm.core.forms import StyledFormMixin
from crm.parties.choices import PartyKind
from crm.parties.models import Party
from crm.sales.choices import LeadChannel, LeadRuleKind
from crm.sales.leads.access import lead_owner_candidates
from crm.sales.models import Lead, Pipeline, Stage


class LeadForm(StyledFormMixin, forms.Form):
    """A request taken by phone or from a letter; the service normalises and checks phone, e-mail and INN."""

    title = forms.CharField(label=_("Request"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=300, required=False)
    company_name = forms.CharField(label=_("Company"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    inn = forms.CharField(label=_("INN"), max_length=14, required=False)
    region = forms.CharField(label=_("Region"), max_length=200, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=200, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=LeadChannel.choices, initial=LeadChannel.CALL)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    take = forms.BooleanField(
        label=_("I will handle it myself"),
        required=False,
        help_text=_("Otherwise the distribution rules choose a manager."),
    )

    def __init__(self, *args: Any, can_take: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_take:
            del self.fields["take"]

    def lead_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "take"}


class WebForm(forms.Form):
    """What a company site posts: English field names a site developer can guess; `website` is a honeypot."""

    name = forms.CharField(max_length=300, required=False)
    company = forms.CharField(max_length=300, required=False)
    phone = forms.CharField(max_length=32, required=False)
    email = forms.CharField(max_length=254, required=False)
    inn = forms.CharField(max_length=14, required=False)
    region = forms.CharField(max_length=200, required=False)
    industry = forms.CharField(max_length=200, required=False)
    subject = forms.CharField(max_length=300, required=False)
    message = forms.CharField(max_length=5000, required=False)
    # Hidden from people by the site's CSS; bots fill every field they find.
    website = forms.CharField(max_length=500, required=False)

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    def lead_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["subject"], "contact_name": data["name"], "company_name": data["company"],
            "phone": data["phone"], "email": data["email"], "inn": data["inn"], "region": data["region"],
            "industry": data["industry"], "message": data["message"], "channel": LeadChannel.FORM,
        }  # fmt: skip


class AssignForm(StyledFormMixin, forms.Form):
    owner = forms.ModelChoiceField(label=_("Manager"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = lead_owner_candidates()  # type: ignore[attr-defined]


class RejectForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        max_length=300,
        error_messages={"required": _("Say why the lead is rejected.")},
    )


class QualifyForm(StyledFormMixin, forms.Form):
    """Which client (one of the found ones or a new one from the lead) and which pipeline the deal goes to."""

    party = forms.ChoiceField(label=_("Client"), required=False, widget=forms.RadioSelect)
    party_kind = forms.ChoiceField(label=_("A new client is"), choices=PartyKind.choices)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True))
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.select_related("pipeline").filter(pipeline__is_active=True),
        required=False,
        help_text=_("Empty: the pipeline's first stage."),
    )
    deal_title = forms.CharField(label=_("Deal title"), max_length=300, required=False)
    currency = forms.ModelChoiceField(label=_("Currency"), queryset=Currency.objects.all())

    def __init__(self, *args: Any, lead: Lead, candidates: list[Party], **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "party_kind": PartyKind.ORGANIZATION if lead.company_name or len(lead.inn) == 10 else PartyKind.PERSON,
                "deal_title": lead.title,
                "currency": Currency.objects.filter(is_base=True).first(),
                "pipeline": Pipeline.objects.filter(is_active=True).first(),
                "party": "",
            },
        )
        super().__init__(*args, **kwargs)
        self.candidates = {str(p.pk): p for p in candidates}
        choices: list[tuple[str, Any]] = [("", _("A new client from the lead's data"))]
        choices += [(key, str(p)) for key, p in self.candidates.items()]
        self.fields["party"].choices = choices  # type: ignore[attr-defined]

    def chosen_party(self) -> Party | None:
        return self.candidates.get(self.cleaned_data.get("party") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stage, pipeline = data.get("stage"), data.get("pipeline")
        if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("This stage belongs to another pipeline."))
        return data


class LeadRuleForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Rule"), choices=LeadRuleKind.choices)
    match_values = forms.CharField(
        label=_("Matching values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For territory and industry: the regions or industries, one per line; case does not matter."),
    )
    managers = forms.ModelMultipleChoiceField(
        label=_("Managers"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidates: QuerySet[User] = lead_owner_candidates()
        self.fields["managers"].queryset = candidates  # type: ignore[attr-defined]

    def rule_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "managers"}
