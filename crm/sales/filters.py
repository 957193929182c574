"""The deal filters, shared by the table page, the export, the board and the API."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.accounts.models import Team, User
from crm.core.db import contains_casefold
from crm.core.forms import style_fields
from crm.parties.models import ClassifierNode, Party
from crm.parties.selectors import nodes_filter
from crm.sales.choices import StageKind
from crm.sales.models import Deal, Pipeline, Stage
from crm.sales.selectors import SORTABLE

SORT_CHOICES = [
    ("-updated_at", _("recently updated")),
    ("-created_at", _("newest")),
    ("created_at", _("oldest")),
    ("-amount", _("amount, largest first")),
    ("amount", _("amount, smallest first")),
    ("-probability", _("probability, highest first")),
    ("title", _("title, A-Z")),
    ("stage_entered_at", _("longest in the stage")),
]


class DealFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Title or client contains"), method="filter_q")
    pipeline = django_filters.ModelChoiceFilter(label=_("Pipeline"), queryset=Pipeline.objects.all())
    stage = django_filters.ModelChoiceFilter(label=_("Stage"), queryset=Stage.objects.select_related("pipeline"))
    state = django_filters.ChoiceFilter(
        label=pgettext_lazy("deal", "State"), choices=StageKind.choices, field_name="stage__kind"
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.filter(is_active=True))
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all(), field_name="owner__team")
    node = django_filters.ModelMultipleChoiceFilter(
        label=_("Client classifier"),
        queryset=ClassifierNode.objects.select_related("classifier"),
        method="filter_nodes",
    )
    created = django_filters.DateFromToRangeFilter(label=_("Created"), field_name="created_at__date")
    expected_close = django_filters.DateFromToRangeFilter(label=_("Expected close"), field_name="expected_close_date")
    ordering = django_filters.ChoiceFilter(label=_("Sort"), choices=SORT_CHOICES, method="filter_ordering")

    class Meta:
        model = Deal
        fields: list[str] = []

    @property
    def form(self) -> Any:
        form = super().form
        style_fields(form)
        return form

    def filter_q(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            contains_casefold("title", None, value) | Q(party__in=Party.objects.filter(
                contains_casefold("name", "search_name", value)).values("pk"))
        )  # fmt: skip

    def filter_nodes(self, queryset: QuerySet[Deal], name: str, value: list[ClassifierNode]) -> QuerySet[Deal]:
        if not value:
            return queryset
        return queryset.filter(party__in=Party.objects.filter(nodes_filter(value)).values("pk"))

    def filter_ordering(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        return queryset  # applied by the view's keyset pagination, see ordering_from()


def ordering_from(raw: str | None, default: str = "-updated_at") -> list[str]:
    """Parse `-amount,title` into the allowed sort columns; unknown ones are dropped."""
    fields = [f.strip() for f in (raw or default).split(",") if f.strip()]
    allowed = [f for f in fields if f.lstrip("-") in SORTABLE]
    return allowed or [default]
