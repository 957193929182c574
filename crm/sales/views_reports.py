"""The sales summary page: filters, figures per currency and converted, funnel, owners; XLSX export."""

import datetime
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase, QueryDict
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.accounts.http import AuthedHttpRequest, is_htmx_fragment
from crm.accounts.models import Team, User
from crm.catalog.models import Currency
from crm.core.exports import Cell, export_response
from crm.core.forms import StyledFormMixin
from crm.sales.models import Pipeline
from crm.sales.reports import (
    ReportChoices,
    SalesSummary,
    SummaryFilters,
    default_currency,
    default_pipeline,
    report_choices_for,
    sales_summary,
)


class SalesReportForm(StyledFormMixin, forms.Form):
    """The report's filters; the querysets come from what the reader may see (reports.report_choices_for)."""

    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.none(),
        required=False,
        label=gettext_lazy("Pipeline"),
        empty_label=gettext_lazy("All pipelines"),
    )
    start = forms.DateField(
        label=gettext_lazy("Closed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("Closed to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=gettext_lazy("Owner"), empty_label=gettext_lazy("Everyone")
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, label=gettext_lazy("Team"), empty_label=gettext_lazy("All teams")
    )
    currency = forms.ModelChoiceField(
        queryset=Currency.objects.none(),
        to_field_name="code",
        required=False,
        label=gettext_lazy("Converted to"),
        empty_label=gettext_lazy("Do not convert"),
    )
    rate_date = forms.DateField(
        label=gettext_lazy("At the rates of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: QueryDict, *, choices: ReportChoices) -> None:
        super().__init__(data)
        for name, queryset in (
            ("pipeline", choices.pipelines),
            ("owner", choices.owners),
            ("team", choices.teams),
            ("currency", choices.currencies),
        ):
            cast(forms.ModelChoiceField[Any], self.fields[name]).queryset = queryset

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period is before its start."))
        return cleaned

    def filters(self) -> SummaryFilters:
        data = self.cleaned_data
        currency = data.get("currency")
        return SummaryFilters(
            pipeline=data.get("pipeline"),
            start=data.get("start"),
            end=data.get("end"),
            owner=data.get("owner"),
            team=data.get("team"),
            currency=currency.code if currency else None,
            rate_date=data.get("rate_date") or timezone.localdate(),
        )


def _initial(query: QueryDict) -> QueryDict:
    """The query with the defaults of a first visit: the first pipeline, the base currency, today's rates."""
    data = query.copy()
    if "pipeline" not in data:
        pipeline = default_pipeline()
        data["pipeline"] = str(pipeline.pk) if pipeline else ""
    if "currency" not in data:
        data["currency"] = default_currency()
    if "rate_date" not in data:
        data["rate_date"] = timezone.localdate().isoformat()
    return data


@login_required
def report_summary_view(request: AuthedHttpRequest) -> HttpResponseBase:
    """Open, won and lost deals with win rate, cycle, funnel and owners, over the deals the user may see."""
    form = SalesReportForm(_initial(request.GET), choices=report_choices_for(request.user))
    summary = sales_summary(request.user, form.filters()) if form.is_valid() else None
    if summary is not None and request.GET.get("format") == "xlsx":
        return export_response("xlsx", "sales-summary", _headers(), _rows(summary), sheet_title=_("Sales summary"))
    template = "sales/report_summary.html#report-body" if is_htmx_fragment(request) else "sales/report_summary.html"
    return render(request, template, {"form": form, "summary": summary, "query": request.GET.urlencode()})


def _headers() -> list[Cell]:
    return [
        _("Owner"), _("Currency"), _("Open deals"), _("Open amount"), _("Won deals"), _("Won amount"),
        _("Lost deals"), _("Win rate, %"), _("Average won deal"),
    ]  # fmt: skip


def _rows(summary: SalesSummary) -> Iterator[list[Cell]]:
    """One row per owner and currency, then the totals per currency and the converted totals with their date."""
    for owner in summary.owners:
        for f in owner.figures:
            yield [owner.name, f.currency, f.open_count, f.open_amount, f.won_count, f.won_amount, f.lost_count,
                   f.win_rate, f.average_won]  # fmt: skip
    for f in summary.currencies:
        yield [_("Total"), f.currency, f.open_count, f.open_amount, f.won_count, f.won_amount, f.lost_count,
               f.win_rate, f.average_won]  # fmt: skip
    converted = summary.converted
    if converted is not None:
        label = _("Total converted at the rates of %(date)s") % {"date": _date(converted.on_date)}
        yield [label, converted.currency, summary.open_count, converted.open_amount, summary.won_count,
               converted.won_amount, summary.lost_count, summary.win_rate, converted.average_won]  # fmt: skip


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")
