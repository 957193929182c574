"""Who may see and change which deals and who configures pipelines: the one place pages, API and reports ask."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.accounts.backends import owners_seen_by
from crm.accounts.models import User
from crm.sales.models import Deal

Action = Literal["view", "change"]


def deals_visible_to(user: User) -> QuerySet[Deal]:
    """Live deals this user may see: own; the team's for its head; every deal with `view_all_deals`."""
    live = Deal.objects.filter(is_deleted=False)
    if not user.is_active:
        return live.none()
    if user.has_perm("sales.view_all_deals"):
        return live
    # An id list rather than a join on the owner's team: the (owner, is_deleted, updated_at) index stays usable.
    owners = owners_seen_by(user)
    return live.filter(Q(owner_id__in=owners) if len(owners) > 1 else Q(owner_id=user.pk))


def can_view_deal(user: User, deal: Deal) -> bool:
    """The row-level form of deals_visible_to, for one deal already loaded."""
    if not user.is_active:
        return False
    if user.has_perm("sales.view_all_deals") or deal.owner_id == user.pk:
        return True
    return deal.owner.team_id is not None and user.led_teams.filter(pk=deal.owner.team_id).exists()


def can_change_deal(user: User, deal: Deal) -> bool:
    """Owners change their deals, `change_any_deal` changes any; team heads only look."""
    if not user.is_active:
        return False
    return deal.owner_id == user.pk or user.has_perm("sales.change_any_deal")


def get_deal_for(user: User, pk: int, *, action: Action = "view", deleted: bool = False) -> Deal:
    """The deal if visible (404 otherwise: hidden and missing look alike), and changeable if asked (403).

    `deleted=True` looks in the trash instead, for restoring.
    """
    deal = get_object_or_404(Deal.objects.filter(is_deleted=deleted).select_related("owner"), pk=pk)
    if not can_view_deal(user, deal):
        raise Http404
    if action == "change" and not can_change_deal(user, deal):
        raise PermissionDenied
    return deal


def can_create_deal(user: User) -> bool:
    return user.is_active and user.has_perm("sales.add_deal")


def can_manage_pipelines(user: User) -> bool:
    return user.is_active and user.has_perm("sales.manage_pipelines")


def deals_in_trash_for(user: User) -> QuerySet[Deal]:
    """Deleted deals the user could see and change when they were live."""
    deleted = Deal.objects.filter(is_deleted=True)
    if not user.is_active:
        return deleted.none()
    if user.has_perm("sales.change_any_deal"):
        return deleted
    return deleted.filter(owner_id=user.pk)
