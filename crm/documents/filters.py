"""The contract list filter, shared by the page and the API."""

import datetime

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import User
from crm.documents.choices import ContractStatus
from crm.documents.models import Contract


class ContractFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ContractStatus.choices)
    expiring_within = django_filters.NumberFilter(
        label=_("Expiring within, days"), method="filter_expiring", min_value=0, max_value=3650
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.filter(is_active=True))

    class Meta:
        model = Contract
        fields = ["status", "owner"]

    def filter_expiring(self, queryset: QuerySet[Contract], name: str, value: int | None) -> QuerySet[Contract]:
        if value is None:
            return queryset
        today = timezone.localdate()
        return queryset.filter(ends_on__gte=today, ends_on__lte=today + datetime.timedelta(days=int(value))).exclude(
            status__in=[ContractStatus.TERMINATED, ContractStatus.DRAFT]
        )
