"""Who may choose which roles see which client data (X4): URL x method x persona (style guide 6, 10).

Only the administrator (`parties.manage_field_access`) opens and saves the grid; everyone else gets 403
and the roles' grants stay as they were.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from crm.accounts.models import User
from crm.accounts.roles import OPERATOR
from crm.parties.fields import FIELD_GROUPS
from tests.access import Case, anonymous_status, check_access, only, send_request


@dataclass
class FieldAccessWorld:
    """The shipped roles with their default grants."""

    operator_role: Group


@pytest.fixture
def world(operator: User) -> FieldAccessWorld:
    return FieldAccessWorld(operator_role=Group.objects.get(name=OPERATOR))


def _grant_bank_to_the_operator(w: FieldAccessWorld) -> dict[str, Any]:
    return {"roles": [w.operator_role.pk], "grants": [f"{w.operator_role.pk}:bank"]}


FieldAccessCase = Case[FieldAccessWorld]

CASES: list[FieldAccessCase] = [
    Case("parties:field-access", "get", only(200, "administrator")),
    Case("parties:field-access", "post", only(302, "administrator"), data=_grant_bank_to_the_operator),
]


def _snapshot(world: FieldAccessWorld) -> Any:
    """The field grants of every role."""
    codenames = [group.codename for group in FIELD_GROUPS]
    rows = Permission.group_set.through.objects.filter(permission__codename__in=codenames)
    return sorted(rows.values_list("group_id", "permission__codename"))


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[f"{c.id}-{n}" for n, c in enumerate(CASES)])
def test_access(request: pytest.FixtureRequest, world: FieldAccessWorld, case: FieldAccessCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.method == "get"], ids=lambda c: c.id)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: FieldAccessWorld, case: FieldAccessCase) -> None:
    assert send_request(client, case, world) == anonymous_status(case, {})
