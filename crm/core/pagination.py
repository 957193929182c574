"""Keyset pagination for pages and a capped total: page 10,000 costs what page 1 does.

A cursor names one row by its sort values and says which way to read from it: the page after the row
("Next") or the page before it ("Previous", read in the reversed order and turned round). Either way the
database walks the index from the row on: there is no OFFSET, so no page costs more than the first. The
cursor also carries how many rows come before the page, so a pager can say "51-100 of 10,000+" without
counting them (a hint: it drifts while others add rows, and is put right at either end of the list).

The sort columns must be NOT NULL (NULLs sort differently per database and compare with nothing); the
primary key is appended as the tie-breaker, so every row has its own place.
"""

import base64
import binascii
import datetime
import decimal
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import DateTimeField, Field, Model, Q, QuerySet

M = TypeVar("M", bound=Model)


@dataclass
class KeysetPage(Generic[M]):
    """One page of rows, the cursors of the pages either side (None at the ends) and the capped total."""

    rows: list[M]
    next_cursor: str | None
    total: int
    total_is_capped: bool
    prev_cursor: str | None = None
    # How many rows come before this page: exact on the first and the last page, a hint in between,
    # None when the cursor did not carry it (one written before cursors had directions).
    start: int | None = 0
    size: int = 0  # rows a full page has

    @property
    def previous_is_first(self) -> bool:
        """Whether "Previous" leads to the first page (a pager need not offer both)."""
        return self.prev_cursor is not None and self.start is not None and self.start <= self.size

    @property
    def first_number(self) -> int | None:
        """The 1-based number of the page's first row, for "51-100 of 1,234"; None if not known or empty."""
        return self.start + 1 if self.start is not None and self.rows else None

    @property
    def last_number(self) -> int | None:
        return self.start + len(self.rows) if self.start is not None and self.rows else None


@dataclass(frozen=True)
class _Position:
    """Where a cursor points: after a row, before it, or up to and including it; `at` as in _encode."""

    values: list[Any]
    backward: bool = False
    inclusive: bool = False
    at: int | None = None


_KINDS = {"after": (False, False), "before": (True, False), "upto": (True, True)}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _encode(kind: str, values: list[Any], at: int | None) -> str:
    """A cursor: `kind` is after/before/upto the row with `values`; `at` counts the rows before the page
    (after) or before the place just past it (before, upto)."""
    data: dict[str, Any] = {kind: [_plain(v) for v in values]}
    if at is not None:
        data["at"] = at
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _field(model: type[Model], name: str) -> Field[Any, Any] | None:
    if name == "pk":
        return model._meta.pk
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, Field) else None


# A cursor names one row by a few sort values; anything longer was not written by us.
_MAX_CURSOR = 2000


