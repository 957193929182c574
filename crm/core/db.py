"""The only place with database-specific query shapes; each variant is tested on both databases."""

import sys
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BigIntegerField, BooleanField, CharField, F, Func, Model, Q, Value
from django.db.models.functions import Cast
from django.db.models.lookups import Contains

M = TypeVar("M", bound=Model)


def prefix_match(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, in the form the database answers from an index.

    PostgreSQL: LIKE 'prefix%' served by a text_pattern_ops index (migration parties 0002).
    SQLite: a half-open range [prefix, successor) served by the plain btree index, since SQLite's
    LIKE is case-insensitive and skips a binary-collated index.
    """
    if not prefix:
        return Q()
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    successor = _successor(prefix)
    if successor is None:
        return Q(**{f"{field}__gte": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": successor})


def _successor(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (code point order), or None if none is.

    The last character goes one up, skipping the surrogates (no string can hold them); a last character at
    the top of Unicode is dropped and the one before it goes up instead.
    """
    while prefix:
        following = ord(prefix[-1]) + 1
        if following <= sys.maxunicode:
            return prefix[:-1] + chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)
        prefix = prefix[:-1]
    return None


def equals_any(field: str, ids: Sequence[int]) -> Q:
    """`field` (a bigint key) is one of `ids`, in the form a multi-column GIN index can serve on PostgreSQL.

    btree_gin's int8 operator class has no `int8 = int4` operator, so `responsible_id IN (7)` (7 is an
    int4 literal) cannot use the GIN indexes of parties 0008; `responsible_id = 7::bigint OR ...` can.
    """
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": list(ids)})
    condition = Q(pk__in=[])
    for value in ids:
        condition |= Q(**{field: Cast(Value(value), BigIntegerField())})
    return condition


class IsTrue(Func):
    """`(condition) IS TRUE`: the rows of `condition` where it is never NULL, with no index chosen for it.

    For a condition another, narrower index already answers: PostgreSQL would otherwise intersect that
    index with one over the condition's broad columns, reading far more than it saves.
    """

    template = "(%(expressions)s) IS TRUE"
    output_field = BooleanField()


