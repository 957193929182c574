"""A small branching script, a client of `manager` and a deal of that client at the shipped «Демонстрация» stage."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import translation

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.playbooks import services
from crm.playbooks.models import Answer, Script, Step
from crm.sales.models import Deal, Pipeline, Stage
from crm.sales.services import deal_create


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in the source language; the Russian catalogue is the lead's."""
    with translation.override("en"):
        yield


@dataclass
class Call:
    """greeting -> (yes) need -> (interested) meeting outcome | (expensive) objection -> outcome; (busy) call back."""

    script: Script
    greeting: Step
    need: Step
    objection: Step
    yes: Answer
    busy: Answer
    interested: Answer
    expensive: Answer
    convinced: Answer
    still_expensive: Answer


def build_call_script(actor: User, name: str = "Тестовый звонок") -> Call:
    call = InteractionType.objects.get(code="call")
    script = services.script_create(actor=actor, name=name, interaction_type=call)
    greeting = services.step_create(actor=actor, script=script, title="Приветствие", text="Удобно говорить?")
    need = services.step_create(actor=actor, script=script, title="Потребность", text="Что важно?")
    objection = services.step_create(actor=actor, script=script, title="Дорого", text="С чем сравниваете?")
    return Call(
        script=script,
        greeting=greeting,
        need=need,
        objection=objection,
        yes=services.answer_create(actor=actor, step=greeting, label="Да", next_step=need),
        busy=services.answer_create(actor=actor, step=greeting, label="Занят", outcome="call_back"),
        interested=services.answer_create(actor=actor, step=need, label="Интересно", outcome="meeting"),
        expensive=services.answer_create(actor=actor, step=need, label="Дорого", next_step=objection),
        convinced=services.answer_create(actor=actor, step=objection, label="Убедили", outcome="meeting"),
        still_expensive=services.answer_create(actor=actor, step=objection, label="Всё равно", outcome="refused"),
    )


@pytest.fixture
def call_script(administrator: User) -> Call:
    return build_call_script(administrator)


@pytest.fixture
def party(manager: User) -> Party:
    return PartyFactory(responsible=manager, name="ООО Ромашка")


@pytest.fixture
def demo_stage(db: None) -> Stage:
    return Stage.objects.get(pipeline__name="Новые продажи", name="Демонстрация")


@pytest.fixture
def deal(manager: User, party: Party, demo_stage: Stage) -> Deal:
    pipeline = Pipeline.objects.get(name="Новые продажи")
    return deal_create(actor=manager, party=party, title="Поставка серверов", pipeline=pipeline, stage=demo_stage)
