"""Who may see, work on and distribute which leads: the one place the lead pages and the API ask.

A manager sees the leads they own; a team head also the team's; whoever sees every deal
(`view_all_deals`: head of sales, administrator, marketer) or distributes leads sees every lead,
the unassigned inbox included. Whoever entered a lead (a call-centre operator) keeps seeing it,
to answer the caller, but does not work on it: a lead is someone else's work once it is
distributed. The owner and `change_any_deal` qualify or reject.
"""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.accounts.backends import owners_seen_by
from crm.accounts.models import User
from crm.sales.choices import LeadStatus
from crm.sales.models import Lead, LeadRule

Action = Literal["view", "change", "assign"]
OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.ASSIGNED)


def can_see_all_leads(user: User) -> bool:
    return user.is_active and (user.has_perm("sales.view_all_deals") or user.has_perm("sales.distribute_leads"))


def can_distribute_leads(user: User) -> bool:
    """Assign leads by hand and edit the distribution rules (head of sales, administrator)."""
    return user.is_active and user.has_perm("sales.distribute_leads")


def can_add_lead(user: User) -> bool:
    return user.is_active and user.has_perm("sales.add_lead")


def can_own_leads(user: User) -> bool:
    """Leads go to those who can turn them into deals."""
    return user.is_active and user.has_perm("sales.add_deal")


def leads_visible_to(user: User) -> QuerySet[Lead]:
    """Live leads this user may see: own and entered; the team's for its head; all for heads of sales and admins."""
    live = Lead.objects.filter(is_deleted=False)
    if not user.is_active:
        return live.none()
    if can_see_all_leads(user):
        return live
    owners = owners_seen_by(user)
    owned = Q(owner_id__in=owners) if len(owners) > 1 else Q(owner_id=user.pk)
    return live.filter(owned | Q(created_by_id=user.pk))


def can_view_lead(user: User, lead: Lead) -> bool:
    """The row-level form of leads_visible_to, for one lead already loaded."""
    if not user.is_active or lead.is_deleted:
        return False
    if can_see_all_leads(user) or user.pk in (lead.owner_id, lead.created_by_id):
        return True
    owner = lead.owner
    return owner is not None and owner.team_id is not None and user.led_teams.filter(pk=owner.team_id).exists()


def can_change_lead(user: User, lead: Lead) -> bool:
    """Qualify or reject: the owner, or whoever may change any deal; team heads only look."""
    if not user.is_active:
        return False
    return (lead.owner_id is not None and lead.owner_id == user.pk) or user.has_perm("sales.change_any_deal")


def get_lead_for(user: User, pk: int, *, action: Action = "view") -> Lead:
    """The lead if visible (404 otherwise: hidden and missing look alike), and changeable or assignable if asked (403)."""
    lead = get_object_or_404(Lead.objects.filter(is_deleted=False).select_related("owner"), pk=pk)
    if not can_view_lead(user, lead):
        raise Http404
    if action == "change" and not can_change_lead(user, lead):
        raise PermissionDenied
    if action == "assign" and not can_distribute_leads(user):
        raise PermissionDenied
    return lead


def lead_rules_for(user: User) -> QuerySet[LeadRule]:
    """The distribution rules, for those who edit them; others are refused (403)."""
    if not can_distribute_leads(user):
        raise PermissionDenied
    return LeadRule.objects.all()


def get_lead_rule_for(user: User, pk: int) -> LeadRule:
    return get_object_or_404(lead_rules_for(user), pk=pk)


def lead_owner_candidates() -> QuerySet[User]:
    """Active users who can turn a lead into a deal: the choices of manual assignment and of rules."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__permissions__codename="add_deal", groups__permissions__content_type__app_label="sales")
            | Q(user_permissions__codename="add_deal", user_permissions__content_type__app_label="sales")
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
