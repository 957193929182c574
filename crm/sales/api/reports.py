"""The sales summary over REST: the page's report with the same filters and the same visibility."""

from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.relations import RelatedField
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.http import api_user
from crm.accounts.models import Team, User
from crm.catalog.models import Currency
from crm.sales.models import Pipeline
from crm.sales.reports import ReportChoices, SummaryFilters, report_choices_for, sales_summary


class FiguresOutput(serializers.Serializer[Any]):
    currency = serializers.CharField()
    open_count = serializers.IntegerField()
    open_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    won_count = serializers.IntegerField()
    won_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    lost_count = serializers.IntegerField()
    win_rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    average_won = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class RateOutput(serializers.Serializer[Any]):
    currency = serializers.CharField()
    rate = serializers.DecimalField(max_digits=18, decimal_places=6)
    on_date = serializers.DateField()


class ConvertedOutput(serializers.Serializer[Any]):
    currency = serializers.CharField()
    on_date = serializers.DateField()
    open_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    won_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    average_won = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    rates = RateOutput(many=True)


class FunnelStepOutput(serializers.Serializer[Any]):
    stage_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    reached = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class OwnerOutput(serializers.Serializer[Any]):
    owner_id = serializers.IntegerField()
    name = serializers.CharField()
    open_count = serializers.IntegerField()
    won_count = serializers.IntegerField()
    lost_count = serializers.IntegerField()
    win_rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    figures = FiguresOutput(many=True)
    won_converted = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class SalesSummaryOutput(serializers.Serializer[Any]):
    open_count = serializers.IntegerField()
    won_count = serializers.IntegerField()
    lost_count = serializers.IntegerField()
    win_rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True, help_text="percent")
    average_cycle_days = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    currencies = FiguresOutput(many=True)
    converted = ConvertedOutput(allow_null=True)
    conversion_error = serializers.CharField()
    funnel = FunnelStepOutput(many=True)
    owners = OwnerOutput(many=True)


class SalesReportSummaryApi(APIView):
    """Open, won and lost deals, win rate, average cycle, funnel (with a pipeline) and owners, per currency.

    Won and lost deals are those closed in [start, end]; the funnel counts deals created in it. With
    `currency`, totals are also converted at the rates of `rate_date` (today by default).
    """

    class Input(serializers.Serializer[Any]):
        # Querysets narrowed per reader in __init__: an owner or team one may not see is an invalid choice.
        pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(), required=False, allow_null=True)
        start = serializers.DateField(required=False, allow_null=True)
        end = serializers.DateField(required=False, allow_null=True)
        owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False, allow_null=True)
        team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none(), required=False, allow_null=True)
        currency = serializers.SlugRelatedField(
            slug_field="code", queryset=Currency.objects.all(), required=False, allow_null=True
        )
        rate_date = serializers.DateField(required=False, allow_null=True)

        def __init__(self, *args: Any, choices: ReportChoices | None = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if choices is not None:
                cast(RelatedField[Any, Any, Any], self.fields["pipeline"]).queryset = choices.pipelines
                cast(RelatedField[Any, Any, Any], self.fields["owner"]).queryset = choices.owners
                cast(RelatedField[Any, Any, Any], self.fields["team"]).queryset = choices.teams
                cast(RelatedField[Any, Any, Any], self.fields["currency"]).queryset = choices.currencies

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            start, end = attrs.get("start"), attrs.get("end")
            if start and end and start > end:
                raise serializers.ValidationError({"end": _("The end of the period is before its start.")})
            return attrs

    @extend_schema(parameters=[Input], responses=SalesSummaryOutput)
    def get(self, request: Request) -> Response:
        user = api_user(request)
        data = {k: v for k, v in request.query_params.items() if v != ""}
        serializer = self.Input(data=data, choices=report_choices_for(user))
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        currency = given.get("currency")
        filters = SummaryFilters(
            pipeline=given.get("pipeline"),
            start=given.get("start"),
            end=given.get("end"),
            owner=given.get("owner"),
            team=given.get("team"),
            currency=currency.code if currency else None,
            rate_date=given.get("rate_date") or timezone.localdate(),
        )
        return Response(SalesSummaryOutput(sales_summary(user, filters)).data)
