"""Keyset pages both ways: forward with the next cursor, back with the previous one, on real rows with ties."""

import base64
import datetime
import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from crm.accounts.models import User
from crm.core.pagination import KeysetPage, keyset_page, keyset_page_merged
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory, UserFactory
from crm.sales.tests.factories import DealFactory, PipelineFactory, StageFactory

pytestmark = pytest.mark.django_db

Reader = Callable[[str | None], KeysetPage[Party]]

ORDERINGS = [
    ["name"],
    ["-name"],
    ["region", "name"],
    ["-region", "name"],
    ["region", "-updated_at"],
    ["-updated_at"],
    ["kind", "-name", "region"],
]


@pytest.fixture
def owners(db: None) -> list[User]:
    """Three owners of 17 clients with many equal names, regions and update times (ties at every column)."""
    people: list[User] = [UserFactory(username=f"owner{n}") for n in range(3)]
    base = timezone.now().replace(microsecond=0)
    for n in range(17):
        party = PartyFactory(
            responsible=people[n % 3], name=f"ООО {'АББВ'[n % 4]}", region=["Москва", "Казань", "Омск"][n % 3]
        )
        Party.objects.filter(pk=party.pk).update(updated_at=base - datetime.timedelta(hours=n % 5))
    return people


def _reader(owners: list[User], ordering: list[str], *, merged: bool, size: int = 5) -> Reader:
    if merged:
        branches: list[QuerySet[Party]] = [Party.objects.filter(responsible=owner) for owner in owners]
        return lambda cursor: keyset_page_merged(branches, ordering, cursor, size)
    return lambda cursor: keyset_page(Party.objects.all(), ordering, cursor, size)


def _pks(page: KeysetPage[Party]) -> list[int]:
    return [party.pk for party in page.rows]


def _expected(ordering: list[str]) -> list[int]:
    tie_breaker = "-pk" if ordering[0].startswith("-") else "pk"
    return list(Party.objects.order_by(*ordering, tie_breaker).values_list("pk", flat=True))


@pytest.mark.parametrize("merged", [False, True], ids=["one queryset", "merged branches"])
@pytest.mark.parametrize("ordering", ORDERINGS, ids=",".join)
def test_forward_to_the_end_and_back_to_the_start_gives_the_same_pages(
    owners: list[User], ordering: list[str], merged: bool
) -> None:
    read = _reader(owners, ordering, merged=merged)
    forward = [read(None)]
    assert forward[0].prev_cursor is None
    while (cursor := forward[-1].next_cursor) is not None:
        forward.append(read(cursor))
        assert forward[-1].prev_cursor is not None
    assert [len(page.rows) for page in forward] == [5, 5, 5, 2]
    assert [pk for page in forward for pk in _pks(page)] == _expected(ordering)
    assert [(page.first_number, page.last_number) for page in forward] == [(1, 5), (6, 10), (11, 15), (16, 17)]
    assert [page.previous_is_first for page in forward] == [False, True, False, False]

    # Back from the last page, one page at a time, to the first: the same rows, and the same places.
    page = forward[-1]
    for earlier in reversed(forward[:-1]):
        assert page.prev_cursor is not None
        page = read(page.prev_cursor)
        assert _pks(page) == _pks(earlier)
        assert (page.first_number, page.last_number) == (earlier.first_number, earlier.last_number)
        assert page.next_cursor is not None
    assert page.prev_cursor is None

    # Forward three pages and back three: the pages read the second time are those read the first time.
    third = read(read(read(None).next_cursor).next_cursor)
    second = read(third.prev_cursor)
    first = read(second.prev_cursor)
    assert (_pks(second), _pks(first), first.prev_cursor) == (_pks(forward[1]), _pks(forward[0]), None)
    assert _pks(read(second.next_cursor)) == _pks(forward[2])


@pytest.mark.parametrize("merged", [False, True], ids=["one queryset", "merged branches"])
def test_every_page_costs_the_same_number_of_queries_either_way(owners: list[User], merged: bool) -> None:
    read = _reader(owners, ["region", "name"], merged=merged)

    def queries(cursor: str | None) -> tuple[int, KeysetPage[Party]]:
        from django.db import connection

        with CaptureQueriesContext(connection) as captured:
            page = read(cursor)
        return len(captured), page

    first_cost, first = queries(None)
    assert first_cost == (6 if merged else 2)  # a capped count and a page of rows per queryset
    second_cost, second = queries(first.next_cursor)
    third_cost, third = queries(second.next_cursor)
    back_cost, back = queries(third.prev_cursor)
    assert (second_cost, third_cost, back_cost) == (first_cost,) * 3
    assert _pks(back) == _pks(second)


