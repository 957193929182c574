"""Who may do what on clients, activities and accounts: URL x method x persona (style guide 6, 10).

Columns: the owner (`manager`), a colleague of the same team who does not own the client, the team's
lead, a manager of another team, the head of sales, a marketer, a call-centre operator, an administrator.
Other areas keep their rows in `tests/test_access_<area>.py`; a URL pattern without a row in any of
them fails the suite (see `tests/access.py`).
"""

import datetime
import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.accounts.models import User
from crm.activities import services as activity_services
from crm.activities.models import ActivityEvent, Interaction, InteractionType, Notification, Reminder, Task
from crm.parties.models import (
    Classifier,
    ClassifierNode,
    ContactPoint,
    CustomField,
    Party,
    PartyClassification,
    PartyContact,
    PartyEvent,
)
from crm.parties.tests.factories import (
    ClassifierNodeFactory,
    ContactPointFactory,
    CustomFieldFactory,
    PartyContactFactory,
    PartyFactory,
    inn_for,
)
from tests.access import (
    PERSONAS,
    Case,
    anonymous_status,
    check_access,
    everyone,
    only,
    project_url_names,
    send_request,
)


@dataclass
class World:
    """A client of `manager` with everything hanging off it, plus what settings pages edit."""

    party: Party
    duplicate: Party
    trashed: Party
    point: ContactPoint
    link: PartyContact
    node: ClassifierNode
    custom_field: CustomField
    task: Task
    interaction: Interaction
    colleague: User
    trashed_task: Task

    @property
    def classifier(self) -> Classifier:
        return self.node.classifier


@pytest.fixture
def world(manager: User, colleague: User) -> World:
    party = PartyFactory(responsible=manager, name="ООО Ромашка")
    duplicate = PartyFactory(responsible=manager, name="Ромашка ООО")
    trashed = PartyFactory(responsible=manager, name="ООО Удалённая", is_deleted=True, deleted_at=timezone.now())
    point = ContactPointFactory(party=party, value="+79161234567")
    link = PartyContactFactory(organization=party)
    node = ClassifierNodeFactory()
    PartyClassification.objects.create(party=party, node=node)
    custom_field = CustomFieldFactory(key="tier", label="Уровень")
    call = InteractionType.objects.get(code="call")
    interaction = activity_services.interaction_log(actor=manager, party=party, type=call, subject="Звонок")
    due = timezone.now() + datetime.timedelta(days=1)
    task = activity_services.task_create(
        actor=manager, title="Перезвонить", party=party, due_at=due, remind_at=due - datetime.timedelta(hours=1)
    )
    trashed_task = activity_services.task_create(actor=manager, title="Удалённая", party=party, due_at=due)
    activity_services.task_delete(actor=manager, task=trashed_task)
    return World(party, duplicate, trashed, point, link, node, custom_field, task, interaction, colleague, trashed_task)


def _local(delta: datetime.timedelta = datetime.timedelta()) -> str:
    return (timezone.localtime() + delta).strftime("%Y-%m-%dT%H:%M")


WorldCase = Case["World"]


PARTY: Callable[[World], list[Any]] = lambda w: [w.party.pk]  # noqa: E731
TASK: Callable[[World], list[Any]] = lambda w: [w.task.pk]  # noqa: E731
#                 manager colleague lead outsider head marketer operator admin
SEE = (200, 404, 200, 404, 200, 200, 200, 200)  # visible to all but the colleague and the other team


def change(ok: int) -> tuple[int, ...]:
    """Owner, head of sales and administrator change the client; others who see it are refused."""
    return (ok, 404, 403, 404, ok, 403, 403, ok)


PARTY_FORM = {"name": "ООО Ромашка и Ко", "legal_form": "ooo", "relationship": "client", "version": "1"}


def _party_form(w: World) -> dict[str, Any]:
    return {**PARTY_FORM, "inn": w.party.inn, "kpp": w.party.kpp}


