"""The prefix indexes of search as you type carry the party id, so collecting candidates reads no table rows.

Search first collects the parties whose phone, e-mail or INN starts with what was typed, up to a hundred
(crm.parties.selectors.party_search). For a common prefix ("info@" is the address of one client in ten)
that read a hundred rows of the table to learn their party ids; with the id in the index it is an
index-only scan. PostgreSQL only: SQLite reads its small tables from memory.

Each index is built anew beside the old one without locking the table (CONCURRENTLY, hence outside a
transaction); the old one is dropped the same way and the new one takes its name. Search, lists and
cards go on reading and writing meanwhile, on a database of any size.
"""

from django.db import migrations

INDEXES = [
    ("contact_search_key_pattern", "parties_contactpoint", "(kind, search_key text_pattern_ops)", "party_id"),
    ("party_inn_pattern", "parties_party", "(inn text_pattern_ops)", "id"),
]


def _rebuild(schema_editor, *, include: bool) -> None:
    for name, table, columns, carried in INDEXES:
        extra = f" INCLUDE ({carried})" if include else ""
        for statement in (
            f"DROP INDEX CONCURRENTLY IF EXISTS {name}_next",  # left invalid by an interrupted run
            f"CREATE INDEX CONCURRENTLY {name}_next ON {table} {columns}{extra}",
            f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
            f"ALTER INDEX {name}_next RENAME TO {name}",
        ):
            schema_editor.execute(statement)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, include=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, include=False)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("parties", "0008_party_owner_indexes")]
    operations = [migrations.RunPython(forward, backward)]