def test_the_way_back_that_runs_short_shows_the_full_first_page(owners: list[User]) -> None:
    read = _reader(owners, ["name"], merged=False)
    first = read(None)
    second = read(first.next_cursor)
    Party.objects.filter(pk__in=_pks(first)[:2]).delete()
    back = read(second.prev_cursor)
    assert _pks(back) == _expected(["name"])[:5]
    assert (back.prev_cursor, back.start) == (None, 0)


def test_a_page_emptied_since_leads_back_to_the_rows_before_it(owners: list[User]) -> None:
    read = _reader(owners, ["-name"], merged=True)
    first = read(None)
    second = read(first.next_cursor)
    assert read(second.next_cursor).rows
    Party.objects.filter(pk__gt=0).exclude(pk__in=_pks(first) + _pks(second)).delete()
    emptied = read(second.next_cursor)
    assert (emptied.rows, emptied.next_cursor) == ([], None)
    assert emptied.prev_cursor is not None
    back = read(emptied.prev_cursor)
    assert (_pks(back), back.first_number) == (_pks(second), 6)


def test_a_cursor_from_before_directions_still_means_the_next_page(owners: list[User]) -> None:
    ordering = ["-updated_at"]
    first = keyset_page(Party.objects.all(), ordering, None, 5)
    last = first.rows[-1]
    old = base64.urlsafe_b64encode(json.dumps([last.updated_at.isoformat(), last.pk]).encode()).decode()
    page = keyset_page(Party.objects.all(), ordering, old, 5)
    assert _pks(page) == _expected(ordering)[5:10]
    assert page.start is None  # the old cursor did not say where the page stands
    assert page.first_number is None
    assert _pks(keyset_page(Party.objects.all(), ordering, page.prev_cursor, 5)) == _pks(first)
    while page.next_cursor is not None:
        page = keyset_page(Party.objects.all(), ordering, page.next_cursor, 5)
    assert (page.first_number, page.last_number) == (16, 17)  # the last page's place comes from the total


def _cursor(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        _cursor({"after": ["ООО А"]}),  # one value short
        _cursor({"after": ["ООО А", "x"]}),  # not a primary key
        _cursor({"after": ["ООО А", None]}),
        _cursor({"before": ["ООО А", {"pk": 1}]}),
        _cursor({"after": ["ООО А", 1], "before": ["ООО А", 1]}),
        _cursor({"sideways": ["ООО А", 1]}),
        _cursor("ООО А"),
        base64.urlsafe_b64encode(b"[" * 1000).decode(),  # nested past the JSON parser's recursion limit
        base64.urlsafe_b64encode(b'{"after": ["\\u041e", Infinity]}').decode(),  # not a finite number
        _cursor({"after": ["\ud800", 5]}),  # a lone surrogate: no database encodes it
        _cursor({"after": ["ООО\x00А", 5]}),  # NUL: PostgreSQL refuses it in text
        _cursor({"after": ["А" * 3000, 5]}),  # longer than any cursor we write
    ],
)
def test_a_broken_or_forged_cursor_gives_the_first_page(owners: list[User], cursor: str) -> None:
    page = keyset_page(Party.objects.all(), ["name"], cursor, 5)
    assert (_pks(page), page.prev_cursor) == (_expected(["name"])[:5], None)


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-01-01T10:00:00", 12], ids=["not a date", "without a time zone", "a number"]
)
def test_a_cursor_with_a_bad_date_gives_the_first_page(owners: list[User], value: object) -> None:
    page = keyset_page(Party.objects.all(), ["-updated_at"], _cursor({"before": [value, 1]}), 5)
    assert _pks(page) == _expected(["-updated_at"])[:5]


def test_pages_by_a_money_column(manager: User) -> None:
    stage = StageFactory(pipeline=PipelineFactory())
    for amount in ["10.50", "99.99", "10.50", "1000", "10.50", "0"]:
        DealFactory(owner=manager, pipeline=stage.pipeline, stage=stage, amount=Decimal(amount))
    queryset = stage.deals.all()
    first = keyset_page(queryset, ["-amount"], None, 2)
    second = keyset_page(queryset, ["-amount"], first.next_cursor, 2)
    third = keyset_page(queryset, ["-amount"], second.next_cursor, 2)
    amounts = [deal.amount for page in (first, second, third) for deal in page.rows]
    assert amounts == [Decimal(a) for a in ["1000", "99.99", "10.50", "10.50", "10.50", "0"]]
    assert [d.pk for d in keyset_page(queryset, ["-amount"], third.prev_cursor, 2).rows] == [d.pk for d in second.rows]


@override_settings(CRM_LIST_COUNT_CAP=6)
def test_a_capped_total_still_numbers_the_pages(owners: list[User]) -> None:
    read = _reader(owners, ["name"], merged=True)
    first = read(None)
    second = read(first.next_cursor)
    assert (second.total, second.total_is_capped, second.first_number, second.last_number) == (6, True, 6, 10)
