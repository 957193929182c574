from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from pytest_django.fixtures import Settings

from crm.files.tests.factories import grant_library_roles


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    """Uploads of a test go to its own folder, never under var/."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Services speak English here whatever the catalogue holds; pages follow the user's language (see `ru`)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def library_roles(db: None) -> None:
    grant_library_roles()
