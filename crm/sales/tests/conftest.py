"""A pipeline like the shipped «Новые продажи» and deals of the personas in it."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import translation

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.sales.choices import DocumentKind, RequirementKind
from crm.sales.models import Deal, Pipeline, Stage, StageRequirement
from crm.sales.services import deal_create
from crm.sales.tests.factories import LostStageFactory, PipelineFactory, StageFactory, WonStageFactory


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in the source language; the Russian catalogue is the lead's."""
    with translation.override("en"):
        yield


@dataclass
class Flow:
    pipeline: Pipeline
    qualification: Stage
    demo: Stage
    proposal: Stage
    negotiation: Stage
    won: Stage
    lost: Stage
    demo_held: StageRequirement
    proposal_sent: StageRequirement


@pytest.fixture
def flow(db: None) -> Flow:
    pipeline = PipelineFactory(name="Тестовые продажи")
    demo = StageFactory(pipeline=pipeline, name="Демонстрация", position=2, probability=30)
    proposal = StageFactory(pipeline=pipeline, name="КП", position=3, probability=50)
    demo_held = StageRequirement.objects.create(
        stage=demo,
        kind=RequirementKind.INTERACTION,
        interaction_type=InteractionType.objects.get(code="demo"),
        label="Демонстрация проведена",
    )
    proposal_sent = StageRequirement.objects.create(
        stage=proposal, kind=RequirementKind.DOCUMENT, document_kind=DocumentKind.PROPOSAL, label="КП отправлено"
    )
    return Flow(
        pipeline=pipeline,
        qualification=StageFactory(pipeline=pipeline, name="Квалификация", position=1, probability=10),
        demo=demo,
        proposal=proposal,
        negotiation=StageFactory(pipeline=pipeline, name="Переговоры", position=4, probability=70),
        won=WonStageFactory(pipeline=pipeline, name="Успешно"),
        lost=LostStageFactory(pipeline=pipeline, name="Проиграно"),
        demo_held=demo_held,
        proposal_sent=proposal_sent,
    )


@pytest.fixture
def client_of_manager(manager: User) -> Party:
    return PartyFactory(responsible=manager, name="ООО Ромашка")


@pytest.fixture
def deal_of_manager(manager: User, client_of_manager: Party, flow: Flow) -> Deal:
    return deal_create(actor=manager, party=client_of_manager, title="Поставка серверов", pipeline=flow.pipeline)