def _plain_value(value: Any) -> bool:
    """A value a database takes as it is: a finite number, or text without NUL or lone surrogates."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)
    return True


def _clean(model: type[Model], ordering: list[str], values: list[Any]) -> list[Any] | None:
    """The cursor's values as the sort columns' Python types, or None if one does not fit its column."""
    cleaned = []
    for name, value in zip((f.lstrip("-") for f in ordering), values, strict=True):
        if value is None or isinstance(value, dict | list) or not _plain_value(value):
            return None
        field = _field(model, name)
        if field is not None:
            try:
                value = field.to_python(value)
            except (ValidationError, TypeError, ValueError, OverflowError, decimal.InvalidOperation):
                return None
            if isinstance(field, DateTimeField) and settings.USE_TZ and value.tzinfo is None:
                return None
        cleaned.append(value)
    return cleaned


def _decode(cursor: str, model: type[Model], ordering: list[str]) -> _Position | None:
    """Read a cursor; None (the first page) for one that is broken, forged or from another sort order.

    A bare list of values is a cursor written before cursors had directions: the page after that row.
    """
    try:
        if len(cursor) > _MAX_CURSOR:
            return None
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(data, list):
        kind, values, at = "after", data, None
    elif isinstance(data, dict) and len(kinds := [k for k in _KINDS if k in data]) == 1:
        kind, values, at = kinds[0], data[kinds[0]], data.get("at")
    else:
        return None
    if not isinstance(values, list) or len(values) != len(ordering):
        return None
    if not isinstance(at, int) or isinstance(at, bool) or at < 0:
        at = None
    cleaned = _clean(model, ordering, values)
    if cleaned is None:
        return None
    backward, inclusive = _KINDS[kind]
    return _Position(values=cleaned, backward=backward, inclusive=inclusive, at=at)


def _after(ordering: list[str], values: list[Any], *, inclusive: bool = False) -> Q:
    """Rows strictly after `values` in the order given: (a > x) or (a = x and b > y) or ...

    `inclusive` lets in the row with exactly these values too.
    """
    condition = Q(pk__in=[])
    equal = Q()
    for field, value in zip(ordering, values, strict=True):
        name = field.lstrip("-")
        step = Q(**{f"{name}__lt" if field.startswith("-") else f"{name}__gt": value})
        condition |= equal & step
        equal &= Q(**{name: value})
    return condition | equal if inclusive else condition


def _reversed(ordering: list[str]) -> list[str]:
    return [field[1:] if field.startswith("-") else f"-{field}" for field in ordering]


def _with_tie_breaker(ordering: list[str]) -> list[str]:
    if "pk" in ordering or "-pk" in ordering:
        return ordering
    return [*ordering, "-pk" if ordering and ordering[0].startswith("-") else "pk"]


def capped_count(queryset: QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """Count up to `cap` rows (COUNT over a LIMIT subquery), and say whether there are more."""
    cap = cap or settings.CRM_LIST_COUNT_CAP
    total = queryset.order_by()[: cap + 1].count()
    return min(total, cap), total > cap


def _sort_rows(rows: list[M], ordering: list[str]) -> list[M]:
    # Stable sorts from the last key to the first give a mixed ascending/descending order.
    for field in reversed(ordering):
        name = field.lstrip("-")
        rows.sort(key=lambda row: getattr(row, name), reverse=field.startswith("-"))
    return rows


def _scan(querysets: list[QuerySet[M]], ordering: list[str], position: _Position | None, limit: int) -> list[M]:
    """Up to `limit` rows in the order the cursor reads them: one query per queryset, merged in Python."""
    order = _reversed(ordering) if position is not None and position.backward else ordering
    rows: list[M] = []
    for queryset in querysets:
        page = queryset.order_by(*order)
        if position is not None:
            page = page.filter(_after(order, position.values, inclusive=position.inclusive))
        rows.extend(page[:limit])
    if len(querysets) > 1:
        rows = _sort_rows(list({row.pk: row for row in rows}.values()), order)
    return rows[:limit]


def _values(row: Model, ordering: list[str]) -> list[Any]:
    return [getattr(row, field.lstrip("-")) for field in ordering]


def _page(
    querysets: list[QuerySet[M]],
    ordering: list[str],
    position: _Position | None,
    size: int,
    total: int,
    capped: bool,
) -> KeysetPage[M]:
    rows = _scan(querysets, ordering, position, size + 1)
    more = len(rows) > size  # another row beyond the page, in the direction of reading
    rows = rows[:size]
    if position is not None and position.backward:
        if not more and len(rows) < size:
            # The way back reached the top short of a page (rows were deleted, or the page size changed):
            # show the first page, full, rather than a stub.
            return _page(querysets, ordering, None, size, total, capped)
        rows.reverse()
        if not more:
            start: int | None = 0
        elif position.at is not None and position.at - len(rows) > 0:
            start = position.at - len(rows)
        else:
            start = None
        following = start + len(rows) if start is not None else None
        return KeysetPage(
            rows,
            next_cursor=_encode("after", _values(rows[-1], ordering), following),
            total=total,
            total_is_capped=capped,
            prev_cursor=_encode("before", _values(rows[0], ordering), start) if more else None,
            start=start,
            size=size,
        )
    start = 0 if position is None else position.at
    if position is not None and not more and not capped:
        start = max(total - len(rows), 0)  # the last page: its place is known from the total
    following = start + len(rows) if start is not None else None
    next_cursor = _encode("after", _values(rows[-1], ordering), following) if more else None
    if position is None:
        prev_cursor = None
    elif rows:
        prev_cursor = _encode("before", _values(rows[0], ordering), start)
    else:  # an empty page (its rows were deleted) leads back to the rows up to the cursor's own row
        prev_cursor = _encode("upto", position.values, start)
    return KeysetPage(rows, next_cursor, total, capped, prev_cursor=prev_cursor, start=start, size=size)


def keyset_page(
    queryset: QuerySet[M], ordering: list[str], cursor: str | None, size: int, *, counted: QuerySet[M] | None = None
) -> KeysetPage[M]:
    """One page of `queryset` in `ordering` (pk appended as tie-breaker), after or before `cursor`.

    Two queries whatever the page: the capped count and the rows. `counted`: the same rows in a shape
    the database counts faster.
    """
    ordering = _with_tie_breaker(ordering)
    total, capped = capped_count(queryset if counted is None else counted)
    position = _decode(cursor, queryset.model, ordering) if cursor else None
    return _page([queryset], ordering, position, size, total, capped)


def keyset_page_merged(
    querysets: list[QuerySet[M]],
    ordering: list[str],
    cursor: str | None,
    size: int,
    *,
    counted: list[QuerySet[M]] | None = None,
) -> KeysetPage[M]:
    """keyset_page over the union of disjoint querysets, each read in its own index order and merged.

    Used where one OR would stop the database from walking an index (see parties_visible_branches). Each
    queryset gives up to a page plus one row on the cursor's side; the merge keeps the nearest. The
    merge sorts in Python, so text columns need a database collation that orders by code point (C).
    `counted`: disjoint querysets of the same rows in a shape the database counts faster (default: these).
    """
    if not querysets:
        return KeysetPage(rows=[], next_cursor=None, total=0, total_is_capped=False, size=size)
    counted = querysets if counted is None else counted
    if len(querysets) == 1 and len(counted) == 1:
        return keyset_page(querysets[0], ordering, cursor, size, counted=counted[0])
    ordering = _with_tie_breaker(ordering)
    cap = settings.CRM_LIST_COUNT_CAP
    total, capped = 0, False
    for queryset in counted:
        count, more = capped_count(queryset, cap)
        total, capped = total + count, capped or more
    capped = capped or total > cap
    position = _decode(cursor, querysets[0].model, ordering) if cursor else None
    return _page(querysets, ordering, position, size, min(total, cap), capped)
