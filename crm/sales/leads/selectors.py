"""Reads of leads for the pages and the API, all built on leads_visible_to; the list's FilterSet."""

import re
from collections.abc import Iterable
from typing import Any, Literal

import django_filters
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import User
from crm.core.db import contains_casefold
from crm.core.forms import style_fields
from crm.core.phones import search_digits, search_prefixes
from crm.parties.models import Party
from crm.parties.selectors import possible_duplicates
from crm.sales.choices import LeadChannel, LeadStatus, StageKind
from crm.sales.leads.access import OPEN_STATUSES, can_distribute_leads, leads_visible_to
from crm.sales.models import Deal, Lead

_PHONEISH = re.compile(r"^[\d\s()+\-.]+$")
Tab = Literal["new", "mine", "all"]
TABS: tuple[Tab, ...] = ("new", "mine", "all")


def default_tab(user: User) -> Tab:
    """Heads of sales start at the inbox of undistributed leads, managers at their own."""
    return "new" if can_distribute_leads(user) else "mine"


def tab_from(raw: str | None, user: User) -> Tab:
    """The tab asked for; an unknown one shows everything the user may see, none the user's default."""
    if not raw:
        return default_tab(user)
    return next((tab for tab in TABS if tab == raw), "all")


def lead_list_for(user: User, tab: Tab = "all") -> QuerySet[Lead]:
    """The base of every lead list: the leads of a tab the user may see, with what a row shows."""
    leads = leads_visible_to(user).select_related("owner", "assigned_by_rule")
    if tab == "new":
        # The head of sales' inbox: what no rule could place and nobody has taken yet.
        return leads.filter(status=LeadStatus.NEW, owner__isnull=True)
    if tab == "mine":
        # Open leads the user works on or entered (an operator follows the calls they took).
        return leads.filter(Q(owner=user) | Q(created_by=user), status__in=OPEN_STATUSES)
    return leads


def lead_detail_for(lead: Lead) -> Lead:
    """Load what the card shows: owner, rule, the client and deal it became."""
    return (
        Lead.objects.select_related("owner", "assigned_by_rule", "party", "deal__stage", "deal__pipeline")
        .filter(pk=lead.pk)
        .get()
    )


def lead_client_candidates(user: User, lead: Lead) -> list[Party]:
    """Existing clients with the lead's INN, phone or e-mail, or a similar name: offered before creating a new one."""
    return possible_duplicates(
        user,
        inn=lead.inn,
        phones=[lead.phone] if lead.phone else [],
        emails=[lead.email] if lead.email else [],
        name=lead.company_name or lead.contact_name,
    )


def manager_loads(user_ids: Iterable[int]) -> dict[int, int]:
    """Open leads plus open deals per manager: what the load rule compares."""
    ids = list(user_ids)
    loads = dict.fromkeys(ids, 0)
    leads = (
        Lead.objects.filter(owner_id__in=ids, status=LeadStatus.ASSIGNED, is_deleted=False)
        .values("owner_id")
        .annotate(n=Count("pk"))
    )
    deals = (
        Deal.objects.filter(owner_id__in=ids, is_deleted=False, stage__kind=StageKind.OPEN)
        .values("owner_id")
        .annotate(n=Count("pk"))
    )
    for row in [*leads, *deals]:
        loads[row["owner_id"]] += row["n"]
    return loads


class LeadFilter(django_filters.FilterSet):
    """The lead list's filters, shared by the page and the API."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=LeadStatus.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=LeadChannel.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Manager"), queryset=User.objects.filter(is_active=True))
    created_after = django_filters.DateFilter(
        label=_("Received from"), field_name="created_at", lookup_expr="date__gte"
    )
    created_before = django_filters.DateFilter(label=_("Received to"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Lead
        fields: list[str] = []

    @property
    def form(self) -> Any:
        form = super().form
        style_fields(form)
        return form

    def filter_q(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        value = value.strip()
        if not value:
            return queryset
        condition = (
            contains_casefold("title", None, value)
            | contains_casefold("company_name", None, value)
            | contains_casefold("contact_name", None, value)
            | Q(email__iexact=value)
            | Q(inn=value)
        )
        if _PHONEISH.match(value) and len(search_digits(value)) >= 5:
            for number in search_prefixes(value):  # "8 (916) 12": with the trunk 8 and without
                condition |= Q(phone__contains=number)
        return queryset.filter(condition)
