"""The hand-written hot path of search as you type: the access rule as SQL, rows made into models, one query each.

The rule is written twice in crm.parties.access (a queryset and SQL text); these tests hold the two equal for
every role, and the search results equal to what the ORM reads, on both databases (the CI runs this file on
PostgreSQL too).
"""

import datetime

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from crm.accounts.authentication import UserTokenAuthentication
from crm.accounts.backends import forget_access_facts, owners_seen_by, team_member_ids
from crm.accounts.models import User
from crm.core.db import fetch_rows
from crm.parties import selectors
from crm.parties.access import parties_visible_to, visible_branches_sql
from crm.parties.api.serializers import PartyListOutput
from crm.parties.choices import ContactKind
from crm.parties.models import ContactPoint, Party
from crm.parties.tests.factories import (
    ContactPointFactory,
    EmailPointFactory,
    PartyContactFactory,
    PartyFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["manager", "colleague", "team_lead", "outsider", "head_of_sales", "administrator", "marketer", "operator"]


@pytest.fixture
def clients(manager: User, colleague: User, outsider: User) -> list[Party]:
    """Own, a colleague's (co-owned by the manager), an outsider's, and one in the trash."""
    own = PartyFactory(responsible=manager, name="ООО Своя")
    shared = PartyFactory(responsible=colleague, name="ООО Общая")
    shared.co_owners.add(manager)
    other = PartyFactory(responsible=outsider, name="ООО Чужая")
    gone = PartyFactory(responsible=manager, name="ООО Удалённая", is_deleted=True)
    return [own, shared, other, gone]


def _visible_by_sql(user: User) -> set[int]:
    found: set[int] = set()
    for condition, params in visible_branches_sql(user, "p"):
        found |= {row[0] for row in fetch_rows(f"SELECT p.id FROM {Party._meta.db_table} p WHERE {condition}", params)}
    return found


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_rule_as_sql_sees_what_the_queryset_sees(
    request: pytest.FixtureRequest, clients: list[Party], persona: str
) -> None:
    user = User.objects.get(pk=request.getfixturevalue(persona).pk)
    expected = set(parties_visible_to(user).values_list("pk", flat=True))
    assert _visible_by_sql(user) == expected
    if persona == "manager":
        assert expected == {clients[0].pk, clients[1].pk}


def test_an_inactive_user_sees_nothing_either_way(manager: User, clients: list[Party]) -> None:
    User.objects.filter(pk=manager.pk).update(is_active=False)
    user = User.objects.get(pk=manager.pk)
    assert visible_branches_sql(user) == []
    assert not parties_visible_to(user).exists()


def test_permissions_and_team_members_come_in_one_query(team_lead: User, manager: User, colleague: User) -> None:
    lead = User.objects.get(pk=team_lead.pk)
    with CaptureQueriesContext(connection) as queries:
        granted = lead.get_all_permissions()
        assert granted
        assert all(lead.has_perm(name) for name in granted)
        assert sorted(team_member_ids(lead)) == sorted([manager.pk, colleague.pk])
        assert owners_seen_by(lead)[0] == lead.pk
    assert len(queries) == 1
    assert team_member_ids(User.objects.get(pk=manager.pk)) == []


def test_the_token_brings_the_same_permissions_and_team_as_the_backend_reads(
    team_lead: User, manager: User, colleague: User, marketer: User
) -> None:
    view_all = Permission.objects.get(codename="view_all_parties")
    manager.user_permissions.add(view_all)  # a permission of the user's own, beside the role's
    for persona in (team_lead, manager, marketer):
        token = Token.objects.create(user=persona)
        with CaptureQueriesContext(connection) as queries:
            user, _token = UserTokenAuthentication().authenticate_credentials(token.key)
            from_token = (user.get_all_permissions(), team_member_ids(user))
        assert len([q for q in queries.captured_queries if q["sql"] != "SELECT 1"]) == 1
        fresh = User.objects.get(pk=persona.pk)
        assert from_token == (ModelBackend().get_all_permissions(fresh), team_member_ids(fresh))
        assert from_token[0]
    assert "parties.view_all_parties" in User.objects.get(pk=manager.pk).get_all_permissions()
    assert sorted(team_member_ids(User.objects.get(pk=team_lead.pk))) == sorted([manager.pk, colleague.pk])


def test_search_rows_are_models_with_the_values_the_orm_reads(manager: User) -> None:
    """Datetimes come back aware and equal (SQLite stores text), booleans as booleans, deferred fields load."""
    party = PartyFactory(responsible=manager, name="ООО Ромашка", region="Москва")
    point = ContactPointFactory(party=party, value="+79161234567", is_primary=True)
    point.confirmed_at = timezone.now() - datetime.timedelta(days=3)
    point.save()
    [found] = selectors.party_search(manager, "ромаш")
    fresh = Party.objects.get(pk=party.pk)
    assert (found.pk, found.name, found.kind, found.region, found.updated_at) == (
        fresh.pk,
        fresh.name,
        fresh.kind,
        fresh.region,
        fresh.updated_at,
    )
    assert found.updated_at.tzinfo is not None
    assert found.responsible == manager
    assert found.responsible.last_name == manager.last_name
    phone = found.main_phone  # type: ignore[attr-defined]
    assert phone.is_primary is True
    assert phone.confirmed_at == ContactPoint.objects.get(pk=point.pk).confirmed_at
    assert found.custom_data == fresh.custom_data  # a field the query did not read loads on access


def test_search_merges_branches_drops_duplicates_and_keeps_the_limit(manager: User, colleague: User) -> None:
    for n in range(12):
        party = PartyFactory(responsible=manager, name=f"ООО Ромашка {n:02d}")
        EmailPointFactory(party=party, value=f"romashka{n}@example.com", search_key=f"romashka{n}@example.com")
    shared = PartyFactory(responsible=colleague, name="ООО Ромашка общая")
    shared.co_owners.add(manager)
    manager = User.objects.get(pk=manager.pk)
    found = selectors.party_search(manager, "ромашка", limit=10)  # each matches by name and by e-mail
    assert [p.name for p in found] == [f"ООО Ромашка {n:02d}" for n in range(10)]
    assert "ООО Ромашка общая" in [p.name for p in selectors.party_search(manager, "ромашка", limit=20)]


def test_the_summary_shows_the_primary_point_of_each_kind_else_the_oldest(manager: User) -> None:
    first, second = PartyFactory(responsible=manager), PartyFactory(responsible=manager)
    ContactPointFactory(party=first, value="+79160000001")
    primary = ContactPointFactory(party=first, value="+79160000002", is_primary=True)
    ContactPointFactory(party=first, value="+79160000003")
    oldest_email = ContactPointFactory(party=first, kind=ContactKind.EMAIL, value="a@example.com")
    ContactPointFactory(party=first, kind=ContactKind.EMAIL, value="b@example.com")
    oldest = ContactPointFactory(party=second, value="+79160000004")
    ContactPointFactory(party=second, value="+79160000005")
    summed = selectors.with_card_summary([first, second])
    shown = [(p.main_phone and p.main_phone.pk, p.main_email and p.main_email.pk) for p in summed]  # type: ignore[attr-defined]
    assert shown == [(primary.pk, oldest_email.pk), (oldest.pk, None)]


def test_a_deleted_employer_is_not_shown_in_the_search_result(manager: User) -> None:
    live = PartyContactFactory(organization__responsible=manager, organization__name="ООО Живая")
    gone = PartyContactFactory(person=live.person, organization__responsible=manager, organization__name="ООО Закрытая")
    Party.objects.filter(pk=gone.organization_id).update(is_deleted=True)
    [found] = selectors.party_search(manager, live.person.last_name)
    assert [link.organization.name for link in found.employers] == ["ООО Живая"]  # type: ignore[attr-defined]


def test_the_search_api_runs_a_fixed_number_of_queries_whatever_it_finds(manager: User) -> None:
    """Token's user with the permissions and team, the prefixes' candidates, the search, the summary.

    (Plus a health check on PostgreSQL.) A name part of two letters has no e-mail prefix to collect; a
    number no contact point starts with needs no search.
    """
    token = Token.objects.create(user=manager)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    for n in range(15):
        person = PersonFactory(responsible=manager, last_name=f"Иванов{n}")
        ContactPointFactory(party=person, value=f"+7916123{n:04d}")
        PartyContactFactory(person=person, organization__responsible=manager)
    counts = []
    for query in ("Иванов1", "Иванов", "+7 916 123", "Ив", "нет такого", "+7 999 000"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/search/", {"q": query})
        assert response.status_code == 200
        counts.append(len([q for q in queries.captured_queries if q["sql"] != "SELECT 1"]))
    assert counts == [4, 4, 4, 3, 3, 2]  # nothing found by name: no summary to read


def test_a_prefix_with_more_candidates_than_collected_is_matched_in_place_with_the_same_result(
    manager: User, colleague: User
) -> None:
    for n in range(15):
        person = PersonFactory(responsible=manager if n % 3 else colleague, last_name=f"Иванов{14 - n:02d}")
        ContactPointFactory(party=person, value=f"+7916123{n:04d}")
        ContactPointFactory(party=person, kind=ContactKind.EMAIL, value=f"ivanov{n}@example.com")
    manager = User.objects.get(pk=manager.pk)
    for query in ("916 123", "ivanov1"):
        with CaptureQueriesContext(connection) as queries:
            few = [p.name for p in selectors.party_search(manager, query, limit=1)]  # 5 candidates at most
        assert "p.id IN (SELECT c.party_id" in queries.captured_queries[-2]["sql"]  # matched in place
        many = [p.name for p in selectors.party_search(manager, query, limit=20)]  # all candidates collected
        assert few == many[:1]
        assert all(name.startswith("Иванов") for name in many)
    assert len(selectors.party_search(manager, "916 123")) == 10  # the colleague's five stay hidden


def test_an_unknown_or_inactive_token_is_refused_with_drfs_message(manager: User) -> None:
    unknown = Client(HTTP_AUTHORIZATION="Token nope").get("/api/v1/search/", {"q": "ром"})
    token = Token.objects.create(user=manager)
    User.objects.filter(pk=manager.pk).update(is_active=False)
    inactive = Client(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/search/", {"q": "ром"})
    # 403, not 401: session authentication comes first and sends no WWW-Authenticate challenge.
    assert (unknown.status_code, unknown.json()) == (403, {"detail": "Недействительный токен."})
    assert (inactive.status_code, inactive.json()) == (403, {"detail": "Пользователь неактивен или удален."})


@pytest.mark.parametrize("persona", ["manager", "operator"])
def test_the_written_out_list_row_equals_drfs_field_by_field_rendering(
    request: pytest.FixtureRequest, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    party = PartyFactory(responsible=user, name="ООО Ромашка")
    ContactPointFactory(party=party, value="+79161234567")
    EmailPointFactory(party=party, value="info@romashka.ru", search_key="info@romashka.ru")
    [row] = selectors.with_card_summary([Party.objects.select_related("responsible").get(pk=party.pk)])

    class Fake:
        pass

    fake = Fake()
    fake.user = User.objects.get(pk=user.pk)  # type: ignore[attr-defined]
    serializer = PartyListOutput(row, context={"request": fake})
    written = serializer.to_representation(row)
    by_fields = super(PartyListOutput, serializer).to_representation(row)
    assert written == dict(by_fields)
    assert list(written) == list(by_fields)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_fixed_queries_of_a_request_are_prepared_once_and_planned_once(manager: User) -> None:
    token = Token.objects.create(user=manager)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    PartyFactory(responsible=manager, name="ООО Ромашка")
    for _ in range(3):
        assert client.get("/api/v1/search/", {"q": "ромашка"}).status_code == 200
    prepared = fetch_rows("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements", [])
    token_query = [row for row in prepared if "authtoken_token" in row[0]]
    assert len(token_query) == 1
    assert token_query[0][1:] == (3, 0)
    assert not [row for row in prepared if "LIKE" in row[0]]  # a name part is planned for its value


def test_each_prefix_keeps_its_own_first_matches_by_name(manager: User) -> None:
    """As matching in place does: the phone's first match by name and the INN's, merged by the folded name."""
    by_phone = PartyFactory(responsible=manager, name="alice")
    ContactPointFactory(party=by_phone, value="+79161230000")
    PartyFactory(responsible=manager, name="Bob", inn="9161230001")
    assert [p.name for p in selectors.party_search(manager, "916123", limit=1)] == ["alice"]
    assert [p.name for p in selectors.party_search(manager, "916123", limit=2)] == ["alice", "Bob"]


@pytest.mark.parametrize("typed", ["ab\U0010ffff", "ab\ud7ff", "ab\x00c", "\x00\x00"])
def test_characters_at_the_edges_of_unicode_find_nothing_without_error(manager: User, typed: str) -> None:
    token = Token.objects.create(user=manager)
    response = Client(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/search/", {"q": typed})
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_phone_search_is_prepared_unless_its_prefix_is_matched_in_place(manager: User) -> None:
    for n in range(12):
        ContactPointFactory(party=PartyFactory(responsible=manager), value=f"+7916123{n:04d}")
    for typed in ("916 123 0001", "916 123 0002", "916 123 0003"):
        assert len(selectors.party_search(manager, typed)) == 1
    selectors.party_search(manager, "916 123", limit=2)  # 12 candidates for at most 10: matched in place

    prepared = fetch_rows("SELECT statement, generic_plans FROM pg_prepared_statements", [])
    ranked = [row for row in prepared if "ANY(" in row[0] and "accounts_user" in row[0]]
    assert [row[1] for row in ranked] == [3]  # parsed and planned once, executed with each number
    assert [row for row in prepared if "~>=~" in row[0]]  # the candidates too
    assert not [row for row in prepared if "LIKE" in row[0]]


def test_forgetting_the_access_facts_reads_a_changed_team(team_lead: User, manager: User, outsider: User) -> None:
    lead = User.objects.get(pk=team_lead.pk)
    assert outsider.pk not in team_member_ids(lead)
    User.objects.filter(pk=outsider.pk).update(team=team_lead.team)
    assert outsider.pk not in team_member_ids(lead)  # kept for the life of the object, like Django's permissions
    forget_access_facts(lead)
    assert outsider.pk in team_member_ids(lead)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_preparing_stays_off_for_djangos_own_queries(manager: User) -> None:
    selectors.with_card_summary([PartyFactory(responsible=manager)])
    raw = connection.connection
    assert raw.prepare_threshold is None  # psycopg keeps no account of the ORM's statements
    assert raw._prepared._names  # yet our statement stays prepared


@pytest.mark.parametrize("typed", ["8 (916) 123", "8 916 123-4", "8916123", "+7 916 123", "916 123"])
def test_a_number_typed_with_the_trunk_8_is_found_before_it_is_complete(manager: User, typed: str) -> None:
    party = PartyFactory(responsible=manager, name="ООО Ромашка")
    ContactPointFactory(party=party, value="+79161234567")
    other = PartyFactory(responsible=manager, name="ООО Восемь")
    ContactPointFactory(party=other, value="+78916123400")  # a national number that starts with 8916
    with CaptureQueriesContext(connection) as queries:
        found = [p.name for p in selectors.party_search(manager, typed)]
    assert "ООО Ромашка" in found
    # Each prefix collects its candidates in a range of its own: an OR of ranges reads both whole ranges.
    assert " OR " not in next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT 0, x.*"))
    assert ("ООО Восемь" in found) == typed.startswith("8")  # "8916..." may also be that number
