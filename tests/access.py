"""The access-matrix harness shared by `tests/test_access_*.py`: one module per area, one row per URL x method.

Columns are the personas below, on records owned by `manager`. A record one may not see answers 404
(hidden and missing look alike); one seen but not changeable answers 403; a refusal changes nothing.
`test_access_matrix.py` fails when a URL pattern of the project has no row in any of the modules.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PERSONAS = ("manager", "colleague", "team_lead", "outsider", "head_of_sales", "marketer", "operator", "administrator")
REFUSALS = (400, 403, 404, 405)
SKIPPED_PREFIXES = ("admin/", "static/", "media/")

W = TypeVar("W")


@dataclass
class Case(Generic[W]):
    name: str
    method: str
    expect: tuple[int, ...]  # in the order of PERSONAS
    args: Callable[[W], list[Any]] = field(default=lambda w: [])
    data: dict[str, Any] | Callable[[W], dict[str, Any]] = field(default_factory=dict)
    json: bool = False

    @property
    def id(self) -> str:
        return f"{self.name}-{self.method}"


def everyone(status: int) -> tuple[int, ...]:
    return (status,) * len(PERSONAS)


def only(status: int, *personas: str, others: int = 403) -> tuple[int, ...]:
    return tuple(status if p in personas else others for p in PERSONAS)


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(SKIPPED_PREFIXES):
                continue
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            yield route, ":".join(filter(None, [namespace, entry.name or route]))


def project_url_names() -> dict[str, str]:
    return {name: route for route, name in _walk(get_resolver().url_patterns)}


def send_request(client: Client, case: Case[W], world: W) -> int:
    url = reverse(case.name, args=case.args(world))
    data = case.data(world) if callable(case.data) else case.data
    send = getattr(client, case.method)
    if case.json:
        response = send(url, json.dumps(data), content_type="application/json")
    elif case.method in ("get", "post"):
        response = send(url, data)
    else:
        response = send(url)
    status: int = response.status_code
    return status


class _Rollback(Exception):
    """Undo one persona's request, so every persona meets the same world."""


def check_access(request: pytest.FixtureRequest, case: Case[W], world: W, snapshot: Callable[[W], Any]) -> None:
    """Send the case's request as every persona, each in a rolled-back transaction; compare statuses and data."""
    users = {persona: request.getfixturevalue(persona) for persona in PERSONAS}
    problems = []
    for persona, expected in zip(PERSONAS, case.expect, strict=True):
        client = Client()
        before = snapshot(world)
        try:
            with transaction.atomic():
                client.force_login(users[persona])
                status = send_request(client, case, world)
                after = snapshot(world)
                raise _Rollback
        except _Rollback:
            pass
        if status != expected:
            problems.append(f"{persona}: {status}, expected {expected}")
        elif status in REFUSALS and after != before:
            problems.append(f"{persona}: refused with {status} but changed data")
    assert problems == [], f"{case.method.upper()} {case.name}"


def anonymous_status(case: Case[Any], public: dict[str, int]) -> int:
    """What a visitor who is not signed in gets: a redirect to sign in, 403 from the API, or the public page."""
    return public.get(case.name, 403 if case.name.startswith("api:") else 302)
