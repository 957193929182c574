"""Django's ModelBackend, reading a user's permissions in one query instead of two.

Every request asks `has_perm` (access rules, field hiding, menus); ModelBackend reads the user's own and
their roles' permissions with two joins on the first call. One query with both branches halves that.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            columns = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                rows = Permission.objects.order_by().values_list(*columns)
            else:
                # A UNION of two small joins: an OR across both relations would join every membership of
                # every group before filtering (slower with each user added).
                own = Permission.objects.filter(user=user_obj).order_by().values_list(*columns)
                rows = own.union(Permission.objects.filter(group__user=user_obj).order_by().values_list(*columns))
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache  # type: ignore[no-any-return]
