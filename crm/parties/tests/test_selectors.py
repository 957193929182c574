"""Reads of clients: search, visibility, classifier filters, keyset pages, stale contacts, birthdays, duplicates."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.http import QueryDict
from django.test.utils import override_settings
from django.utils import timezone

from crm.accounts.models import User
from crm.core.pagination import capped_count, keyset_page
from crm.parties import selectors
from crm.parties.filters import PartyFilter
from crm.parties.models import ClassifierNode, Party, PartyClassification
from crm.parties.services import party_refresh_node_ids
from crm.parties.tests.factories import (
    VALID_INN,
    ClassifierFactory,
    ClassifierNodeFactory,
    ContactPointFactory,
    EmailPointFactory,
    PartyContactFactory,
    PartyFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def names(parties: list[Party]) -> list[str]:
    return [p.name for p in parties]


@pytest.fixture
def romashka(manager: User) -> Party:
    party = PartyFactory(responsible=manager, name="ООО Ромашка", inn=VALID_INN)
    ContactPointFactory(party=party, value="+79161234567")
    EmailPointFactory(party=party, value="Info@Romashka.ru", search_key="info@romashka.ru")
    PartyFactory(responsible=manager, name="ООО Лютик")
    return party


@pytest.mark.parametrize("query", ["Ромаш", "ООО Ромашка", "ашк"])
def test_search_finds_by_a_part_of_the_name(manager: User, romashka: Party, query: str) -> None:
    assert names(selectors.party_search(manager, query)) == ["ООО Ромашка"]


def test_search_by_name_ignores_the_case_of_cyrillic_letters(manager: User, romashka: Party) -> None:
    assert names(selectors.party_search(manager, "ромашка")) == ["ООО Ромашка"]
    assert names(selectors.party_search(manager, "ООО РОМАШКА")) == ["ООО Ромашка"]


@pytest.mark.parametrize("query", ["8 (916) 123-45-67", "+7 916 1234567", "9161234567", "916 12", "+7 (916) 123"])
def test_search_finds_by_phone_in_any_form_and_by_its_start(manager: User, romashka: Party, query: str) -> None:
    found = selectors.party_search(manager, query)
    assert names(found) == ["ООО Ромашка"]
    assert found[0].main_phone.value == "+79161234567"  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", ["info@rom", "INFO@ROMASHKA.RU", "info@"])
def test_search_finds_by_the_start_of_an_email(manager: User, romashka: Party, query: str) -> None:
    assert names(selectors.party_search(manager, query)) == ["ООО Ромашка"]


@pytest.mark.parametrize("query", [VALID_INN, VALID_INN[:6]])
def test_search_finds_by_inn(manager: User, romashka: Party, query: str) -> None:
    assert names(selectors.party_search(manager, query)) == ["ООО Ромашка"]


def test_search_does_not_match_the_middle_of_a_phone(manager: User, romashka: Party) -> None:
    assert selectors.party_search(manager, "1234567") == []
    assert selectors.party_search(manager, "9") == []


def test_search_shows_only_clients_the_user_may_see(
    manager: User, colleague: User, team_lead: User, outsider: User, head_of_sales: User, romashka: Party
) -> None:
    assert names(selectors.party_search(colleague, "Ромашка")) == []
    assert names(selectors.party_search(outsider, "916 123")) == []
    assert names(selectors.party_search(outsider, "info@romashka.ru")) == []
    assert names(selectors.party_search(team_lead, "Ромашка")) == ["ООО Ромашка"]
    assert names(selectors.party_search(head_of_sales, "Ромашка")) == ["ООО Ромашка"]
    romashka.co_owners.add(colleague)
    assert names(selectors.party_search(colleague, "Ромашка")) == ["ООО Ромашка"]


def test_search_skips_clients_in_the_trash(manager: User, romashka: Party) -> None:
    Party.objects.filter(pk=romashka.pk).update(is_deleted=True)
    assert selectors.party_search(manager, "Ромашка") == []


def test_search_result_shows_a_persons_employers(manager: User) -> None:
    link = PartyContactFactory(organization__responsible=manager, organization__name="ООО Берёза")
    found = selectors.party_search(manager, link.person.last_name)
    assert [(p.pk, [e.organization.name for e in p.employers]) for p in found] == [(link.person.pk, ["ООО Берёза"])]  # type: ignore[attr-defined]


@pytest.fixture
def trees() -> dict[str, object]:
    """Two classifier trees: industry (production > food, trade) and temperature (hot, cold)."""
    industry, temperature = ClassifierFactory(name="Отрасль"), ClassifierFactory(name="Температура")
    production = ClassifierNodeFactory(classifier=industry, name="Производство")
    food = ClassifierNodeFactory(classifier=industry, parent=production, name="Пищевое")
    trade = ClassifierNodeFactory(classifier=industry, name="Торговля")
    hot = ClassifierNodeFactory(classifier=temperature, name="Горячий")
    cold = ClassifierNodeFactory(classifier=temperature, name="Холодный")
    return {"production": production, "food": food, "trade": trade, "hot": hot, "cold": cold}


def _classified(manager: User, name: str, *nodes: ClassifierNode) -> Party:
    party = PartyFactory(responsible=manager, name=name)
    for node in nodes:
        PartyClassification.objects.create(party=party, node=node)
    party_refresh_node_ids(party)
    return party


def _filtered(user: User, *nodes: object) -> list[str]:
    query = Party.objects.filter(selectors.nodes_filter(n.pk for n in nodes))  # type: ignore[attr-defined]
    return sorted(query.values_list("name", flat=True))


def test_classifier_filter_and_across_trees_or_within_a_tree_and_descendants(
    manager: User, trees: dict[str, ClassifierNode]
) -> None:
    _classified(manager, "пищевой горячий", trees["food"], trees["hot"])
    _classified(manager, "производство холодный", trees["production"], trees["cold"])
    _classified(manager, "торговля горячий", trees["trade"], trees["hot"])
    _classified(manager, "торговля", trees["trade"])
    _classified(manager, "ничего")
    # A node includes its descendants.
    assert _filtered(manager, trees["production"]) == ["пищевой горячий", "производство холодный"]
    # OR within one tree.
    assert _filtered(manager, trees["food"], trees["trade"]) == ["пищевой горячий", "торговля", "торговля горячий"]
    # AND across trees.
    assert _filtered(manager, trees["production"], trees["hot"]) == ["пищевой горячий"]
    assert _filtered(manager, trees["production"], trees["trade"], trees["hot"]) == [
        "пищевой горячий",
        "торговля горячий",
    ]
    assert _filtered(manager, trees["hot"], trees["cold"]) == [
        "пищевой горячий", "производство холодный", "торговля горячий",
    ]  # fmt: skip


def test_the_list_filter_uses_the_same_classifier_semantics(manager: User, trees: dict[str, ClassifierNode]) -> None:
    _classified(manager, "пищевой горячий", trees["food"], trees["hot"])
    _classified(manager, "торговля", trees["trade"])
    data = {"node": [str(trees["production"].pk), str(trees["hot"].pk)]}
    filtered = PartyFilter(data, queryset=selectors.party_list_for(manager)).qs
    assert list(filtered.values_list("name", flat=True)) == ["пищевой горячий"]


def _listed_and_counted(user: User, *nodes: ClassifierNode) -> tuple[list[str], list[str]]:
    params = QueryDict(mutable=True)
    params.setlist("node", [str(node.pk) for node in nodes])
    branches = selectors.party_list_branches(user, params)
    listed = sorted(name for branch in branches.rows for name in branch.values_list("name", flat=True))
    counted = sorted(name for branch in branches.counted for name in branch.values_list("name", flat=True))
    return listed, counted


def test_the_list_count_counts_the_clients_the_list_shows(
    manager: User,
    colleague: User,
    team_lead: User,
    outsider: User,
    head_of_sales: User,
    trees: dict[str, ClassifierNode],
) -> None:
    food, trade, production = trees["food"], trees["trade"], trees["production"]
    hot, cold = trees["hot"], trees["cold"]
    _classified(manager, "свой пищевой горячий", food, hot)
    _classified(manager, "свой торговля", trade)
    _classified(manager, "свой производство холодный", production, cold)
    _classified(colleague, "коллеги пищевой горячий", food, hot).co_owners.add(manager)
    _classified(colleague, "коллеги производство горячий", production, hot)
    stale = _classified(outsider, "чужой с устаревшей копией", food, hot)
    Party.objects.filter(pk=stale.pk).update(co_owner_ids=[manager.pk])  # the copy says so, the rule does not
    deleted = _classified(manager, "свой в корзине", food, hot)
    Party.objects.filter(pk=deleted.pk).update(is_deleted=True)

    assert _listed_and_counted(manager, production, hot) == (["коллеги пищевой горячий", "свой пищевой горячий"],) * 2
    for user in (manager, colleague, team_lead, outsider, head_of_sales):
        for nodes in [(production, hot), (food, trade), (hot,), (production, trade, hot, cold), (cold,)]:
            listed, counted = _listed_and_counted(user, *nodes)
            assert counted == listed, (user.username, [n.name for n in nodes])
    keyed = selectors.party_list_branches(manager, QueryDict(f"node={hot.pk}")).counted
    everyone = selectors.party_list_branches(head_of_sales, QueryDict(f"node={hot.pk}")).counted
    # PostgreSQL counts a manager's clients in nodes by their (owner, node) keys; whoever sees all, as listed.
    assert ("crm_party_owner_nodes" in str(keyed[0].query)) == (connection.vendor == "postgresql")
    assert "crm_party_owner_nodes" not in str(everyone[0].query)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the (owner, node) keys are PostgreSQL's")
def test_owner_node_keys_name_every_owner_with_every_node_and_serve_the_count(
    manager: User, colleague: User, trees: dict[str, ClassifierNode]
) -> None:
    party = _classified(manager, "пищевой горячий", trees["food"], trees["hot"])
    party.co_owners.add(colleague)
    party.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT crm_party_owner_nodes(responsible_id, co_owner_ids, node_ids) FROM parties_party WHERE id = %s",
            [party.pk],
        )
        (keys,) = cursor.fetchone()
        nodes = [trees["production"].pk, trees["food"].pk, trees["hot"].pk]  # an ancestor too
        assert sorted(keys) == sorted(f"{owner}:{node}" for owner in (manager.pk, colleague.pk) for node in nodes)
        cursor.execute(
            "SELECT crm_party_owner_nodes(1, '[]', '[]'), crm_party_owner_nodes(1, 'null', '{\"a\": 2}'), "
            "crm_party_owner_nodes(1, '[\"x\", 2]', '[3, null]'), crm_party_owner_nodes(NULL, '[]', '[3]')"
        )
        assert cursor.fetchone() == ([], [], ["1:3", "2:3"], [])
        # The count's condition is the indexed expression itself (no table scan allowed, so any index it can use).
        counted = selectors.party_list_branches(manager, QueryDict(f"node={trees['hot'].pk}")).counted[0]
        sql, params = counted.order_by().values("pk").query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "party_owner_node_keys" in plan, plan


def test_keyset_pages_are_stable_with_ties_and_cover_every_row_once(manager: User) -> None:
    for i in range(7):
        PartyFactory(responsible=manager, name="ООО Одинаковое", region=f"Р{i}")
    for i in range(5):
        PartyFactory(responsible=manager, name=f"ООО Б{i}")
    queryset = selectors.party_list_for(manager)
    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_page(queryset, ["name"], cursor, size=5)
        assert page.total == 12 + len(seen) // 5
        seen += [p.pk for p in page.rows]
        # A row inserted before the cursor does not shift the next page.
        PartyFactory(responsible=manager, name="ААА вставлено позже")
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = list(
        Party.objects.exclude(name="ААА вставлено позже").order_by("name", "pk").values_list("pk", flat=True)
    )
    assert seen == expected


def test_keyset_pages_by_a_descending_date(manager: User) -> None:
    base = timezone.now()
    parties = [PartyFactory(responsible=manager) for _ in range(5)]
    for i, party in enumerate(parties):
        Party.objects.filter(pk=party.pk).update(updated_at=base - datetime.timedelta(hours=i // 2))
    first = keyset_page(Party.objects.all(), ["-updated_at"], None, size=3)
    second = keyset_page(Party.objects.all(), ["-updated_at"], first.next_cursor, size=3)
    assert [p.pk for p in first.rows + second.rows] == [p.pk for p in Party.objects.order_by("-updated_at", "-pk")]
    assert second.next_cursor is None


def test_a_broken_cursor_starts_from_the_first_page(manager: User) -> None:
    PartyFactory.create_batch(2, responsible=manager)
    page = keyset_page(Party.objects.all(), ["name"], "not-a-cursor", size=5)
    assert len(page.rows) == 2


@override_settings(CRM_LIST_COUNT_CAP=3)
def test_count_is_capped(manager: User) -> None:
    PartyFactory.create_batch(5, responsible=manager)
    assert capped_count(Party.objects.all()) == (3, True)
    assert capped_count(Party.objects.all()[:0].model.objects.filter(pk__lt=0)) == (0, False)
    assert capped_count(Party.objects.all(), cap=10) == (5, False)


def test_stale_contact_points_are_own_old_ones_oldest_first(manager: User, colleague: User) -> None:
    now = timezone.now()
    mine = PartyFactory(responsible=manager)
    old = ContactPointFactory(party=mine, confirmed_at=now - datetime.timedelta(days=400))
    older = EmailPointFactory(party=mine, confirmed_at=now - datetime.timedelta(days=500))
    ContactPointFactory(party=mine, confirmed_at=now - datetime.timedelta(days=10))
    ContactPointFactory(party=mine, kind="site", value="romashka.ru", confirmed_at=now - datetime.timedelta(days=900))
    ContactPointFactory(party__responsible=colleague, confirmed_at=now - datetime.timedelta(days=900))
    trashed = PartyFactory(responsible=manager, is_deleted=True)
    ContactPointFactory(party=trashed, confirmed_at=now - datetime.timedelta(days=900))
    assert list(selectors.stale_contact_points_for(manager)) == [older, old]


def test_birthdays_this_week_across_the_year_end(manager: User, outsider: User) -> None:
    for day in (datetime.date(1980, 12, 27), datetime.date(1985, 12, 28), datetime.date(1990, 1, 3),
                datetime.date(1991, 12, 31), datetime.date(1975, 1, 4)):  # fmt: skip
        PersonFactory(responsible=manager, last_name=f"Д{day:%m%d}", birthday=day)
    PersonFactory(responsible=outsider, last_name="Чужой", birthday=datetime.date(1980, 12, 29))
    with time_machine.travel(datetime.datetime(2026, 12, 30, 12, 0, tzinfo=datetime.UTC), tick=False):
        start = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
        assert start == datetime.date(2026, 12, 28)
        found = selectors.birthdays_between(manager, start, 7)
        # In calendar order: December before January.
        assert [p.last_name for p in found] == ["Д1228", "Д1231", "Д0103"]


def test_possible_duplicates_by_inn_phone_email_and_name_core(manager: User, outsider: User) -> None:
    party = PartyFactory(responsible=outsider, name="ООО «Ромашка»", inn=VALID_INN)
    ContactPointFactory(party=party, value="+79161234567")
    EmailPointFactory(party=party, value="info@romashka.ru", search_key="info@romashka.ru")
    PartyFactory(responsible=outsider, name="ООО Лютик")
    assert names(selectors.possible_duplicates(manager, inn=VALID_INN)) == ["ООО «Ромашка»"]
    assert names(selectors.possible_duplicates(manager, phones=["8 (916) 123-45-67"])) == ["ООО «Ромашка»"]
    assert names(selectors.possible_duplicates(manager, emails=[" INFO@romashka.ru "])) == ["ООО «Ромашка»"]
    assert names(selectors.possible_duplicates(manager, name="Ромашка, АО")) == ["ООО «Ромашка»"]
    assert selectors.possible_duplicates(manager, name="ООО") == []
    assert selectors.possible_duplicates(manager, inn=VALID_INN, exclude_pk=party.pk) == []
    assert selectors.possible_duplicates(manager, phones=["", "12"], emails=[""]) == []
