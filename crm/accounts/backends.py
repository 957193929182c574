"""What a user may do, read once per request: permissions and the members of the teams they head.

Every request asks `has_perm` (access rules, field hiding, menus) and every list of clients, deals or leads
asks whose records a team head sees. Django's ModelBackend reads the permissions with two joins, and each
access module read the team in a query of its own; here both come from one hand-written query (the hot
path of every request, so no ORM compiling), kept on the user object for the rest of the request.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from crm.accounts.models import Team, User
from crm.core.db import fetch_rows


def facts_sql(*, superuser: bool, user_id: str = "%s") -> str:
    """Rows (kind 'p', app_label, codename, NULL) for permissions and ('m', NULL, NULL, id) for team members.

    Own and role permissions are a UNION of two small joins (an OR across both relations would join every
    membership of every group first); a superuser's are every permission. `user_id` is the SQL of the
    user's id: a parameter by default (given four times, twice for a superuser), or a subquery.
    """
    permission, content_type = Permission._meta.db_table, ContentType._meta.db_table
    own = User.user_permissions.through._meta.db_table
    roles, role_permissions = User.groups.through._meta.db_table, Group.permissions.through._meta.db_table
    users, teams = User._meta.db_table, Team._meta.db_table
    granted = (
        ""
        if superuser
        else f" WHERE p.id IN (SELECT o.permission_id FROM {own} o WHERE o.user_id = {user_id} UNION SELECT "
        f"rp.permission_id FROM {role_permissions} rp JOIN {roles} r ON r.group_id = rp.group_id "
        f"WHERE r.user_id = {user_id})"
    )
    return (
        f"SELECT 'p' AS kind, ct.app_label AS app_label, p.codename AS codename, NULL AS member FROM {permission} p "
        f"JOIN {content_type} ct ON ct.id = p.content_type_id{granted} "
        f"UNION ALL SELECT 'm', NULL, NULL, u.id FROM {users} u JOIN {teams} t ON t.id = u.team_id "
        f"WHERE t.head_id = {user_id} AND u.id <> {user_id}"
    )


def load_access_facts(user: User) -> None:
    """Read the user's permissions and team members in one query and keep them on the user object."""
    rows: list[tuple[Any, ...]] = []
    if user.is_active and not user.is_anonymous:
        superuser = bool(user.is_superuser)
        rows = fetch_rows(facts_sql(superuser=superuser), [user.pk] * (2 if superuser else 4), prepare=True)
    keep_access_facts(user, rows)


def keep_access_facts(user: User, rows: Iterable[Sequence[Any]]) -> None:
    """Keep the rows of facts_sql on the user object, for a caller that read them along with something else."""
    permissions: set[str] = set()
    members: list[int] = []
    for kind, app_label, codename, member in rows:
        if kind == "p":
            permissions.add(f"{app_label}.{codename}")
        else:
            members.append(int(member))
    user._perm_cache = permissions  # type: ignore[attr-defined]  # ModelBackend's own cache attribute
    user._team_member_ids = sorted(members)  # type: ignore[attr-defined]


def forget_access_facts(user: User) -> None:
    """Drop what load_access_facts kept on this user object, for code that changes roles or teams and reads on.

    Like Django's own permission cache, the facts live as long as the user object: one request, one job.
    """
    for name in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_team_member_ids"):
        user.__dict__.pop(name, None)


def team_member_ids(user: User) -> list[int]:
    """The members of the teams `user` heads, without `user` (empty for everyone but team heads)."""
    if not hasattr(user, "_team_member_ids"):
        load_access_facts(user)
    return list(user._team_member_ids)  # type: ignore[attr-defined]


class RoleBackend(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            load_access_facts(user_obj)
        return user_obj._perm_cache  # type: ignore[no-any-return]


def owners_seen_by(user: User) -> list[int]:
    """Whose records `user` sees as their own: the user and, for a team head, the members of the teams."""
    return [user.pk, *team_member_ids(user)]
