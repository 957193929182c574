"""RoleBackend: a user's own and their roles' permissions, read in one query."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from crm.accounts.models import User

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache


def test_own_and_role_permissions_in_one_query() -> None:
    user = make_user("seller", "sales_manager")
    user.user_permissions.add(Permission.objects.get(codename="view_all_parties"))
    user = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("parties.view_all_parties")  # granted to the user
        assert user.has_perm("sales.add_deal")  # granted to the role
        assert not user.has_perm("parties.merge_parties")
    assert len(queries) == 1


def test_a_role_change_counts_on_the_next_request_and_inactive_users_have_none() -> None:
    user = make_user("seller", "sales_manager")
    user.groups.add(Group.objects.get(name="head_of_sales"))
    assert _fresh(user).has_perm("parties.merge_parties")
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert not _fresh(user).has_perm("sales.add_deal")


def test_a_superuser_has_every_permission() -> None:
    boss = User.objects.create_superuser("boss", "boss@example.com", "secret-pass-1")
    assert _fresh(boss).has_perm("parties.merge_parties")
    assert "parties.merge_parties" in _fresh(boss).get_all_permissions()
