"""The benchmark's bare floor (bench/floor_app.py) gives the CRM's answers, so that the ratios to it mean something.

The benchmark compares both answers on the big database before it measures (bench.py `agreement`); these tests
hold the floor's search to the CRM's on both databases where the two are easiest to part: prefixes with more
matches than either collects as candidates.
"""

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.db import connection

from crm.accounts.models import User
from crm.parties import selectors
from crm.parties.tests.factories import ContactPointFactory, EmailPointFactory, PartyFactory

pytestmark = pytest.mark.django_db

BROAD = 130  # more than the 5 x 20 candidates a prefix collects from its index


def _floor_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("floor_app", Path(__file__).parent.parent / "bench" / "floor_app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def floor() -> Any:
    connection.ensure_connection()
    return _floor_module().Floor(conn=connection.connection)


@pytest.fixture
def crowd(manager: User, colleague: User, outsider: User) -> None:
    """The manager's clients, each with a phone, an INN and a `sales@` address, named against the addresses' order.

    So the first addresses by the index are the last names by name. Beside them: an outsider's client and one in
    the trash that sort first by name, and a colleague's client co-owned by the manager.
    """
    for n in range(BROAD):
        party = PartyFactory(responsible=manager, name=f"ООО Клиент {999 - n:03}")
        ContactPointFactory(party=party, value=f"+7916555{n:04d}")
        EmailPointFactory(party=party, value=f"sales@{n:03}.example.ru")
    for name, responsible, deleted in [
        ("ООО Клиент 000", outsider, False),
        ("ООО Клиент 001", colleague, False),
        ("ООО Клиент 002", manager, True),
    ]:
        party = PartyFactory(responsible=responsible, name=name, is_deleted=deleted)
        EmailPointFactory(party=party, value=f"sales@9{name[-2:]}.example.ru")
        if responsible == colleague:
            party.co_owners.add(manager)
    # Upper case sorts before lower case by code point, not by the case-folded name.
    PartyFactory(responsible=manager, name="АНО «Ефимов и партнёры»")
    PartyFactory(responsible=manager, name="Абрамова Олимпиада Ефимовна", kind="person")


@pytest.mark.usefixtures("crowd")
@pytest.mark.parametrize(
    "query", ["sales@", "SALES@0", "sales@12", "+7 916", "8 (916) 555-01", "7700", "Клиент 9", "ефимов"]
)
def test_the_floor_finds_what_the_crm_finds(floor: Any, manager: User, query: str) -> None:
    crm = [party.pk for party in selectors.party_search(manager, query)]
    assert crm, "the query should find something"
    assert [row["id"] for row in floor.search(manager.pk, query)] == crm


@pytest.mark.usefixtures("crowd")
def test_a_prefix_with_many_matches_finds_the_first_visible_by_name_not_the_first_by_address(
    floor: Any, manager: User
) -> None:
    expected = ["ООО Клиент 001", *(f"ООО Клиент {n}" for n in range(870, 889))]
    assert [row["name"] for row in floor.search(manager.pk, "sales@")] == expected
    assert [party.name for party in selectors.party_search(manager, "sales@")] == expected