CASES: list[WorldCase] = [
    # accounts
    Case("accounts:login", "get", everyone(302)),
    Case("accounts:logout", "post", everyone(302)),
    Case("accounts:language", "post", everyone(302), data={"language": "en"}),
    Case("accounts:token", "get", everyone(200)),
    Case("accounts:token", "post", everyone(200)),
    # activities pages
    Case("activities:today", "get", everyone(200)),
    Case("activities:bell", "get", everyone(200)),
    Case("activities:notifications-read", "post", everyone(200)),
    Case("activities:interaction-create", "get", SEE, PARTY),
    Case(
        "activities:interaction-create",
        "post",
        (302, 404, 403, 404, 302, 403, 302, 302),
        PARTY,
        lambda w: {
            "type": InteractionType.objects.get(code="call").pk,
            "direction": "out",
            "occurred_at": _local(),
            "duration_minutes": "5",
        },
    ),  # fmt: skip
    Case("activities:party-timeline", "get", SEE, PARTY),
    Case("activities:party-report", "get", SEE, PARTY),
    Case("activities:interaction-update", "get", change(200), lambda w: [w.interaction.pk]),
    Case(
        "activities:interaction-update",
        "post",
        change(302),
        lambda w: [w.interaction.pk],
        lambda w: {
            "type": w.interaction.type_id,
            "direction": "in",
            "occurred_at": _local(-datetime.timedelta(hours=1)),
            "duration_minutes": "5",
            "subject": "Исправлено",
            "result": "",
            "version": "1",
        },
    ),  # fmt: skip
    Case(
        "activities:interaction-delete", "post", (302, 404, 403, 404, 302, 403, 403, 302), lambda w: [w.interaction.pk]
    ),
    Case("activities:task-list", "get", everyone(200)),
    Case("activities:task-export", "get", everyone(200), lambda w: ["xlsx"]),
    Case("activities:task-create", "get", only(200, *set(PERSONAS) - {"marketer"})),
    Case(
        "activities:task-create",
        "post",
        only(302, *set(PERSONAS) - {"marketer"}),
        data=lambda w: {"kind": "task", "title": "Новая", "due_at": _local(datetime.timedelta(days=2))},
    ),  # fmt: skip
    Case("activities:task-detail", "get", SEE, TASK),
    Case(
        "activities:task-detail",
        "post",
        change(302),
        TASK,
        lambda w: {"kind": "task", "title": "Изменено", "due_at": _local(datetime.timedelta(days=2)), "version": "1"},
    ),  # fmt: skip
    Case("activities:task-complete", "post", change(302), TASK),
    Case("activities:task-delete", "post", change(302), TASK),
    Case("activities:reports", "get", everyone(200)),
    Case("activities:trash", "get", only(200, "administrator")),
    Case("activities:trash-restore", "post", only(302, "administrator"), lambda w: ["task", w.trashed_task.pk]),
    # client pages
    Case("parties:list", "get", everyone(200)),
    Case("parties:search", "get", everyone(200), data={"q": "Ромашка"}),
    Case("parties:create", "get", only(200, *set(PERSONAS) - {"marketer"}), lambda w: ["organization"]),
    Case(
        "parties:create",
        "post",
        only(302, *set(PERSONAS) - {"marketer"}),
        lambda w: ["organization"],
        {"name": "ООО Новый клиент", "legal_form": "ooo", "inn": inn_for(987654), "relationship": "prospect"},
    ),  # fmt: skip
    Case("parties:duplicates", "get", everyone(200), data={"name": "Ромашка"}),
    Case("parties:export", "get", only(200, *set(PERSONAS) - {"operator"}), lambda w: ["csv"]),
    Case(
        "parties:bulk-reassign",
        "post",
        only(302, "head_of_sales", "administrator"),
        data=lambda w: {"responsible": w.colleague.pk, "party": w.party.pk},
    ),  # fmt: skip
    Case("parties:stale", "get", everyone(200)),
    Case("parties:trash", "get", only(200, "administrator")),
    Case("parties:detail", "get", SEE, PARTY),
    Case("parties:update", "get", change(200), PARTY),
    Case("parties:update", "post", change(302), PARTY, _party_form),
    Case("parties:delete", "post", change(302), PARTY),
    Case("parties:restore", "post", only(302, "administrator"), lambda w: [w.trashed.pk]),
    Case("parties:classify", "get", change(200), PARTY),
    Case("parties:classify", "post", change(302), PARTY, {"nodes": []}),
    Case(
        "parties:reassign",
        "post",
        only(302, "head_of_sales", "administrator"),
        PARTY,
        lambda w: {"responsible": w.colleague.pk},
    ),  # fmt: skip
    Case("parties:merge", "get", only(200, "head_of_sales", "administrator"), PARTY),
    Case(
        "parties:merge",
        "post",
        only(302, "head_of_sales", "administrator"),
        PARTY,
        lambda w: {"duplicate": w.duplicate.pk},
    ),  # fmt: skip
    Case("parties:contact-add", "post", change(200), PARTY, {"kind": "phone", "value": "+7 916 555-44-33"}),
    Case("parties:person-add", "post", change(302), PARTY, {"last_name": "Новиков", "first_name": "Олег"}),
    Case("parties:person-unlink", "post", change(302), lambda w: [w.link.pk]),
    Case("parties:contact-confirm", "post", change(200), lambda w: [w.point.pk]),
    Case("parties:contact-remove", "post", change(200), lambda w: [w.point.pk]),
    Case("parties:classifier-list", "get", only(200, "administrator")),
    Case("parties:classifier-list", "post", only(302, "administrator"), data={"name": "Новый", "description": ""}),
    Case("parties:classifier-detail", "get", only(200, "administrator"), lambda w: [w.classifier.pk]),
    Case(
        "parties:classifier-detail", "post", only(302, "administrator"), lambda w: [w.classifier.pk], {"name": "Узел"}
    ),
    Case("parties:classifier-node-delete", "post", only(302, "administrator"), lambda w: [w.node.pk]),
    Case("parties:custom-field-list", "get", only(200, "administrator")),
    Case("parties:custom-field-create", "get", only(200, "administrator")),
    Case(
        "parties:custom-field-create",
        "post",
        only(302, "administrator"),
        data={
            "target": "organization",
            "key": "size2",
            "label": "Размер",
            "field_type": "text",
            "position": "0",
            "is_active": "on",
        },
    ),  # fmt: skip
    Case("parties:custom-field-update", "get", only(200, "administrator"), lambda w: [w.custom_field.pk]),
    Case(
        "parties:custom-field-update",
        "post",
        only(302, "administrator"),
        lambda w: [w.custom_field.pk],
        {"target": "organization", "key": "tier", "label": "Уровень", "field_type": "text", "position": "1"},
    ),  # fmt: skip
    # API: clients
    Case("api:party-list", "get", everyone(200)),
    Case(
        "api:party-list",
        "post",
        only(201, *set(PERSONAS) - {"marketer"}),
        data={"kind": "organization", "name": "ООО Новый клиент", "inn": inn_for(987655)},
        json=True,
    ),  # fmt: skip
    Case(
        "api:party-reassign",
        "post",
        only(200, "head_of_sales", "administrator"),
        data=lambda w: {"responsible": w.colleague.pk, "ids": [w.party.pk]},
        json=True,
    ),  # fmt: skip
    Case("api:party-duplicates", "get", everyone(200), data={"name": "Ромашка"}),
    Case("api:party-detail", "get", SEE, PARTY),
    Case("api:party-detail", "patch", change(200), PARTY, {"region": "Тверь", "version": 1}, json=True),
    Case("api:party-detail", "delete", change(204), PARTY),
    Case("api:party-contact-points", "post", change(201), PARTY, {"kind": "email", "value": "a@b.ru"}, json=True),
    Case("api:party-classification", "put", change(200), PARTY, {"nodes": []}, json=True),
    Case(
        "api:party-merge",
        "post",
        only(200, "head_of_sales", "administrator"),
        PARTY,
        lambda w: {"duplicate": w.duplicate.pk},
        json=True,
    ),  # fmt: skip
    Case("api:contact-point-detail", "delete", change(204), lambda w: [w.point.pk]),
    Case("api:search", "get", everyone(200), data={"q": "Ромашка"}),
    Case("api:classifier-list", "get", everyone(200)),
    Case("api:custom-field-list", "get", everyone(200)),
    # API: activities
    Case("api:interaction-list", "get", everyone(200)),
    Case(
        "api:interaction-list",
        "post",
        (201, 404, 403, 404, 201, 403, 201, 201),
        data=lambda w: {"party": w.party.pk, "type": "call"},
        json=True,
    ),  # fmt: skip
    Case("api:interaction-detail", "get", SEE, lambda w: [w.interaction.pk]),
    Case(
        "api:interaction-detail",
        "patch",
        change(200),
        lambda w: [w.interaction.pk],
        {"subject": "Изменено", "version": 1},
        json=True,
    ),  # fmt: skip
    Case("api:interaction-detail", "delete", change(204), lambda w: [w.interaction.pk]),
    Case("api:party-timeline", "get", SEE, PARTY),
    Case("api:task-list", "get", everyone(200)),
    Case(
        "api:task-list",
        "post",
        only(201, *set(PERSONAS) - {"marketer"}),
        data=lambda w: {"title": "Новая", "due_at": (timezone.now() + datetime.timedelta(days=1)).isoformat()},
        json=True,
    ),  # fmt: skip
    Case("api:task-detail", "get", SEE, TASK),
    Case("api:task-detail", "patch", change(200), TASK, {"title": "Изменено", "version": 1}, json=True),
    Case("api:task-detail", "delete", change(204), TASK),
    Case("api:task-complete", "post", change(200), TASK),
    Case("api:notification-list", "get", everyone(200)),
    Case("api:notification-list", "post", everyone(200)),
    # import and export (crm/parties/urls_transfer.py, crm/parties/api/transfer.py)
    Case("parties:import", "get", only(200, "head_of_sales", "administrator")),
    # Another user's (or an expired) upload token looks like a missing one.
    Case("parties:import-mapping", "get", only(404, "head_of_sales", "administrator"), lambda w: [uuid.uuid4()]),
    Case("parties:import-preview", "get", only(404, "head_of_sales", "administrator"), lambda w: [uuid.uuid4()]),
    Case("parties:import-errors", "get", only(404, "head_of_sales", "administrator"), lambda w: [uuid.uuid4(), "csv"]),
    Case("parties:vcard-import", "get", only(200, "head_of_sales", "administrator")),
    Case("parties:vcard-export", "get", only(200, *set(PERSONAS) - {"operator"})),
    Case("api:parties-import", "post", only(400, "head_of_sales", "administrator")),
    Case("api:parties-vcard-import", "post", only(400, "head_of_sales", "administrator")),
    Case("api:parties-vcard-export", "get", only(200, *set(PERSONAS) - {"operator"})),
    # project-wide
    Case("api-schema", "get", everyone(200)),
    Case("api-docs", "get", everyone(200)),
    Case("manifest", "get", everyone(200)),
    Case("service-worker", "get", everyone(200)),
]


