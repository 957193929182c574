"""PostgreSQL-only search indexes: trigram GIN on UPPER(name) (what `icontains` compiles to) and
text_pattern_ops btree for prefix searches. SQLite uses the plain btree indexes of 0001."""

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS party_name_upper_trgm ON parties_party USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contact_search_key_pattern ON parties_contactpoint (kind, search_key text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS party_inn_pattern ON parties_party (inn text_pattern_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS party_name_upper_trgm",
    "DROP INDEX IF EXISTS contact_search_key_pattern",
    "DROP INDEX IF EXISTS party_inn_pattern",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("parties", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
