"""Settings from the environment: a secret as a value or as a file."""

from pathlib import Path

import pytest

from crm.core.env import env_str


def test_a_secret_comes_from_its_value_or_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.delenv("CRM_TEST_SECRET", raising=False)
    monkeypatch.setenv("CRM_TEST_SECRET_FILE", str(secret))
    assert env_str("CRM_TEST_SECRET") == "from-the-file"
    monkeypatch.delenv("CRM_TEST_SECRET_FILE")
    monkeypatch.setenv("CRM_TEST_SECRET", "from-the-value")
    assert env_str("CRM_TEST_SECRET") == "from-the-value"


def test_a_value_wins_over_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """bin/run points CRM_SECRET_KEY_FILE at var/secret_key; a key set for several hosts must win."""
    secret = tmp_path / "key"
    secret.write_text("from-the-file", encoding="utf-8")
    monkeypatch.setenv("CRM_TEST_SECRET", "from-the-value")
    monkeypatch.setenv("CRM_TEST_SECRET_FILE", str(secret))
    assert env_str("CRM_TEST_SECRET") == "from-the-value"