def all_case_names() -> set[str]:
    """The URL names that have rows here or in any other `tests/test_access_<area>.py`."""
    names = {c.name for c in CASES}
    for path in sorted(Path(__file__).parent.glob("test_access_*.py")):
        if path.stem != "test_access_matrix":
            names |= {c.name for c in importlib.import_module(f"tests.{path.stem}").CASES}
    return names


def test_every_url_pattern_has_rows_in_the_matrix() -> None:
    """A new URL must come with its access expectations here."""
    covered = all_case_names()
    missing = {name: route for name, route in project_url_names().items() if name not in covered}
    assert missing == {}, (
        "add these URL patterns to CASES in tests/test_access_matrix.py or tests/test_access_<area>.py"
    )


def test_the_matrix_has_no_stale_rows() -> None:
    assert all_case_names() - set(project_url_names()) == set()


def _snapshot(world: World) -> dict[str, Any]:
    """Everything a refused request could have changed."""
    counted = [Party, PartyEvent, ContactPoint, PartyContact, PartyClassification, Classifier, ClassifierNode,
               CustomField, Interaction, Task, ActivityEvent, Reminder]  # fmt: skip
    rows = {
        "party": Party.objects.filter(pk=world.party.pk).values().first(),
        "duplicate": Party.objects.filter(pk=world.duplicate.pk).values().first(),
        "trashed": Party.objects.filter(pk=world.trashed.pk).values("is_deleted").first(),
        "person": Party.objects.filter(pk=world.link.person_id).values("responsible", "is_deleted").first(),
        "task": Task.objects.filter(pk=world.task.pk).values().first(),
        "trashed_task": Task.objects.filter(pk=world.trashed_task.pk).values("is_deleted").first(),
        "interaction": Interaction.objects.filter(pk=world.interaction.pk).values().first(),
        "custom_field": CustomField.objects.filter(pk=world.custom_field.pk).values().first(),
        "point": ContactPoint.objects.filter(pk=world.point.pk).values().first(),
    }
    return {"counts": {m.__name__: m._default_manager.count() for m in counted}, **rows}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access(request: pytest.FixtureRequest, world: World, case: WorldCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.method == "get"], ids=lambda c: c.id)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: World, case: WorldCase) -> None:
    public = {"accounts:login": 200, "manifest": 200, "service-worker": 200, "api-schema": 200, "api-docs": 200}
    assert send_request(client, case, world) == anonymous_status(case, public)


def test_notifications_stay_private(client: Client, manager: User, outsider: User) -> None:
    Notification.objects.create(user=manager, key="k", title="Личное")
    client.force_login(outsider)
    assert client.post(reverse("activities:notifications-read")).status_code == 200
    assert Notification.objects.get().read_at is None
