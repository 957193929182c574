"""The only place with database-specific query shapes; each variant is tested on both databases."""

from django.db import connection
from django.db.models import Q


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
    successor = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": successor})
