"""Deals: creation, stage rules, time in stage, lines with prices, discounts, VAT and margins."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.activities.services import interaction_delete, interaction_log
from crm.catalog.models import Product
from crm.catalog.money import round_money
from crm.catalog.tests.factories import (
    ExchangeRateFactory,
    PriceListFactory,
    PriceListItemFactory,
    PriceRuleFactory,
    ProductFactory,
)
from crm.catalog.tests.factories import currency as currency_of
from crm.parties.models import Party
from crm.parties.services import party_set_classification
from crm.parties.tests.factories import ClassifierNodeFactory, PartyContactFactory, PartyFactory, PersonFactory
from crm.sales.models import Deal, DealEvent, DealStageChange
from crm.sales.selectors import deal_time_in_stages, deal_totals, line_totals
from crm.sales.services import (
    deal_create,
    deal_line_add,
    deal_line_remove,
    deal_line_update,
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


# Line items, prices, discounts, money ---------------------------------------------------------------------------


def _priced(product: Product, price: str, *, vat_included: bool = True, currency: str = "RUB", name: str = "") -> None:
    price_list = PriceListFactory(
        name=name or f"Розница {product.sku}", vat_included=vat_included, currency=currency_of(currency)
    )
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal(price))
    PriceRuleFactory(price_list=price_list, position=100)


def test_a_line_takes_the_price_list_price_and_says_why(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory(vat_rate="20", cost=Decimal("600.00"))
    _priced(product, "1200.00", name="Розница")
    line = deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("3"))
    assert (line.list_price, line.price, line.vat_rate, line.vat_included, line.cost, line.unit) == (
        Decimal("1200.00"), Decimal("1200.00"), "20", True, Decimal("600.00"), "шт"
    )  # fmt: skip
    assert line.price_source == "Price list «Розница», rule 100: any client."
    totals = line_totals(line)
    assert (totals.gross, totals.vat, totals.net, totals.cost, totals.profit, totals.margin) == (
        Decimal("3600.00"), Decimal("600.00"), Decimal("3000.00"), Decimal("1800.00"), Decimal("1200.00"),
        Decimal("40.00"),
    )  # fmt: skip
    deal_of_manager.refresh_from_db()
    assert (deal_of_manager.amount, deal_of_manager.cost) == (Decimal("3600.00"), Decimal("1800.00"))
    assert deal_of_manager.events.latest("pk").kind == DealEvent.Kind.LINE_ADDED


def test_the_client_status_chooses_the_price_list(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory()
    _priced(product, "1000.00", name="Розница")
    dealers = ClassifierNodeFactory(name="Дилеры")
    party_set_classification(actor=manager, party=deal_of_manager.party, nodes=[dealers])
    dealer_list = PriceListFactory(name="Дилерский")
    PriceListItemFactory(price_list=dealer_list, product=product, price=Decimal("800.00"))
    PriceRuleFactory(price_list=dealer_list, position=1, node=dealers)
    line = deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("1"))
    assert (line.list_price, line.price_list, line.price_source) == (
        Decimal("800.00"), dealer_list, "Price list «Дилерский», rule 1: client in «Дилеры»."
    )  # fmt: skip


def test_vat_on_top_of_a_net_price_rounds_to_kopecks(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory(vat_rate="20", cost=Decimal("0.10"))
    _priced(product, "0.33", vat_included=False)
    line = deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("7"))
    totals = line_totals(line)
    # 0.33 x 7 = 2.31 net; VAT 0.462 -> 0.46; cost 0.70.
    assert (totals.net, totals.vat, totals.gross, totals.cost, totals.profit) == (
        Decimal("2.31"), Decimal("0.46"), Decimal("2.77"), Decimal("0.70"), Decimal("1.61")
    )  # fmt: skip


def test_vat_included_is_extracted_and_parts_add_up(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory(vat_rate="20")
    _priced(product, "99.99")
    line = deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("1.5"))
    totals = line_totals(line)
    # 99.99 x 1.5 = 149.985 -> 149.99 gross; VAT = 149.99 x 20 / 120 = 24.998 -> 25.00.
    assert (totals.gross, totals.vat, totals.net) == (Decimal("149.99"), Decimal("25.00"), Decimal("124.99"))


def test_deal_totals_sum_lines_with_different_vat_rates(manager: User, deal_of_manager: Deal) -> None:
    goods, service = (
        ProductFactory(vat_rate="20", cost=Decimal("50")),
        ProductFactory(vat_rate="none", cost=Decimal("0")),
    )
    _priced(goods, "120.00")
    _priced(service, "500.00")
    deal_line_add(actor=manager, deal=deal_of_manager, product=goods, quantity=Decimal("2"))
    deal_line_add(actor=manager, deal=deal_of_manager, product=service, quantity=Decimal("1"))
    totals = deal_totals(deal_of_manager)
    assert (totals.net, totals.vat, totals.gross, totals.cost, totals.profit, totals.margin, totals.currency) == (
        Decimal("700.00"), Decimal("40.00"), Decimal("740.00"), Decimal("100.00"), Decimal("600.00"),
        Decimal("85.71"), "RUB",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "discount", "allowed"),
    [
        ("manager", "10", True),
        ("manager", "10.01", False),
        ("team_lead", "15", True),
        ("team_lead", "16", False),
        ("head_of_sales", "30", True),
        ("head_of_sales", "31", False),
    ],
)
def test_the_discount_is_limited_by_role(
    persona: str, discount: str, allowed: bool, request: pytest.FixtureRequest, flow: Flow
) -> None:
    user: User = request.getfixturevalue(persona)
    deal = deal_create(actor=user, party=PartyFactory(responsible=user), title="X", pipeline=flow.pipeline)
    product = ProductFactory()
    _priced(product, "1000.00")
    if allowed:
        line = deal_line_add(
            actor=user, deal=deal, product=product, quantity=Decimal("1"), discount_percent=Decimal(discount)
        )
        assert line.price == round_money(Decimal("1000") * (100 - Decimal(discount)) / 100)
        return
    with pytest.raises(ValidationError) as error:
        deal_line_add(actor=user, deal=deal, product=product, quantity=Decimal("1"), discount_percent=Decimal(discount))
    limit = {"manager": "10", "team_lead": "15", "head_of_sales": "30"}[persona]
    assert error.value.message_dict == {
        "discount_percent": [f"The discount {discount}% is above your limit of {limit}%."]
    }
    assert not deal.lines.exists()


def test_a_typed_price_replaces_the_price_list_and_a_discount_applies(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory()
    _priced(product, "1000.00")
    line = deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("2"))
    deal_line_update(actor=manager, line=line, data={"list_price": Decimal("900"), "discount_percent": Decimal("5.5")})
    line.refresh_from_db()
    assert (line.list_price, line.price, line.price_list, line.price_source) == (
        Decimal("900.00"), Decimal("850.50"), None, "Price entered by hand."
    )  # fmt: skip
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.amount == Decimal("1701.00")
    deal_line_remove(actor=manager, line=line)
    deal_of_manager.refresh_from_db()
    assert (deal_of_manager.amount, deal_of_manager.cost) == (Decimal("0"), Decimal("0"))


def test_a_refused_discount_change_keeps_the_line(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory()
    _priced(product, "1000.00")
    line = deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("1"))
    with pytest.raises(ValidationError):
        deal_line_update(actor=manager, line=line, data={"discount_percent": Decimal("50"), "quantity": Decimal("9")})
    line.refresh_from_db()
    assert (line.quantity, line.discount_percent, line.price) == (Decimal("1"), Decimal("0"), Decimal("1000.00"))


def test_a_price_in_another_currency_is_converted_at_todays_rate(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory(cost=Decimal("10.00"), cost_currency=currency_of("USD"))
    _priced(product, "12.50", currency="USD", name="Экспорт")
    ExchangeRateFactory(currency=currency_of("USD"), on_date=datetime.date(2026, 3, 1), rate=Decimal("91.234500"))
    with time_machine.travel(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=MOSCOW)):
        line = deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("1"))
    # 12.50 x 91.2345 = 1140.43125 -> 1140.43; cost 10 x 91.2345 = 912.345 -> 912.35.
    assert (line.list_price, line.cost) == (Decimal("1140.43"), Decimal("912.35"))
    assert line.price_source == (
        "Price list «Экспорт», rule 100: any client. Converted from 12.50 USD to RUB at the rate of 03/02/2026."
    )


def test_a_product_without_a_price_needs_a_typed_price(manager: User, deal_of_manager: Deal) -> None:
    product = ProductFactory()
    with pytest.raises(ValidationError) as error:
        deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("1"))
    assert list(error.value.message_dict) == ["list_price"]
    line = deal_line_add(
        actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("1"), list_price=Decimal("10")
    )
    assert (line.price, line.price_source) == (Decimal("10.00"), "Price entered by hand.")


def test_a_typed_deal_amount_is_kept_when_lines_change(manager: User, deal_of_manager: Deal) -> None:
    deal_update(
        actor=manager, deal=deal_of_manager, data={"amount": Decimal("5000")}, expected_version=deal_of_manager.version
    )
    product = ProductFactory()
    _priced(product, "1000.00")
    deal_line_add(actor=manager, deal=deal_of_manager, product=product, quantity=Decimal("1"))
    deal_of_manager.refresh_from_db()
    assert (deal_of_manager.amount, deal_of_manager.amount_is_manual) == (Decimal("5000.00"), True)