def is_false(field: str) -> Q:
    """`field` (a boolean) is false, in the form an index can use as an equality.

    Django writes `field=False` as `NOT field`, which SQLite cannot match to an index column: the
    (responsible, is_deleted, name) index then finds a manager's clients but sorts them in a temporary
    b-tree instead of reading them in name order. `field IN (false)` is an equality to SQLite;
    PostgreSQL handles `NOT field` itself.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__in": [False]})
    return Q(**{field: False})


# The same shapes as SQL text, for the few hand-written queries on the hottest paths (search as you type).
# Each returns a condition and its parameters; columns are qualified by the caller ("p.name").


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_sql(column: str, prefix: str) -> tuple[str, list[str]]:
    """prefix_match as SQL: LIKE 'prefix%' on PostgreSQL, a half-open range on SQLite."""
    if not prefix:
        return "1 = 1", []
    if connection.vendor == "postgresql":
        return f"{column}::text LIKE %s", [_like_escaped(prefix) + "%"]
    return prefix_range_sql(column, prefix)


def prefix_range_sql(column: str, prefix: str) -> tuple[str, list[str]]:
    """`column` starts with `prefix` as a half-open range [prefix, successor), on both databases.

    Unlike LIKE 'prefix%', the range keeps to the text_pattern_ops index on PostgreSQL when the prefix is a
    parameter the plan does not know (a prepared statement's generic plan).
    """
    if not prefix:
        return "1 = 1", []
    column = f"{column}::text" if connection.vendor == "postgresql" else column
    above, below = ("~>=~", "~<~") if connection.vendor == "postgresql" else (">=", "<")
    successor = _successor(prefix)
    if successor is None:
        return f"({column} {above} %s)", [prefix]
    return f"({column} {above} %s AND {column} {below} %s)", [prefix, successor]


def contains_casefold_sql(column: str, folded_column: str, text: str) -> tuple[str, list[str]]:
    """contains_casefold as SQL, for a column with a stored case-folded copy."""
    if connection.vendor == "postgresql":
        return f"UPPER({column}::text) LIKE UPPER(%s)", ["%" + _like_escaped(text) + "%"]
    return f"{folded_column} LIKE %s ESCAPE '\\'", ["%" + _like_escaped(text.casefold()) + "%"]


def is_false_sql(column: str) -> str:
    """is_false as SQL."""
    return f"{column} IN (0)" if connection.vendor == "sqlite" else f"NOT {column}"


def bigint_sql() -> str:
    """A parameter compared with a bigint key in the GIN indexes (see equals_any)."""
    return "%s::bigint" if connection.vendor == "postgresql" else "%s"


def in_sql(column: str, values: Sequence[int]) -> tuple[str, list[Any]]:
    """`column` (an integer key) is one of `values`: one array parameter on PostgreSQL, so that the statement's
    text does not change with the number of values (and can be prepared once); a list on SQLite."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


_NEVER_BY_COUNT = 2**31 - 1  # a threshold no statement reaches: only prepare=True prepares


class _PreparedCursor(psycopg.Cursor[Any]):
    """A server-side binding cursor that prepares what it runs (psycopg keeps the statement per connection)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        # Django leaves psycopg's preparing off (threshold None); it is on for this call only, so that psycopg
        # neither keeps track of Django's own statements nor prepares them.
        connection, previous = self.connection, self.connection.prepare_threshold
        connection.prepare_threshold = _NEVER_BY_COUNT if previous is None else previous
        try:
            done = super().execute(query, params, prepare=True, binary=binary)
        finally:
            connection.prepare_threshold = previous
        if self._query is None:  # psycopg notes the text of unprepared statements only; Django's query log reads it
            self._query = _Statement(query.encode())  # type: ignore[assignment]
        return done


class _Statement:
    def __init__(self, query: bytes) -> None:
        self.query, self.params = query, None


def fetch_rows(sql: str, params: Sequence[Any], *, prepare: bool = False) -> list[tuple[Any, ...]]:
    """Run a hand-written query through Django's connection (logged, errors wrapped) and return its rows.

    prepare=True on PostgreSQL: the statement is parsed and planned once per connection and then reused,
    for the fixed queries of every request (the token's user, permissions, a page's contact points) whose
    planning cost more than their execution. Not for queries whose best plan depends on the values
    (LIKE 'prefix%'): a reused generic plan cannot use the prefix index. CRM_DATABASE_PREPARE=false turns it
    off behind a connection pooler that cannot keep prepared statements. A migration that changes a column
    these statements read needs the web processes restarted (as a deploy does).
    """
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` looks the wrapper up again on each attribute
    if prepare and db.vendor == "postgresql" and settings.CRM_DATABASE_PREPARE:
        db.close_if_health_check_failed()
        db.ensure_connection()
        with db.wrap_database_errors:
            cursor = db._prepare_cursor(_PreparedCursor(db.connection))  # type: ignore[attr-defined]
    else:
        cursor = db.cursor()
    with cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def models_from_rows(model: type[M], field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[M]:
    """Instances of `model` (other fields deferred) from rows of a hand-written query, converted as the ORM does.

    Each row holds the values of `field_names` in that order (attnames: "responsible_id"); the database's
    and the fields' converters apply (SQLite returns datetimes as text, booleans as integers).
    """
    db = connections[DEFAULT_DB_ALIAS]
    recipes = db.__dict__.setdefault("_crm_row_recipes", {})  # per connection wrapper: its converters are its own
    recipe = recipes.get((model, tuple(field_names)))
    if recipe is None:
        recipe = recipes[(model, tuple(field_names))] = _row_recipe(db, model, field_names)
    attnames, converters, order = recipe
    made = []
    for row in rows:
        values = list(row)
        for position, converter, column in converters:
            values[position] = converter(values[position], column, db)
        made.append(model.from_db(db.alias, attnames, [values[i] for i in order]))
    return made


def _row_recipe(
    db: BaseDatabaseWrapper, model: type[Model], field_names: Sequence[str]
) -> tuple[list[str], list[tuple[int, Any, Any]], list[int]]:
    """What models_from_rows does with each row: attnames, converters by position, the order from_db wants."""
    fields = [model._meta.get_field(name) for name in field_names]
    attnames = [field.attname for field in fields]  # type: ignore[union-attr]
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)  # type: ignore[union-attr]
        found = db.ops.get_db_converters(column) + field.get_db_converters(db)  # type: ignore[union-attr]
        converters += [(position, converter, column) for converter in found]
    # Model.from_db takes a partial row's values in the order of the model's fields.
    order = [attnames.index(f.attname) for f in model._meta.concrete_fields if f.attname in attnames]
    return attnames, converters, order


def register_sqlite_functions(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """Give SQLite a Unicode-aware `crm_casefold()` (its own lower() folds ASCII only)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "crm_casefold", 1, lambda value: value.casefold() if isinstance(value, str) else value, deterministic=True
        )


class Casefold(Func):
    function = "crm_casefold"
    output_field = CharField()


def contains_casefold(field: str, folded_field: str | None, text: str) -> Q:
    """`field` contains `text` ignoring case, in Cyrillic too, in the form the database answers fast.

    PostgreSQL: `UPPER(field) LIKE UPPER('%text%')` served by the trigram index on UPPER(field).
    SQLite: its LIKE folds only ASCII letters, so the query runs on `folded_field`, a copy of the
    field kept case-folded by the model (Python's casefold knows every alphabet), or else on
    `crm_casefold(field)` computed per row.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__icontains": text})
    if folded_field:
        return Q(**{f"{folded_field}__contains": text.casefold()})
    # Without a stored copy, fold row by row in SQL (fine for filters on narrowed lists).
    return Q(Contains(Casefold(F(field)), text.casefold()))


def has_indexed_json_containment() -> bool:
    """PostgreSQL answers `jsonb @> '[n]'` from a GIN index (parties 0005); SQLite has no such lookup."""
    return connection.vendor == "postgresql"
