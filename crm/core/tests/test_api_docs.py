"""The API's documentation pages work offline: their scripts come from our static files, not a CDN."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client


@pytest.mark.django_db
def test_swagger_ui_loads_its_assets_from_our_static_files(client: Client) -> None:
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page) + re.findall(r"""["']([^"']+\.js)["']""", page)
    assert sources, page
    assert not [s for s in sources if s.startswith(("http://", "https://", "//"))], sources
    bundle = next(s for s in sources if s.endswith("swagger-ui-bundle.js"))
    assert finders.find(bundle.removeprefix("/static/")), bundle


def test_the_openapi_description_builds_without_errors() -> None:
    """Every view says what it answers: drf-spectacular has to guess no serializer, and the result is valid."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)
    validate_schema(schema)  # type: ignore[no-untyped-call]
