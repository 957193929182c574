"""The client list's filters, shared by the page, the export and the API."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import Team, User
from crm.core.db import contains_casefold
from crm.core.forms import style_fields
from crm.parties.choices import PartyKind, Relationship, Source
from crm.parties.models import ClassifierNode, CustomField, Party
from crm.parties.selectors import SORTABLE, nodes_filter

# The list's sort options (S1: sorting by several attributes at once), in the filter panel.
SORT_CHOICES = [
    ("name", _("name, A-Z")),
    ("-name", _("name, Z-A")),
    ("region", _("region, A-Z")),
    ("-region", _("region, Z-A")),
    ("relationship", _("relationship")),
    ("kind", _("form")),
    ("inn", _("INN")),
    ("-updated_at", _("recently updated")),
    ("updated_at", _("long not updated")),
    ("-created_at", _("newest")),
    ("created_at", _("oldest")),
]


class PartyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or INN contains"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Form"), choices=PartyKind.choices)
    relationship = django_filters.MultipleChoiceFilter(label=_("Relationship"), choices=Relationship.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Source.choices)
    responsible = django_filters.ModelChoiceFilter(label=_("Responsible"), queryset=User.objects.filter(is_active=True))
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), queryset=Team.objects.all(), field_name="responsible__team"
    )
    region = django_filters.CharFilter(label=_("Region"), method="filter_region")
    node = django_filters.ModelMultipleChoiceFilter(
        label=_("Classifier"), queryset=ClassifierNode.objects.select_related("classifier"), method="filter_nodes"
    )
    ordering = django_filters.CharFilter(label=_("Sort"), method="filter_ordering")

    class Meta:
        model = Party
        fields: list[str] = []

    def __init__(self, *args: Any, apply_nodes: bool = True, **kwargs: Any) -> None:
        """`apply_nodes=False`: validate the chosen classifier nodes but leave them to the caller."""
        super().__init__(*args, **kwargs)
        self.apply_nodes = apply_nodes
        # One filter per custom field: exact for choices and numbers, a substring for text.
        for field in CustomField.objects.filter(is_active=True):
            if field.field_type == "text":
                self.filters[f"cf_{field.key}"] = django_filters.CharFilter(
                    label=field.label, field_name=f"custom_data__{field.key}", method="filter_text"
                )
            else:
                self.filters[f"cf_{field.key}"] = django_filters.CharFilter(
                    label=field.label, field_name=f"custom_data__{field.key}", lookup_expr="exact"
                )

    @property
    def form(self) -> Any:
        form = super().form
        style_fields(form)
        return form

    def filter_q(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(contains_casefold("name", "search_name", value) | Q(inn=value))

    def filter_region(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        return queryset.filter(contains_casefold("region", None, value.strip())) if value.strip() else queryset

    def filter_text(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        return queryset.filter(contains_casefold(name, None, value.strip())) if value.strip() else queryset

    def filter_nodes(self, queryset: QuerySet[Party], name: str, value: list[ClassifierNode]) -> QuerySet[Party]:
        return queryset.filter(nodes_filter(value)) if value and self.apply_nodes else queryset

    def filter_ordering(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        return queryset  # applied by the view's keyset pagination, see ordering_from()


def ordering_from(raw: str | None, default: str = "name") -> list[str]:
    """Parse `name,-updated_at` into the allowed sort columns; unknown ones are dropped."""
    fields = [f.strip() for f in (raw or default).split(",") if f.strip()]
    allowed = [f for f in fields if f.lstrip("-") in SORTABLE]
    return allowed or [default]
