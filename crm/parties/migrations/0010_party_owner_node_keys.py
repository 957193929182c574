"""A key per (manager, classifier node) of each party, so a manager's count in two nodes reads one small index.

"My clients in Hot and Manufacturing, how many?" through the owner GIN index of 0008 intersects the
manager's ~100,000 clients with each node's ~300,000 parties, and then rechecks every row found against
the jsonb columns: about 10 ms for 3,600 clients. With one key per pair of the party's responsible
manager or co-owner and each of its nodes and their ancestors ("7:18"), the same question intersects
"7:8" and "7:18", about 20,000 and 10,000 entries, and the answer is exact, so rows are only checked
against the visibility rule: about 4 ms (crm.parties.access.parties_visible_in_nodes).

The keys are an expression over the party's own columns, so PostgreSQL keeps them in step with every
insert and update; there is no column or trigger to maintain. PostgreSQL only; built CONCURRENTLY, so
lists and cards go on reading and writing while it is built.
"""

from django.db import migrations

# Only numbers of arrays count (silently, as anything else is no owner or node): a key per owner and node.
FUNCTION = """
CREATE OR REPLACE FUNCTION crm_party_owner_nodes(responsible bigint, co_owners jsonb, nodes jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT owner || ':' || node), '{}')
    FROM (
        SELECT responsible::text AS owner
        UNION SELECT o #>> '{}' FROM jsonb_path_query(co_owners, 'strict $[*] ? (@.type() == "number")', '{}', true) o
    ) AS owners,
    (SELECT n #>> '{}' AS node FROM jsonb_path_query(nodes, 'strict $[*] ? (@.type() == "number")', '{}', true) n) AS ns
    WHERE owner IS NOT NULL
$$
"""
INDEX = "party_owner_node_keys"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")  # left invalid by an interrupted run
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY {INDEX} ON parties_party "
        "USING gin (crm_party_owner_nodes(responsible_id, co_owner_ids, node_ids))"
    )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    schema_editor.execute("DROP FUNCTION IF EXISTS crm_party_owner_nodes(bigint, jsonb, jsonb)")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("parties", "0009_search_indexes_with_ids")]
    operations = [migrations.RunPython(forward, backward)]
