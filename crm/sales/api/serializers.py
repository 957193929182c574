"""API shapes of deals, lines and pipelines; parsing only, the services save."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from crm.parties.models import Party
from crm.sales.choices import DealSource
from crm.sales.models import Deal, DealLine, Pipeline, Stage, StageRequirement
from crm.sales.selectors import DealTotals, LineTotals, line_totals


class RequirementOutput(serializers.ModelSerializer[StageRequirement]):
    class Meta:
        model = StageRequirement
        fields = ["id", "stage", "kind", "interaction_type", "document_kind", "field", "label"]


class StageOutput(serializers.ModelSerializer[Stage]):
    requirements = RequirementOutput(many=True)

    class Meta:
        model = Stage
        fields = ["id", "name", "position", "kind", "probability", "performer_role", "performer", "requirements"]


class PipelineOutput(serializers.ModelSerializer[Pipeline]):
    stages = StageOutput(many=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "position", "is_active", "stages"]


class StageBriefOutput(serializers.ModelSerializer[Stage]):
    class Meta:
        model = Stage
        fields = ["id", "name", "kind"]


class DealListOutput(serializers.ModelSerializer[Deal]):
    party_name = serializers.CharField(source="party.name", read_only=True)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    stage = StageBriefOutput()
    currency = serializers.CharField(source="currency_id")

    class Meta:
        model = Deal
        fields = ["id", "title", "party", "party_name", "owner", "owner_name", "pipeline", "stage", "amount",
                  "amount_is_manual", "currency", "probability", "expected_close_date", "closed_at", "created_at",
                  "updated_at", "version"]  # fmt: skip


class MoneyOutput(serializers.Serializer[LineTotals | DealTotals]):
    net = serializers.DecimalField(max_digits=18, decimal_places=2)
    vat = serializers.DecimalField(max_digits=18, decimal_places=2)
    gross = serializers.DecimalField(max_digits=18, decimal_places=2)
    cost = serializers.DecimalField(max_digits=18, decimal_places=2)
    profit = serializers.DecimalField(max_digits=18, decimal_places=2)
    margin = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)


class DealTotalsOutput(MoneyOutput):
    currency = serializers.CharField()


class LineOutput(serializers.ModelSerializer[DealLine]):
    product_name = serializers.CharField(source="product.name", read_only=True)
    totals = serializers.SerializerMethodField()

    class Meta:
        model = DealLine
        fields = ["id", "position", "product", "product_name", "description", "quantity", "unit", "list_price",
                  "discount_percent", "price", "vat_rate", "vat_included", "cost", "price_list", "price_source",
                  "totals"]  # fmt: skip

    def get_totals(self, line: DealLine) -> dict[str, Any]:
        return dict(MoneyOutput(line_totals(line)).data)


class DealDetailOutput(DealListOutput):
    lines = LineOutput(many=True)
    competitors: serializers.PrimaryKeyRelatedField[Party] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    lost_reason_name = serializers.CharField(source="lost_reason.name", default=None, read_only=True)
    totals = serializers.SerializerMethodField()

    class Meta(DealListOutput.Meta):
        fields = [*DealListOutput.Meta.fields, "contact", "cost", "probability_is_manual", "source", "source_detail",
                  "description", "lost_reason", "lost_reason_name", "competitors", "stage_entered_at", "lines",
                  "totals"]  # fmt: skip

    def get_totals(self, deal: Deal) -> dict[str, Any]:
        totals: DealTotals = self.context["totals"]
        return dict(DealTotalsOutput(totals).data)


class DealInput(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(max_length=300)
    party = serializers.IntegerField()
    pipeline = serializers.IntegerField()
    stage = serializers.IntegerField(required=False)
    currency = serializers.CharField(max_length=3, required=False, default="RUB")
    contact = serializers.IntegerField(required=False, allow_null=True)
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    # The stubs type Field.source (the attribute path) and a field named "source" shadows it.
    source = serializers.ChoiceField(choices=DealSource.choices, required=False, allow_blank=True)  # type: ignore[assignment]
    source_detail = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    competitors = serializers.ListField(child=serializers.IntegerField(), required=False)
    version = serializers.IntegerField(required=False)


class LineInput(serializers.Serializer[dict[str, Any]]):
    product = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )
    list_price = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
