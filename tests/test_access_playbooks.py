"""Who may edit scripts, follow them and see whose runs: URL x method x persona (S13).

Editing needs `sales.manage_pipelines` (administrators). Following a script ends by logging the contact, so
it takes the right to log contacts with the client; a run is seen in the time report's scope (own, the team
for its lead, everyone for heads of sales) and advanced only by the manager who runs it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from crm.accounts.models import User
from crm.activities.models import Interaction, InteractionType
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.playbooks import services
from crm.playbooks.models import Answer, Script, ScriptEvent, ScriptRun, Step
from tests.access import Case, anonymous_status, check_access, everyone, only, send_request


@dataclass
class World:
    party: Party
    script: Script
    greeting: Step
    need: Step
    extra: Step
    yes: Answer
    interested: Answer
    run: ScriptRun


@pytest.fixture
def world(manager: User, administrator: User) -> World:
    party = PartyFactory(responsible=manager, name="ООО Ромашка")
    call = InteractionType.objects.get(code="call")
    script = services.script_create(actor=administrator, name="Тестовый звонок", interaction_type=call)
    greeting = services.step_create(actor=administrator, script=script, title="Приветствие")
    need = services.step_create(actor=administrator, script=script, title="Потребность")
    extra = services.step_create(actor=administrator, script=script, title="Лишний")
    yes = services.answer_create(actor=administrator, step=greeting, label="Да", next_step=need)
    interested = services.answer_create(actor=administrator, step=need, label="Интересно", outcome="meeting")
    run = services.run_start(actor=manager, script=script, party=party)
    services.run_choose(actor=manager, run=run, answer=yes)
    return World(party, script, greeting, need, extra, yes, interested, run)


WorldCase = Case["World"]

SCRIPT: Callable[[World], list[Any]] = lambda w: [w.script.pk]  # noqa: E731
RUN: Callable[[World], list[Any]] = lambda w: [w.run.pk]  # noqa: E731
ADMIN = only(200, "administrator")
#                          manager colleague lead outsider head marketer operator admin
SEE_PARTY = (200, 404, 200, 404, 200, 200, 200, 200)


def log(ok: int) -> tuple[int, ...]:
    """Who may log contacts with the manager's client (and so follow a script with it)."""
    return (ok, 404, 403, 404, ok, 403, ok, ok)


def run_change(ok: int) -> tuple[int, ...]:
    """Only the manager advances the run; the team lead, head of sales and administrator see it, others do not."""
    return (ok, 404, 403, 404, 403, 404, 404, 403)


RUN_SEE = (200, 404, 200, 404, 200, 404, 404, 200)
FINISH = {"type": "call", "outcome": "refused"}


def _finish_form(w: World) -> dict[str, Any]:
    call = InteractionType.objects.get(code="call")
    return {"type": call.pk, "direction": "out", "occurred_at": "2026-01-10T10:00", "duration_minutes": "3",
            "outcome": "refused"}  # fmt: skip


CASES: list[WorldCase] = [
    Case("playbooks:script-list", "get", everyone(200)),
    Case("playbooks:script-create", "get", ADMIN),
    Case(
        "playbooks:script-create",
        "post",
        only(302, "administrator"),
        data=lambda w: {"name": "Новый", "interaction_type": InteractionType.objects.get(code="call").pk},
    ),  # fmt: skip
    Case("playbooks:script-detail", "get", everyone(200), SCRIPT),
    Case("playbooks:script-update", "get", ADMIN, SCRIPT),
    Case(
        "playbooks:script-update",
        "post",
        only(302, "administrator"),
        SCRIPT,
        lambda w: {"name": "Переименован", "interaction_type": w.script.interaction_type_id, "is_active": "on"},
    ),  # fmt: skip
    Case("playbooks:step-create", "post", only(302, "administrator"), SCRIPT, {"title": "Новый шаг"}),
    Case("playbooks:step-update", "get", ADMIN, lambda w: [w.need.pk]),
    Case("playbooks:step-update", "post", only(302, "administrator"), lambda w: [w.need.pk], {"title": "Вопрос"}),
    Case("playbooks:step-delete", "post", only(302, "administrator"), lambda w: [w.extra.pk]),
    Case(
        "playbooks:answer-create",
        "post",
        only(302, "administrator"),
        lambda w: [w.need.pk],
        {"label": "Нет", "outcome": "refused"},
    ),  # fmt: skip
    Case("playbooks:answer-update", "get", ADMIN, lambda w: [w.interested.pk]),
    Case(
        "playbooks:answer-update",
        "post",
        only(302, "administrator"),
        lambda w: [w.interested.pk],
        {"label": "Очень интересно", "outcome": "agreed"},
    ),  # fmt: skip
    Case("playbooks:answer-delete", "post", only(302, "administrator"), lambda w: [w.interested.pk]),
    Case("playbooks:suggested", "get", SEE_PARTY, data=lambda w: {"party": w.party.pk, "type": "call"}),
    Case("playbooks:run-start", "get", log(200), data=lambda w: {"party": w.party.pk}),
    Case("playbooks:run-start", "post", log(302), data=lambda w: {"party": w.party.pk, "script": w.script.pk}),
    Case("playbooks:run-detail", "get", RUN_SEE, RUN),
    Case("playbooks:run-answer", "post", run_change(302), RUN, lambda w: {"answer": w.interested.pk}),
    Case("playbooks:run-back", "post", run_change(302), RUN),
    Case("playbooks:run-finish", "post", run_change(302), RUN, _finish_form),
    Case("playbooks:run-abandon", "post", run_change(302), RUN),
    Case("playbooks:report", "get", everyone(200)),
    Case("playbooks:report", "get", everyone(200), data={"format": "xlsx"}),
    # API
    Case("api:script-list", "get", everyone(200)),
    Case("api:script-detail", "get", everyone(200), SCRIPT),
    Case("api:script-report", "get", everyone(200)),
    Case("api:script-run-list", "get", everyone(200)),
    Case(
        "api:script-run-list",
        "post",
        log(201),
        data=lambda w: {"script": w.script.pk, "party": w.party.pk},
        json=True,
    ),  # fmt: skip
    Case("api:script-run-detail", "get", RUN_SEE, RUN),
    Case("api:script-run-answer", "post", run_change(200), RUN, lambda w: {"answer": w.interested.pk}, json=True),
    Case("api:script-run-back", "post", run_change(200), RUN),
    Case("api:script-run-finish", "post", run_change(200), RUN, FINISH, json=True),
    Case("api:script-run-abandon", "post", run_change(200), RUN),
]


def _snapshot(world: World) -> dict[str, Any]:
    """Everything a refused request could have changed."""
    counted = [Script, Step, Answer, ScriptRun, ScriptEvent, Interaction]
    return {
        "counts": {m.__name__: m._default_manager.count() for m in counted},
        "script": Script.objects.filter(pk=world.script.pk).values().first(),
        "steps": list(Step.objects.filter(script=world.script).values().order_by("pk")),
        "answers": list(Answer.objects.filter(step__script=world.script).values().order_by("pk")),
        "run": ScriptRun.objects.filter(pk=world.run.pk).values().first(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[f"{c.id}-{i}" for i, c in enumerate(CASES)])
def test_access(request: pytest.FixtureRequest, world: World, case: WorldCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.method == "get"], ids=lambda c: c.id)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: World, case: WorldCase) -> None:
    assert send_request(client, case, world) == anonymous_status(case, {})
