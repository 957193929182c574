"""Co-owners copied onto the party, and PostgreSQL indexes that answer "a manager's clients" with the rest.

A sales manager's list ("my clients in Hot and Manufacturing, by name"), its capped count and the search
as you type each intersect the manager's ~100,000 clients with a condition matching as many rows elsewhere.
As separate indexes that is a BitmapAnd over both sets; with the manager in the same GIN index
(btree_gin for `responsible_id`, jsonb for the co-owners) the index intersects them and hands over only
the rows that match. A multi-column GIN index serves conditions on any of its columns, so these two
replace the single-column indexes on `node_ids` and `UPPER(name)`.
"""

from django.db import migrations, models

FILL_SQL = """
UPDATE parties_party p SET co_owner_ids = s.ids
FROM (SELECT party_id, jsonb_agg(user_id ORDER BY user_id) AS ids FROM parties_party_co_owners GROUP BY party_id) s
WHERE p.id = s.party_id
"""

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX IF NOT EXISTS party_owner_nodes_gin ON parties_party "
    "USING gin (responsible_id, co_owner_ids jsonb_path_ops, node_ids jsonb_path_ops)",
    "CREATE INDEX IF NOT EXISTS party_owner_name_trgm ON parties_party "
    "USING gin (responsible_id, co_owner_ids jsonb_path_ops, UPPER(name) gin_trgm_ops)",
    "DROP INDEX IF EXISTS party_node_ids_gin",
    "DROP INDEX IF EXISTS party_name_upper_trgm",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS party_node_ids_gin ON parties_party USING gin (node_ids jsonb_path_ops)",
    "CREATE INDEX IF NOT EXISTS party_name_upper_trgm ON parties_party USING gin (UPPER(name) gin_trgm_ops)",
    "DROP INDEX IF EXISTS party_owner_nodes_gin",
    "DROP INDEX IF EXISTS party_owner_name_trgm",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_SQL)
        for statement in FORWARD:
            schema_editor.execute(statement)
        return
    Party = apps.get_model("parties", "Party")
    owners = {}
    for party_id, user_id in Party.co_owners.through.objects.values_list("party_id", "user_id").order_by("user_id"):
        owners.setdefault(party_id, []).append(user_id)
    batch = []
    for party in Party.objects.filter(pk__in=list(owners)).only("pk"):
        party.co_owner_ids = owners[party.pk]
        batch.append(party)
    Party.objects.bulk_update(batch, ["co_owner_ids"], batch_size=2000)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0007_field_access"),
    ]

    operations = [
        migrations.AddField(
            model_name="party",
            name="co_owner_ids",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(forward, backward),
    ]
