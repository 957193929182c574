"""The product list's filters, shared by the page, the export and the API."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.catalog.choices import ProductKind
from crm.catalog.models import Product, ProductGroup
from crm.core.db import contains_casefold
from crm.core.forms import style_fields


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or article number"), method="filter_q")
    group = django_filters.ModelChoiceFilter(
        label=_("Group"), queryset=ProductGroup.objects.all(), method="filter_group", empty_label=_("All groups")
    )
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=ProductKind.choices, empty_label=_("Any type"))
    is_active = django_filters.ChoiceFilter(
        label=_("On sale"),
        choices=[("1", _("on sale")), ("0", _("not on sale"))],
        method="filter_active",
        empty_label=_("All"),
    )

    class Meta:
        model = Product
        fields: list[str] = []

    @property
    def form(self) -> Any:
        form = super().form
        style_fields(form)
        return form

    def filter_q(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(contains_casefold("name", None, value) | Q(sku__iexact=value) | Q(sku__startswith=value))

    def filter_group(self, queryset: QuerySet[Product], name: str, value: ProductGroup | None) -> QuerySet[Product]:
        # The group and everything below it: descendants' paths start with the group's.
        return queryset.filter(group__path__startswith=value.path) if value else queryset

    def filter_active(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return queryset.filter(is_active=value == "1") if value in ("0", "1") else queryset
