"""Who may see and change which clients: the one place every page, list, search, export and API asks."""

import json
from collections.abc import Sequence
from typing import Any, Literal

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import Overlap
from django.core.exceptions import PermissionDenied
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.accounts.backends import owners_seen_by
from crm.accounts.models import User
from crm.core.db import IsTrue, bigint_sql, equals_any, has_indexed_json_containment, is_false, is_false_sql
from crm.parties.models import Party

Action = Literal["view", "change"]

# One "owner:node" key per responsible manager or co-owner of a party and each of its nodes and their
# ancestors; PostgreSQL only, GIN-indexed (migration parties 0010).
_KEYS: ArrayField[list[str], list[str]] = ArrayField(TextField())
OWNER_NODE_KEYS = Func(
    F("responsible_id"), F("co_owner_ids"), F("node_ids"), function="crm_party_owner_nodes", output_field=_KEYS
)


def parties_visible_to(user: User) -> QuerySet[Party]:
    """Clients this user may see: own and co-owned; the team's for its head; all with `view_all_parties`."""
    live = Party.objects.filter(is_false("is_deleted"))
    if not user.is_active:
        return live.none()
    if user.has_perm("parties.view_all_parties"):
        return live
    owners = owners_seen_by(user)
    if has_indexed_json_containment():
        return live.filter(_owned_on_postgresql(user, owners))
    # SQLite: plain id lists (two small queries) rather than joins and EXISTS, so that it walks the
    # (responsible, is_deleted, name) index.
    co_owned_ids = list(Party.co_owners.through.objects.filter(user_id=user.pk).values_list("party_id", flat=True))
    rule = Q(responsible_id__in=owners)
    if co_owned_ids:
        rule |= Q(pk__in=co_owned_ids)
    return live.filter(rule)


def _owned_on_postgresql(user: User, owners: list[int]) -> Q:
    """Owned by one of `owners` or co-owned by `user`, in the shape of the GIN indexes of parties 0008.

    The managers and the co-owner copy are columns of those indexes, so this OR is two index scans that also
    apply the list's or the search's own condition; the IN is the rule itself (checked on the few rows
    found), so a stale copy can hide a client, never show one.
    """
    co_owned = Party.co_owners.through.objects.filter(user_id=user.pk).values("party_id")
    shared = Q(co_owner_ids__contains=[user.pk]) & Q(pk__in=co_owned)
    return equals_any("responsible_id", owners) | shared


def parties_visible_in_nodes(user: User, trees: Sequence[Sequence[int]]) -> QuerySet[Party] | None:
    """parties_visible_to(user) in classifier nodes, in the shape PostgreSQL counts fastest; None if it does not apply.

    `trees`: for each classifier tree, node ids of which a party must be in one (or below it); every tree
    must match (crm.parties.selectors.nodes_filter). A party's (manager or co-owner, node) keys of parties
    0010 answer the owners and the nodes at once and exactly, so only the rows found are read. The rule of
    parties_visible_to (the trash included) still decides on those rows, kept out of the planner's choice of
    indexes (IsTrue): it would otherwise intersect the keys with the manager's whole client list. None on
    SQLite, and for those who see every client (the keys name owners).
    """
    if (
        not trees
        or not has_indexed_json_containment()
        or not user.is_active
        or user.has_perm("parties.view_all_parties")
    ):
        return None
    owners = owners_seen_by(user)
    keyed = {*owners, user.pk}  # the user's co-owned clients carry the user's keys
    condition = Q(IsTrue(is_false("is_deleted") & _owned_on_postgresql(user, owners)))
    for nodes in trees:
        keys = [f"{owner}:{node}" for owner in sorted(keyed) for node in sorted(nodes)]
        condition &= Q(Overlap(OWNER_NODE_KEYS, Value(keys, output_field=_KEYS)))
    return Party.objects.filter(condition)


def parties_visible_branches(user: User) -> list[QuerySet[Party]]:
    """The same clients as parties_visible_to, as disjoint querysets to run one by one and merge.

    SQLite: the own branch walks the (responsible, name) index and the few co-owned ids are looked up
    directly, which no plan for the OR allows. PostgreSQL needs one branch (see parties_visible_to).
    """
    if user.has_perm("parties.view_all_parties") or not user.is_active or has_indexed_json_containment():
        return [parties_visible_to(user)]
    owners = owners_seen_by(user)
    own = Party.objects.filter(is_false("is_deleted"), responsible_id__in=owners)
    co_owned = Party.co_owners.through.objects.filter(user_id=user.pk).values("party_id")
    shared = Party.objects.filter(is_false("is_deleted"), pk__in=co_owned).exclude(responsible_id__in=owners)
    return [own, shared]


def visible_branches_sql(user: User, alias: str = "p") -> list[tuple[str, list[Any]]]:
    """parties_visible_branches as SQL conditions on the party table aliased `alias`, with their parameters.

    For the hand-written query of search as you type, whose ORM form spent more time composing SQL than
    the database spent answering it. The same rule, written twice in this module only; a test compares
    both forms for every role on both databases.
    """
    live = is_false_sql(f"{alias}.is_deleted")
    if not user.is_active:
        return []
    if user.has_perm("parties.view_all_parties"):
        return [(live, [])]
    owners = owners_seen_by(user)
    co_owners = Party.co_owners.through._meta.db_table
    co_owned = f"{alias}.id IN (SELECT co.party_id FROM {co_owners} co WHERE co.user_id = %s)"
    if has_indexed_json_containment():  # one branch, in the shape of parties_visible_to (the GIN indexes)
        own = " OR ".join(f"{alias}.responsible_id = {bigint_sql()}" for _owner in owners)
        shared = f"({alias}.co_owner_ids @> %s::jsonb AND {co_owned})"
        return [(f"{live} AND ({own} OR {shared})", [*owners, json.dumps([user.pk]), user.pk])]
    marks = ", ".join(["%s"] * len(owners))
    return [
        (f"{live} AND {alias}.responsible_id IN ({marks})", owners),
        (f"{live} AND {co_owned} AND {alias}.responsible_id NOT IN ({marks})", [user.pk, *owners]),
    ]


def can_view_party(user: User, party: Party) -> bool:
    """The row-level form of parties_visible_to, for one party already loaded."""
    if not user.is_active or party.is_deleted:
        return False
    if user.has_perm("parties.view_all_parties") or party.responsible_id == user.pk:
        return True
    if party.co_owners.filter(pk=user.pk).exists():
        return True
    return party.responsible.team_id is not None and user.led_teams.filter(pk=party.responsible.team_id).exists()


def can_change_party(user: User, party: Party) -> bool:
    """Owners and co-owners change their clients; `change_any_party` changes any; team leads only look."""
    if user.has_perm("parties.change_any_party"):
        return True
    if not user.has_perm("parties.change_party"):
        return False
    return party.responsible_id == user.pk or party.co_owners.filter(pk=user.pk).exists()


def get_party_for(user: User, pk: int, *, action: Action = "view") -> Party:
    """The party, if visible (404 otherwise: hidden and missing look alike), and changeable if asked (403)."""
    # One row by primary key, then the rule for that row: cheaper than filtering by the list rule
    # (whose co-owned id list may hold thousands of ids) on every card, history and log request.
    party = get_object_or_404(Party.objects.filter(is_deleted=False).select_related("responsible"), pk=pk)
    if not can_view_party(user, party):
        raise Http404
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
