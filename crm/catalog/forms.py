"""Parsing and field validation for the catalog pages; saving is the services' job."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.catalog.models import Currency, PriceList, Product, ProductGroup
from crm.core.forms import StyledFormMixin
from crm.parties.choices import Relationship
from crm.parties.models import ClassifierNode

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GroupChoiceField(forms.ModelChoiceField[ProductGroup]):
    """Groups indented by depth, so the select shows the tree."""

    def label_from_instance(self, obj: ProductGroup) -> str:
        return "\u2003" * obj.depth + obj.name


class NodeChoiceField(forms.ModelChoiceField[ClassifierNode]):
    def label_from_instance(self, obj: ClassifierNode) -> str:
        return f"{obj.classifier.name}: " + "\u2003" * obj.depth + obj.name


class ProductForm(StyledFormMixin, forms.ModelForm[Product]):
    """A product's card fields and the version it was opened at."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    group = GroupChoiceField(label=_("Group"), queryset=ProductGroup.objects.order_by("path"), required=False)

    class Meta:
        model = Product
        fields = [
            "kind",
            "sku",
            "name",
            "group",
            "unit",
            "vat_rate",
            "cost",
            "cost_currency",
            "description",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        localized_fields = ["cost"]  # a decimal comma is what Russian users type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            base = Currency.objects.filter(is_base=True).first()
            if base is not None:
                self.fields["cost_currency"].initial = base.pk

    def product_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ProductGroupForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = GroupChoiceField(
        label=_("Parent group"), queryset=ProductGroup.objects.order_by("path"), required=False, empty_label=_("(top)")
    )


class ProductGroupMoveForm(StyledFormMixin, forms.Form):
    parent = GroupChoiceField(
        label=_("New parent group"),
        queryset=ProductGroup.objects.order_by("path"),
        required=False,
        empty_label=_("(top)"),
    )


class PriceListForm(StyledFormMixin, forms.ModelForm[PriceList]):
    class Meta:
        model = PriceList
        fields = ["name", "currency", "vat_included", "valid_from", "valid_to", "is_active"]
        widgets = {"valid_from": DATE_WIDGET, "valid_to": DATE_WIDGET}

    def price_list_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PriceRuleForm(StyledFormMixin, forms.Form):
    price_list = forms.ModelChoiceField(label=_("Price list"), queryset=PriceList.objects.all())
    node = NodeChoiceField(
        label=_("Client in classifier node (or below)"),
        queryset=ClassifierNode.objects.select_related("classifier").order_by("classifier__position", "path"),
        required=False,
        empty_label=_("any node"),
    )
    relationship = forms.ChoiceField(
        label=_("Client relationship"), choices=[("", _("any relationship")), *Relationship.choices], required=False
    )


class CurrencyForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("ISO code"), max_length=3, min_length=3)
    name = forms.CharField(label=_("Name"), max_length=100)
    symbol = forms.CharField(label=_("Symbol"), max_length=8, required=False)


class ExchangeRateForm(StyledFormMixin, forms.Form):
    currency = forms.ModelChoiceField(label=_("Currency"), queryset=Currency.objects.filter(is_base=False))
    on_date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    rate = forms.DecimalField(
        label=_("Rate"),
        max_digits=18,
        decimal_places=6,
        min_value=0,
        help_text=_("Base currency units per one unit of the currency."),
        localize=True,
    )


class RatesImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: date; currency; rate; nominal (optional). Comma or semicolon between columns, "
            "decimal comma or point, UTF-8 or Windows-1251."
        ),
    )


class QuoteForm(StyledFormMixin, forms.Form):
    """The "try it" form of the price rules page: a client, a product and a date."""

    party_q = forms.CharField(label=_("Find a client"), required=False, max_length=200)
    party = forms.IntegerField(label=_("Client id"), required=False, min_value=1)
    product = forms.ModelChoiceField(
        label=_("Product or service"), queryset=Product.objects.filter(is_deleted=False).order_by("name")
    )
    on_date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
