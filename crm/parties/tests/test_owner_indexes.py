"""The co-owner copy on each client and the index-friendly visibility rule built on it (parties 0008)."""

from typing import Any

import pytest
from django.db import connection

from crm.accounts.models import User
from crm.core.db import contains_casefold
from crm.parties import selectors, services
from crm.parties.access import parties_visible_to
from crm.parties.models import Party, PartyClassification
from crm.parties.services import parties_rebuild_co_owner_ids, party_refresh_node_ids
from crm.parties.tests.factories import ClassifierFactory, ClassifierNodeFactory, PartyFactory

pytestmark = pytest.mark.django_db


def _copy(party: Party) -> list[int]:
    return list(Party.objects.values_list("co_owner_ids", flat=True).get(pk=party.pk))


def test_the_copy_follows_every_write_of_co_owners(manager: User, colleague: User, outsider: User) -> None:
    party = PartyFactory(responsible=manager)
    party.co_owners.add(outsider, colleague)
    assert _copy(party) == sorted([outsider.pk, colleague.pk])
    party.co_owners.remove(outsider)
    assert _copy(party) == [colleague.pk]
    party.co_owners.set([outsider])
    assert _copy(party) == [outsider.pk]
    outsider.co_owned_parties.remove(party)  # the reverse side too
    assert _copy(party) == []
    colleague.co_owned_parties.add(party)
    assert _copy(party) == [colleague.pk]
    colleague.co_owned_parties.clear()
    assert _copy(party) == []
    party.co_owners.add(colleague)
    party.co_owners.clear()
    assert _copy(party) == []


def test_a_bulk_load_rebuilds_the_copy(manager: User, colleague: User) -> None:
    party, other = PartyFactory(responsible=manager), PartyFactory(responsible=manager)
    Party.co_owners.through.objects.bulk_create([Party.co_owners.through(party_id=party.pk, user_id=colleague.pk)])
    Party.objects.filter(pk=other.pk).update(co_owner_ids=[colleague.pk])  # stale: no such co-owner
    assert _copy(party) == []  # bulk_create sends no signal
    parties_rebuild_co_owner_ids()
    assert (_copy(party), _copy(other)) == ([colleague.pk], [])


def test_a_stale_copy_never_shows_a_client(manager: User, outsider: User, colleague: User) -> None:
    party = PartyFactory(responsible=manager, name="ООО Тайна")
    Party.objects.filter(pk=party.pk).update(co_owner_ids=[outsider.pk])
    assert not parties_visible_to(outsider).filter(pk=party.pk).exists()
    assert selectors.party_search(outsider, "Тайна") == []
    party.co_owners.add(colleague)
    assert parties_visible_to(colleague).filter(pk=party.pk).exists()
    assert [p.pk for p in selectors.party_search(colleague, "Тайна")] == [party.pk]


def _plan(sql: str, params: Any) -> str:
    """The plan when only the GIN indexes and the primary key are left (dropped in a rolled-back transaction).

    It shows which conditions the GIN indexes can take: the responsible manager only when compared as a
    bigint (btree_gin has no `int8 = int4` operator), the co-owner copy, the nodes and the name.
    """
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'parties_party' "
                "AND indexdef NOT ILIKE '%USING gin%' AND indexname <> 'parties_party_pkey'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("ROLLBACK")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes exist on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_the_visibility_rule_is_served_by_the_owner_gin_indexes(manager: User, colleague: User) -> None:
    hot = ClassifierNodeFactory(classifier=ClassifierFactory(name="Температура"), name="Горячий")
    party = PartyFactory(responsible=manager, name="ООО Ромашка")
    PartyClassification.objects.create(party=party, node=hot)
    party_refresh_node_ids(party)
    party.co_owners.add(colleague)

    sql, params = parties_visible_to(manager).values("pk").query.sql_with_params()
    plan = _plan(sql, params)
    assert "Bitmap Index Scan on party_owner_" in plan, plan
    assert f"Index Cond: (responsible_id = '{manager.pk}'::bigint)" in plan, plan
    assert f"Index Cond: (co_owner_ids @> '[{manager.pk}]'::jsonb)" in plan, plan

    # The name is compared in the indexed form (UPPER(name), party_owner_name_trgm's last column).
    shared = parties_visible_to(colleague).filter(contains_casefold("name", "search_name", "ромашка"))
    sql, params = shared.values("pk").query.sql_with_params()
    assert "upper((name)::text) ~~ '%РОМАШКА%'::text" in _plan(sql, params)


def test_a_merge_and_a_stale_instance_keep_the_copy(manager: User, colleague: User, outsider: User) -> None:
    keep = PartyFactory(responsible=manager, name="ООО Ромашка")
    duplicate = PartyFactory(responsible=manager, name="Ромашка ООО")
    duplicate.co_owners.add(colleague)
    stale = Party.objects.get(pk=keep.pk)  # loaded before the co-owners change
    services.party_merge(actor=manager, keep=keep, duplicate=duplicate)
    assert _copy(keep) == [colleague.pk]
    assert parties_visible_to(colleague).filter(pk=keep.pk).exists()
    stale.notes = "Позвонить в пятницу"
    stale.save()
    assert _copy(keep) == [colleague.pk]
    assert Party.objects.get(pk=keep.pk).notes == "Позвонить в пятницу"
