"""The prefix indexes of search as you type carry the party id, so collecting candidates reads no table rows.

Search first collects the parties whose phone, e-mail or INN starts with what was typed, up to a hundred
(crm.parties.selectors.party_search). For a common prefix ("info@" is the address of one client in ten)
that read a hundred rows of the table to learn their party ids; with the id in the index it is an
index-only scan. PostgreSQL only: SQLite reads its small tables from memory.
"""

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS contact_search_key_pattern",
    "CREATE INDEX contact_search_key_pattern ON parties_contactpoint (kind, search_key text_pattern_ops) "
    "INCLUDE (party_id)",
    "DROP INDEX IF EXISTS party_inn_pattern",
    "CREATE INDEX party_inn_pattern ON parties_party (inn text_pattern_ops) INCLUDE (id)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS contact_search_key_pattern",
    "CREATE INDEX contact_search_key_pattern ON parties_contactpoint (kind, search_key text_pattern_ops)",
    "DROP INDEX IF EXISTS party_inn_pattern",
    "CREATE INDEX party_inn_pattern ON parties_party (inn text_pattern_ops)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("parties", "0008_party_owner_indexes")]
    operations = [migrations.RunPython(forward, backward)]
