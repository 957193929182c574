"""Project-wide personas (style guide section 10) and shared fixtures."""

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import translation

from crm.accounts.models import Team, User
from crm.accounts.roles import (
    ADMINISTRATOR,
    HEAD_OF_SALES,
    MARKETER,
    OPERATOR,
    SALES_MANAGER,
    TEAM_LEAD,
    ensure_roles,
)
from tests.database_sessions import end_other_sessions, remember_who_opens_connections


def make_user(username: str, role: str, team: Team | None = None, **extra: object) -> User:
    ensure_roles()
    user = User.objects.create_user(username, f"{username}@example.com", "secret-pass-1", team=team, **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database; on PostgreSQL no session outlives the run to block dropping it."""
    remember_who_opens_connections()
    yield
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            lingering = end_other_sessions()
        if lingering:
            warnings.warn(
                pytest.PytestWarning(f"Database sessions outlived the tests: {'; '.join(lingering)}"), stacklevel=1
            )


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language: a page a user reads in English leaves the worker's thread in English."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def team_lead(db: None) -> User:
    """Head of team A: sees the team's clients, changes only own."""
    lead = make_user("lead", TEAM_LEAD, first_name="Ольга", last_name="Лидерова")
    team = Team.objects.create(name="Продажи А", head=lead)
    lead.team = team
    lead.save()
    return lead


@pytest.fixture
def team_a(team_lead: User) -> Team:
    assert team_lead.team is not None
    return team_lead.team


@pytest.fixture
def manager(team_a: Team) -> User:
    """A sales manager of team A: owns clients."""
    return make_user("manager", SALES_MANAGER, team=team_a, first_name="Иван", last_name="Петров")


@pytest.fixture
def colleague(team_a: Team) -> User:
    """Another manager of team A."""
    return make_user("colleague", SALES_MANAGER, team=team_a, first_name="Мария", last_name="Сидорова")


@pytest.fixture
def outsider(db: None) -> User:
    """A sales manager of another team."""
    other = Team.objects.create(name="Продажи Б")
    return make_user("outsider", SALES_MANAGER, team=other, first_name="Пётр", last_name="Чужой")


@pytest.fixture
def head_of_sales(db: None) -> User:
    return make_user("head", HEAD_OF_SALES, first_name="Анна", last_name="Главная")


@pytest.fixture
def administrator(db: None) -> User:
    return make_user("admin", ADMINISTRATOR, is_staff=True)


@pytest.fixture
def marketer(db: None) -> User:
    return make_user("marketer", MARKETER)


@pytest.fixture
def operator(db: None) -> User:
    return make_user("operator", OPERATOR)
