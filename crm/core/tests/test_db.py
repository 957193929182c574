"""crm.core.db answers the same on PostgreSQL and SQLite (CI runs the suite on both via CRM_DATABASE_URL)."""

import pytest

from crm.core.db import _successor, fetch_rows, prefix_match, prefix_range_sql, prefix_sql
from crm.parties.models import Classifier

pytestmark = pytest.mark.django_db

NAMES = ["abc", "abd", "ab", "abc/", "ABC", "abc%", "ab_c", "b", "Ёж", "Ежевика", "ежи", "9161", "91612", "9162"]
NAMES += ["\U0010ffff", "\U0010ffffa", "a\U0010ffff", "\ud7ff", "\ud7ffx", "\ue000"]  # at the edges of Unicode


@pytest.fixture
def rows() -> None:
    Classifier.objects.all().delete()  # the shipped ones (lost reasons) would match the prefixes too
    Classifier.objects.bulk_create([Classifier(name=name) for name in NAMES])


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("ab", ["ab", "abc", "abc%", "abc/", "abd", "ab_c"]),
        ("abc", ["abc", "abc%", "abc/"]),
        ("ab_", ["ab_c"]),  # LIKE wildcards are literal
        ("abc%", ["abc%"]),
        ("A", ["ABC"]),  # case-sensitive on both databases
        ("Е", ["Ежевика"]),
        ("ё", []),
        ("916", ["9161", "91612", "9162"]),
        ("91612", ["91612"]),
        ("z", []),
    ],
)
def test_prefix_match_returns_the_same_rows_on_every_database(rows: None, prefix: str, expected: list[str]) -> None:
    found = Classifier.objects.filter(prefix_match("name", prefix)).values_list("name", flat=True)
    assert sorted(found) == sorted(expected)
    for as_sql in (prefix_sql, prefix_range_sql):  # the hand-written forms, LIKE and range
        condition, params = as_sql("c.name", prefix)
        written = [row[0] for row in fetch_rows(f"SELECT c.name FROM parties_classifier c WHERE {condition}", params)]
        assert sorted(written) == sorted(expected)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("\U0010ffff", ["\U0010ffff", "\U0010ffffa"]),  # no character above: no upper bound
        ("a\U0010ffff", ["a\U0010ffff"]),
        ("\ud7ff", ["\ud7ff", "\ud7ffx"]),  # the next character is past the surrogates
    ],
)
def test_a_prefix_ending_at_the_edge_of_unicode_matches_without_error(
    rows: None, prefix: str, expected: list[str]
) -> None:
    test_prefix_match_returns_the_same_rows_on_every_database(rows, prefix, expected)


def test_the_successor_of_a_prefix_is_the_least_string_above_all_it_starts() -> None:
    assert _successor("ab") == "ac"
    assert _successor("a\U0010ffff") == "b"
    assert _successor("\ud7ff") == "\ue000"
    assert _successor("\U0010ffff\U0010ffff") is None


def test_an_empty_prefix_matches_everything(rows: None) -> None:
    assert Classifier.objects.filter(prefix_match("name", "")).count() == len(NAMES)
