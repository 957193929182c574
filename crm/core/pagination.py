"""Keyset pagination for pages and a capped total: page 10,000 costs what page 1 does."""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)


@dataclass
class KeysetPage(Generic[M]):
    rows: list[M]
    next_cursor: str | None
    total: int
    total_is_capped: bool


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime.datetime | datetime.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str, size: int) -> list[Any] | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return values if isinstance(values, list) and len(values) == size else None


def _after(ordering: list[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order given: (a > x) or (a = x and b > y) or ..."""
    condition = Q(pk__in=[])
    equal = Q()
    for field, value in zip(ordering, values, strict=True):
        name = field.lstrip("-")
        step = Q(**{f"{name}__lt" if field.startswith("-") else f"{name}__gt": value})
        condition |= equal & step
        equal &= Q(**{name: value})
    return condition


def capped_count(queryset: QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """Count up to `cap` rows (COUNT over a LIMIT subquery), and say whether there are more."""
    cap = cap or settings.CRM_LIST_COUNT_CAP
    total = queryset.order_by()[: cap + 1].count()
    return min(total, cap), total > cap


def keyset_page(queryset: QuerySet[M], ordering: list[str], cursor: str | None, size: int) -> KeysetPage[M]:
    """One page of `queryset` in `ordering` (pk appended as tie-breaker), starting after `cursor`."""
    if "pk" not in ordering and "-pk" not in ordering:
        ordering = [*ordering, "-pk" if ordering and ordering[0].startswith("-") else "pk"]
    ordered = queryset.order_by(*ordering)
    total, capped = capped_count(queryset)
    values = _decode(cursor, len(ordering)) if cursor else None
    if values is not None:
        ordered = ordered.filter(_after(ordering, values))
    rows = list(ordered[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode([getattr(last, f.lstrip("-")) for f in ordering])
    return KeysetPage(rows=rows, next_cursor=next_cursor, total=total, total_is_capped=capped)


def _sort_rows(rows: list[M], ordering: list[str]) -> list[M]:
    # Stable sorts from the last key to the first give a mixed ascending/descending order.
    for field in reversed(ordering):
        name = field.lstrip("-")
        rows.sort(key=lambda row: getattr(row, name), reverse=field.startswith("-"))
    return rows


def keyset_page_merged(
    querysets: list[QuerySet[M]], ordering: list[str], cursor: str | None, size: int
) -> KeysetPage[M]:
    """keyset_page over the union of disjoint querysets, each read in its own index order and merged.

    Used where one OR would stop the database from walking an index (see parties_visible_branches).
    """
    if len(querysets) == 1:
        return keyset_page(querysets[0], ordering, cursor, size)
    if "pk" not in ordering and "-pk" not in ordering:
        ordering = [*ordering, "-pk" if ordering and ordering[0].startswith("-") else "pk"]
    values = _decode(cursor, len(ordering)) if cursor else None
    cap = settings.CRM_LIST_COUNT_CAP
    total, capped = 0, False
    rows: list[M] = []
    for queryset in querysets:
        count, more = capped_count(queryset, cap)
        total, capped = total + count, capped or more
        page = queryset.order_by(*ordering)
        if values is not None:
            page = page.filter(_after(ordering, values))
        rows.extend(page[: size + 1])
    merged = _sort_rows(list({row.pk: row for row in rows}.values()), ordering)
    next_cursor = None
    if len(merged) > size:
        merged = merged[:size]
        next_cursor = _encode([getattr(merged[-1], f.lstrip("-")) for f in ordering])
    return KeysetPage(
        rows=merged, next_cursor=next_cursor, total=min(total, cap), total_is_capped=capped or total > cap
    )
