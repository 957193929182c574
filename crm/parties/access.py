"""Who may see and change which clients: the one place every page, list, search, export and API asks."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from crm.accounts.models import User
from crm.parties.models import Party

Action = Literal["view", "change"]


def parties_visible_to(user: User) -> QuerySet[Party]:
    """Clients this user may see: own and co-owned; the team's for its head; all with `view_all_parties`."""
    live = Party.objects.filter(is_deleted=False)
    if not user.is_active:
        return live.none()
    if user.has_perm("parties.view_all_parties"):
        return live
    co_owned = Party.co_owners.through.objects.filter(party_id=OuterRef("pk"), user_id=user.pk)
    rule: Q = Q(responsible=user) | Q(Exists(co_owned))
    if user.led_teams.exists():
        rule |= Q(responsible__team__head=user)
    return live.filter(rule)


def can_change_party(user: User, party: Party) -> bool:
    """Owners and co-owners change their clients; `change_any_party` changes any; team leads only look."""
    if user.has_perm("parties.change_any_party"):
        return True
    if not user.has_perm("parties.change_party"):
        return False
    return party.responsible_id == user.pk or party.co_owners.filter(pk=user.pk).exists()


def get_party_for(user: User, pk: int, *, action: Action = "view") -> Party:
    """The party, if visible (404 otherwise: hidden and missing look alike), and changeable if asked (403)."""
    party = get_object_or_404(parties_visible_to(user).select_related("responsible"), pk=pk)
    if action == "change" and not can_change_party(user, party):
        raise PermissionDenied
    return party


def parties_in_trash_for(user: User) -> QuerySet[Party]:
    """Deleted clients, for those who may restore them."""
    if not user.has_perm("parties.restore_party"):
        raise PermissionDenied
    return Party.objects.filter(is_deleted=True)


def can_reassign_parties(user: User) -> bool:
    return user.has_perm("parties.reassign_party")


def can_export_parties(user: User) -> bool:
    return user.has_perm("parties.export_parties")


def can_import_parties(user: User) -> bool:
    return user.has_perm("parties.import_parties")
