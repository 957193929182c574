"""API shapes of the catalog; parsing only, the services save."""

from typing import Any

from rest_framework import serializers

from crm.catalog.choices import ProductKind, VatRate
from crm.catalog.models import Currency, ExchangeRate, PriceList, PriceListItem, PriceRule, Product, ProductGroup
from crm.parties.choices import Relationship
from crm.parties.models import ClassifierNode


class ProductGroupOutput(serializers.ModelSerializer[ProductGroup]):
    class Meta:
        model = ProductGroup
        fields = ["id", "parent", "name", "depth", "path"]


class ProductOutput(serializers.ModelSerializer[Product]):
    group_name = serializers.CharField(source="group.name", default=None, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "kind", "sku", "name", "group", "group_name", "unit", "vat_rate", "cost", "cost_currency",
                  "description", "is_active", "version", "updated_at"]  # fmt: skip


class ProductInput(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=ProductKind.choices, required=False)
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=300)
    group = serializers.PrimaryKeyRelatedField(queryset=ProductGroup.objects.all(), allow_null=True, required=False)
    unit = serializers.CharField(max_length=16, required=False)
    vat_rate = serializers.ChoiceField(choices=VatRate.choices, required=False)
    cost = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)
    cost_currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.all(), required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False)


class CurrencyOutput(serializers.ModelSerializer[Currency]):
    class Meta:
        model = Currency
        fields = ["code", "name", "symbol", "is_base"]


class CurrencyInput(serializers.Serializer[dict[str, Any]]):
    code = serializers.CharField(max_length=3)
    name = serializers.CharField(max_length=100)
    symbol = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")


class ExchangeRateOutput(serializers.ModelSerializer[ExchangeRate]):
    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "on_date", "rate"]


class ExchangeRateInput(serializers.Serializer[dict[str, Any]]):
    currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.all())
    on_date = serializers.DateField()
    rate = serializers.DecimalField(max_digits=18, decimal_places=6)


class PriceListOutput(serializers.ModelSerializer[PriceList]):
    class Meta:
        model = PriceList
        fields = ["id", "name", "currency", "vat_included", "valid_from", "valid_to", "is_active"]


class PriceListInput(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(max_length=200)
    currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.all())
    vat_included = serializers.BooleanField(required=False)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_to = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class PriceListItemOutput(serializers.ModelSerializer[PriceListItem]):
    product_name = serializers.CharField(source="product.name", read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True)
    currency = serializers.CharField(source="price_list.currency_id", read_only=True)

    class Meta:
        model = PriceListItem
        fields = ["product", "sku", "product_name", "price", "currency"]


class PriceListItemInput(serializers.Serializer[dict[str, Any]]):
    product = serializers.IntegerField(min_value=1)
    price = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)


class PriceRuleOutput(serializers.ModelSerializer[PriceRule]):
    price_list_name = serializers.CharField(source="price_list.name", read_only=True)
    node_name = serializers.CharField(source="node.name", default=None, read_only=True)

    class Meta:
        model = PriceRule
        fields = ["id", "position", "price_list", "price_list_name", "node", "node_name", "relationship"]


class PriceRuleInput(serializers.Serializer[dict[str, Any]]):
    price_list = serializers.PrimaryKeyRelatedField(queryset=PriceList.objects.all())
    node = serializers.PrimaryKeyRelatedField(
        queryset=ClassifierNode.objects.all(), allow_null=True, required=False, default=None
    )
    relationship = serializers.ChoiceField(
        choices=[("", ""), *Relationship.choices], required=False, allow_blank=True, default=""
    )


class QuoteOutput(serializers.Serializer[dict[str, Any]]):
    price = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    currency = serializers.CharField(allow_null=True)
    vat_included = serializers.BooleanField(allow_null=True)
    price_list = PriceListOutput(allow_null=True)
    rule = serializers.IntegerField(allow_null=True)
    explanation = serializers.CharField()
