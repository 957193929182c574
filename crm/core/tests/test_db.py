"""crm.core.db answers the same on PostgreSQL and SQLite (CI runs the suite on both via CRM_DATABASE_URL)."""

import pytest

from crm.core.db import prefix_match
from crm.parties.models import Classifier

pytestmark = pytest.mark.django_db

NAMES = ["abc", "abd", "ab", "abc/", "ABC", "abc%", "ab_c", "b", "Ёж", "Ежевика", "ежи", "9161", "91612", "9162"]


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


def test_an_empty_prefix_matches_everything(rows: None) -> None:
    assert Classifier.objects.filter(prefix_match("name", "")).count() == len(NAMES)
