"""Parsing of the deal, line, stage-move and pipeline settings forms; the services save."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.catalog.models import Currency, Product
from crm.core.forms import StyledFormMixin
from crm.parties.models import ClassifierNode, Party
from crm.parties.selectors import contact_person_candidates
from crm.sales.choices import DealSource, DocumentKind, RequiredField, RequirementKind
from crm.sales.models import Deal, Pipeline, Stage
from crm.sales.selectors import competitor_candidates, lost_reason_nodes

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PartyPickerSelect(forms.Select):
    """A select holding only the chosen client: the rest come from the search box (a million would not fit)."""


class DealForm(StyledFormMixin, forms.Form):
    """A deal's own fields; an empty amount or probability means "from the lines" / "the stage's default"."""

    title = forms.CharField(label=_("Title"), max_length=300)
    party = forms.ModelChoiceField(label=_("Client"), queryset=Party.objects.none(), widget=PartyPickerSelect)
    contact = forms.ModelChoiceField(label=_("Contact person"), queryset=Party.objects.none(), required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True), empty_label=None
    )
    currency = forms.ModelChoiceField(label=_("Currency"), queryset=Currency.objects.all(), empty_label=None)
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        help_text=_("Leave empty to sum the line items."),
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    expected_close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DATE_WIDGET)
    probability = forms.IntegerField(
        label=_("Probability, %"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Leave empty for the stage's default."),
    )
    source = forms.ChoiceField(label=_("Source"), choices=[("", "—"), *DealSource.choices], required=False)
    source_detail = forms.CharField(label=_("Source details"), max_length=300, required=False)
    competitors = forms.ModelMultipleChoiceField(label=_("Competitors"), queryset=Party.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, visible_parties: Any, party: Party | None = None, deal: Deal | None = None, **kwargs: Any
    ) -> None:
        if deal is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": deal.title, "party": deal.party_id, "contact": deal.contact_id,
                    "pipeline": deal.pipeline_id, "currency": deal.currency_id,
                    "amount": deal.amount if deal.amount_is_manual else None,
                    "expected_close_date": deal.expected_close_date,
                    "probability": deal.probability if deal.probability_is_manual else None,
                    "source": deal.source, "source_detail": deal.source_detail, "description": deal.description,
                    "competitors": [p.pk for p in deal.competitors.all()], "version": deal.version,
                },
            )  # fmt: skip
        super().__init__(*args, **kwargs)
        party_field = self.fields["party"]
        assert isinstance(party_field, forms.ModelChoiceField)
        party_field.queryset = visible_parties
        chosen = deal.party if deal is not None else party
        if chosen is None and self.data.get("party", "").isdigit():
            chosen = visible_parties.filter(pk=self.data["party"]).first()
        if chosen is not None:
            self.initial.setdefault("party", chosen.pk)
        party_field.widget.choices = [("", "—")] + ([(chosen.pk, str(chosen))] if chosen else [])
        contact_field = self.fields["contact"]
        assert isinstance(contact_field, forms.ModelChoiceField)
        contact_field.queryset = contact_person_candidates(chosen) if chosen else Party.objects.none()
        competitors = self.fields["competitors"]
        assert isinstance(competitors, forms.ModelMultipleChoiceField)
        competitors.queryset = competitor_candidates()
        if deal is not None:
            # The pipeline changes by moving stages, not here.
            del self.fields["pipeline"]
            self.fields["party"].disabled = True

    def deal_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            "title": data["title"], "contact": data["contact"], "currency": data["currency"],
            "expected_close_date": data["expected_close_date"], "source": data["source"],
            "source_detail": data["source_detail"], "description": data["description"],
            "amount_is_manual": data["amount"] is not None, "probability_is_manual": data["probability"] is not None,
        }  # fmt: skip
        if data["amount"] is not None:
            fields["amount"] = data["amount"]
        if data["probability"] is not None:
            fields["probability"] = data["probability"]
        return fields


class MoveStageForm(StyledFormMixin, forms.Form):
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none(), empty_label=None)
    lost_reason = forms.ModelChoiceField(label=_("Lost reason"), queryset=ClassifierNode.objects.none(), required=False)

    def __init__(self, *args: Any, deal: Deal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stage = self.fields["stage"]
        assert isinstance(stage, forms.ModelChoiceField)
        stage.queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position", "pk")
        reason = self.fields["lost_reason"]
        assert isinstance(reason, forms.ModelChoiceField)
        reason.queryset = lost_reason_nodes()


class LineForm(StyledFormMixin, forms.Form):
    """A line: the price comes from the client's price list unless typed."""

    product = forms.ModelChoiceField(
        label=_("Product or service"), queryset=Product.objects.filter(is_active=True, is_deleted=False)
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=14, decimal_places=3, min_value=Decimal("0.001"), initial=1
    )
    discount_percent = forms.DecimalField(
        label=_("Discount, %"), max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"),
        initial=0, required=False,
    )  # fmt: skip
    list_price = forms.DecimalField(
        label=_("Price"),
        required=False,
        help_text=_("Leave empty to take it from the price list."),
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)


class LineEditForm(LineForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["product"]

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("discount_percent") is None:
            data["discount_percent"] = Decimal("0")
        return {k: v for k, v in data.items() if v is not None}


class PipelineForm(StyledFormMixin, forms.ModelForm[Pipeline]):
    class Meta:
        model = Pipeline
        fields = ["name", "position", "is_active"]


class StageForm(StyledFormMixin, forms.ModelForm[Stage]):
    class Meta:
        model = Stage
        fields = ["name", "kind", "probability", "performer_role", "performer"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        performer = self.fields["performer"]
        assert isinstance(performer, forms.ModelChoiceField)
        performer.queryset = User.objects.filter(is_active=True)


class RequirementForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Required"), choices=RequirementKind.choices)
    interaction_type = forms.ModelChoiceField(
        label=_("Interaction type"), queryset=InteractionType.objects.filter(is_active=True), required=False
    )
    document_kind = forms.ChoiceField(
        label=_("Document kind"), choices=[("", "—"), *DocumentKind.choices], required=False
    )
    field = forms.ChoiceField(label=_("Field"), choices=[("", "—"), *RequiredField.choices], required=False)
    label = forms.CharField(
        label=_("Caption"), max_length=200, required=False, help_text=_("What users read, e.g. “demonstration held”.")
    )


class DiscountLimitForm(StyledFormMixin, forms.Form):
    """One field per role: the largest discount, empty for none."""

    def __init__(self, *args: Any, roles: list[tuple[Group, Decimal | None]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles = [role for role, _limit in roles]
        for role, limit in roles:
            self.fields[f"role_{role.pk}"] = forms.DecimalField(
                label=role.name, required=False, min_value=Decimal("0"), max_value=Decimal("100"),
                max_digits=5, decimal_places=2, initial=limit,
            )  # fmt: skip

    def limits(self) -> list[tuple[Group, Decimal | None]]:
        return [(role, self.cleaned_data[f"role_{role.pk}"]) for role in self.roles]
