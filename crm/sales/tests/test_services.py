"""Deals: creation, stage rules, time in stage, lines with prices, discounts, VAT and margins."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.activities.services import interaction_delete, interaction_log
from crm.parties.models import Party
from crm.parties.tests.factories import ClassifierNodeFactory, PartyContactFactory, PersonFactory
from crm.sales.models import Deal, DealEvent, DealStageChange
from crm.sales.selectors import deal_time_in_stages
from crm.sales.services import (
    deal_create,
    deal_link_interaction,
    deal_log_interaction,
    deal_missing_requirements,
    deal_move_stage,
    deal_record_event,
    deal_update,
)
from crm.sales.tests.conftest import Flow

MOSCOW = datetime.timezone(datetime.timedelta(hours=3))


def _demo() -> InteractionType:
    return InteractionType.objects.get(code="demo")


def test_a_new_deal_starts_in_the_first_open_stage_with_its_probability(
    manager: User, client_of_manager: Party, flow: Flow
) -> None:
    deal = deal_create(actor=manager, party=client_of_manager, title="Лицензии", pipeline=flow.pipeline)
    assert (deal.stage, deal.probability, deal.owner, deal.currency_id, deal.closed_at) == (
        flow.qualification,
        10,
        manager,
        "RUB",
        None,
    )
    change = DealStageChange.objects.get(deal=deal)
    assert (change.from_stage, change.stage, change.actor) == (None, flow.qualification, manager)
    assert list(deal.events.values_list("kind", flat=True)) == [DealEvent.Kind.CREATED]


def test_a_contact_person_must_be_a_contact_of_the_client(manager: User, client_of_manager: Party, flow: Flow) -> None:
    stranger = PersonFactory(responsible=manager)
    with pytest.raises(ValidationError) as error:
        deal_create(actor=manager, party=client_of_manager, title="X", pipeline=flow.pipeline, contact=stranger)
    assert error.value.message_dict == {"contact": ["This person is not a contact of the client."]}
    assert not Deal.objects.exists()
    link = PartyContactFactory(organization=client_of_manager)
    deal = deal_create(actor=manager, party=client_of_manager, title="X", pipeline=flow.pipeline, contact=link.person)
    assert deal.contact == link.person


def test_moving_forward_is_refused_naming_each_missing_action(manager: User, deal_of_manager: Deal, flow: Flow) -> None:
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.demo)
    with pytest.raises(ValidationError) as error:
        deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.negotiation)
    assert error.value.message_dict == {
        "stage": [
            "Required before leaving the stage “Демонстрация”: Демонстрация проведена.",
            "Required before leaving the stage “КП”: КП отправлено.",
        ]
    }
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.stage == flow.demo  # a refusal changes nothing
    assert deal_of_manager.events.filter(kind=DealEvent.Kind.STAGE_CHANGED).count() == 1


def test_skipping_a_stage_does_not_skip_its_requirement(manager: User, deal_of_manager: Deal, flow: Flow) -> None:
    assert deal_missing_requirements(deal_of_manager, flow.demo) == []
    assert deal_missing_requirements(deal_of_manager, flow.proposal) == [flow.demo_held]
    assert deal_missing_requirements(deal_of_manager, flow.won) == [flow.demo_held, flow.proposal_sent]


def test_a_linked_demonstration_satisfies_the_requirement(manager: User, deal_of_manager: Deal, flow: Flow) -> None:
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.demo)
    deal_log_interaction(actor=manager, deal=deal_of_manager, type=_demo(), subject="Показали систему")
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.proposal)
    assert deal_of_manager.stage == flow.proposal
    kinds = list(deal_of_manager.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["created", "stage_changed", "interaction_logged", "stage_changed"]


def test_a_demonstration_not_linked_to_the_deal_or_deleted_does_not_count(
    manager: User, deal_of_manager: Deal, flow: Flow
) -> None:
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.demo)
    interaction_log(actor=manager, party=deal_of_manager.party, type=_demo())
    assert deal_missing_requirements(deal_of_manager, flow.proposal) == [flow.demo_held]
    linked = deal_log_interaction(actor=manager, deal=deal_of_manager, type=_demo())
    interaction_delete(actor=manager, interaction=linked)
    assert deal_missing_requirements(deal_of_manager, flow.proposal) == [flow.demo_held]


def test_an_interaction_with_another_client_cannot_be_linked(manager: User, deal_of_manager: Deal) -> None:
    other = interaction_log(actor=manager, party=PersonFactory(responsible=manager), type=_demo())
    with pytest.raises(ValidationError) as error:
        deal_link_interaction(actor=manager, deal=deal_of_manager, interaction=other)
    assert error.value.message_dict == {"interaction": ["The interaction is with another client."]}


def test_a_generated_proposal_satisfies_the_document_requirement(
    manager: User, deal_of_manager: Deal, flow: Flow
) -> None:
    deal_of_manager.stage = flow.proposal
    deal_of_manager.save()
    deal_record_event(actor=manager, deal=deal_of_manager, kind="document_generated", data={"kind": "contract"})
    assert deal_missing_requirements(deal_of_manager, flow.negotiation) == [flow.proposal_sent]
    deal_record_event(actor=manager, deal=deal_of_manager, kind="document_generated", data={"kind": "proposal"})
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.negotiation)
    assert (deal_of_manager.stage, deal_of_manager.probability) == (flow.negotiation, 70)


def test_a_field_requirement_is_met_when_the_field_is_filled(manager: User, deal_of_manager: Deal, flow: Flow) -> None:
    requirement = flow.qualification.requirements.create(kind="field", field="expected_close_date", label="Срок")
    assert deal_missing_requirements(deal_of_manager, flow.demo) == [requirement]
    deal_update(
        actor=manager,
        deal=deal_of_manager,
        data={"expected_close_date": datetime.date(2026, 12, 31)},
        expected_version=deal_of_manager.version,
    )
    assert deal_missing_requirements(deal_of_manager, flow.demo) == []


def test_backwards_and_lost_need_nothing_but_lost_needs_a_reason(
    manager: User, deal_of_manager: Deal, flow: Flow
) -> None:
    deal_of_manager.stage = flow.proposal
    deal_of_manager.save()
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.qualification)
    assert deal_of_manager.stage == flow.qualification
    with pytest.raises(ValidationError) as error:
        deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.lost)
    assert error.value.message_dict == {"lost_reason": ["Say why the deal is lost."]}
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.stage == flow.qualification
    price = ClassifierNodeFactory(name="Цена")
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.lost, lost_reason=price)
    deal_of_manager.refresh_from_db()
    assert (deal_of_manager.stage, deal_of_manager.lost_reason, deal_of_manager.probability) == (flow.lost, price, 0)
    assert deal_of_manager.closed_at is not None
    assert deal_of_manager.events.latest("pk").data["lost_reason"] == "Цена"


def test_a_stage_of_another_pipeline_is_refused(manager: User, deal_of_manager: Deal, flow: Flow) -> None:
    from crm.sales.tests.factories import StageFactory

    with pytest.raises(ValidationError) as error:
        deal_move_stage(actor=manager, deal=deal_of_manager, stage=StageFactory())
    assert error.value.message_dict == {"stage": ["This stage belongs to another pipeline."]}


def test_manual_probability_survives_moves_between_open_stages(
    manager: User, deal_of_manager: Deal, flow: Flow
) -> None:
    deal_update(actor=manager, deal=deal_of_manager, data={"probability": 45}, expected_version=deal_of_manager.version)
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.demo)
    assert deal_of_manager.probability == 45
    deal_log_interaction(actor=manager, deal=deal_of_manager, type=_demo())
    deal_record_event(actor=manager, deal=deal_of_manager, kind="document_generated", data={"kind": "proposal"})
    deal_move_stage(actor=manager, deal=deal_of_manager, stage=flow.won)
    assert deal_of_manager.probability == 100


def test_time_spent_in_each_stage(manager: User, client_of_manager: Party, flow: Flow) -> None:
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=MOSCOW), tick=False) as clock:
        deal = deal_create(actor=manager, party=client_of_manager, title="X", pipeline=flow.pipeline)
        clock.move_to(datetime.datetime(2026, 3, 5, 10, 0, tzinfo=MOSCOW))
        deal_move_stage(actor=manager, deal=deal, stage=flow.demo)
        clock.move_to(datetime.datetime(2026, 3, 5, 16, 30, tzinfo=MOSCOW))
        deal_move_stage(actor=manager, deal=deal, stage=flow.qualification)
        clock.move_to(datetime.datetime(2026, 3, 6, 10, 0, tzinfo=MOSCOW))
        times = [(t.stage.name, t.duration, t.is_current) for t in deal_time_in_stages(deal)]
    assert times == [
        ("Квалификация", datetime.timedelta(days=3, hours=17, minutes=30), True),
        ("Демонстрация", datetime.timedelta(hours=6, minutes=30), False),
    ]


def test_a_stale_edit_is_refused_and_changes_nothing(manager: User, deal_of_manager: Deal) -> None:
    version = deal_of_manager.version
    deal_update(actor=manager, deal=deal_of_manager, data={"title": "Первое"}, expected_version=version)
    stale = Deal.objects.get(pk=deal_of_manager.pk)
    with pytest.raises(ValidationError):
        deal_update(actor=manager, deal=stale, data={"title": "Второе"}, expected_version=version)
    assert Deal.objects.get(pk=deal_of_manager.pk).title == "Первое"
    changed = deal_of_manager.events.get(kind=DealEvent.Kind.CHANGED)
    assert changed.data["changes"] == [
        {"field": "title", "label": "title", "old": "Поставка серверов", "new": "Первое"}
    ]
