"""The kanban board: counts and sums per stage, filters, cards per column, moving cards (S4)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from crm.accounts.models import User
from crm.catalog.models import ExchangeRate
from crm.catalog.money import Money
from crm.catalog.tests.factories import currency
from crm.parties.tests.factories import ClassifierNodeFactory, PartyFactory
from crm.sales import board
from crm.sales.models import Deal, DealEvent, DealStageChange, Pipeline, Stage
from crm.sales.selectors import lost_reason_nodes
from crm.sales.tests.conftest import Flow
from crm.sales.tests.factories import DealFactory, PipelineFactory, StageFactory

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def only_the_test_pipeline(flow: Flow) -> None:
    """The shipped pipelines come first in display order; the board opens on the test pipeline instead."""
    Pipeline.objects.exclude(pk=flow.pipeline.pk).update(is_active=False)


def _deal(flow: Flow, owner: User, stage: Stage, amount: str, code: str = "RUB", **extra: object) -> Deal:
    deal: Deal = DealFactory(
        owner=owner, pipeline=flow.pipeline, stage=stage, amount=Decimal(amount), currency=currency(code), **extra
    )
    return deal


def _board(user: User, flow: Flow, params: dict[str, object] | None = None, on: datetime.date = TODAY) -> board.Board:
    deal_filter = board.board_filter_for(user, params or {})
    deals = board.board_deals(deal_filter, flow.pipeline)
    return board.board_for(user, deals, flow.pipeline, board.board_stages(flow.pipeline), on)


def _sign_in_in_english(client: Client, user: User) -> None:
    """Refusals are asserted in the source language; the user's interface language applies to requests."""
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)


def _column(result: board.Board, stage: Stage) -> board.Column:
    return next(c for c in result.columns if c.stage == stage)


def _counts(result: board.Board) -> dict[str, int]:
    return {c.stage.name: c.count for c in result.columns}


def test_columns_are_the_stages_in_order_with_count_and_sum_per_currency(
    flow: Flow, head_of_sales: User, manager: User
) -> None:
    _deal(flow, manager, flow.qualification, "100.50")
    _deal(flow, manager, flow.qualification, "200.25")
    _deal(flow, manager, flow.qualification, "10.00", "USD")
    _deal(flow, manager, flow.demo, "5000.00")
    _deal(flow, manager, flow.demo, "70.00", is_deleted=True)
    DealFactory(owner=manager, amount=Decimal("999.00"))  # another pipeline

    result = _board(head_of_sales, flow)

    assert [c.stage.name for c in result.columns] == [
        "Квалификация", "Демонстрация", "КП", "Переговоры", "Успешно", "Проиграно",
    ]  # fmt: skip
    assert _counts(result) == {"Квалификация": 3, "Демонстрация": 1, "КП": 0, "Переговоры": 0, "Успешно": 0,
                               "Проиграно": 0}  # fmt: skip
    assert _column(result, flow.qualification).sums == [Money(Decimal("300.75"), "RUB"), Money(Decimal("10.00"), "USD")]
    assert _column(result, flow.demo).sums == [Money(Decimal("5000.00"), "RUB")]
    assert _column(result, flow.proposal).sums == []
    assert [c.is_collapsed for c in result.columns] == [False, False, False, False, True, True]


def test_mixed_currencies_are_converted_at_the_rate_of_the_stated_date(
    flow: Flow, head_of_sales: User, manager: User
) -> None:
    _deal(flow, manager, flow.qualification, "300.75")
    _deal(flow, manager, flow.qualification, "10.00", "USD")
    _deal(flow, manager, flow.demo, "5000.00")
    ExchangeRate.objects.create(currency=currency("USD"), on_date=datetime.date(2026, 3, 1), rate=Decimal("90.1235"))
    ExchangeRate.objects.create(currency=currency("USD"), on_date=datetime.date(2026, 3, 20), rate=Decimal("95"))

    result = _board(head_of_sales, flow, on=TODAY)

    # 300.75 + 10 x 90.1235 (the rate of 1 March, the latest on or before 10 March) = 1201.985, half up to kopecks.
    assert _column(result, flow.qualification).total == Money(Decimal("1201.99"), "RUB")
    assert _column(result, flow.demo).total is None  # one currency, the base one: nothing to convert
    assert (result.rates_on, result.base_currency, result.missing_rates) == (TODAY, "RUB", [])


def test_without_a_rate_there_is_no_converted_total_and_the_currency_is_named(
    flow: Flow, head_of_sales: User, manager: User
) -> None:
    _deal(flow, manager, flow.qualification, "300.75")
    _deal(flow, manager, flow.qualification, "10.00", "USD")
    ExchangeRate.objects.create(currency=currency("USD"), on_date=datetime.date(2026, 3, 20), rate=Decimal("95"))

    result = _board(head_of_sales, flow, on=TODAY)

    assert _column(result, flow.qualification).total is None
    assert _column(result, flow.qualification).sums == [Money(Decimal("300.75"), "RUB"), Money(Decimal("10.00"), "USD")]
    assert result.missing_rates == ["USD"]


def test_the_board_shows_only_deals_the_user_may_see(
    flow: Flow, manager: User, colleague: User, team_lead: User, outsider: User
) -> None:
    own = _deal(flow, manager, flow.qualification, "100.00")
    team = _deal(flow, colleague, flow.qualification, "200.00")
    _deal(flow, outsider, flow.qualification, "400.00")

    def seen(user: User) -> tuple[set[int], list[Money]]:
        column = _column(_board(user, flow), flow.qualification)
        return {c.deal.pk for c in column.cards}, column.sums

    assert seen(manager) == ({own.pk}, [Money(Decimal("100.00"), "RUB")])
    assert seen(team_lead) == ({own.pk, team.pk}, [Money(Decimal("300.00"), "RUB")])
    assert seen(outsider)[1] == [Money(Decimal("400.00"), "RUB")]


def test_filters_by_owner_team_client_classifier_and_period(
    flow: Flow, head_of_sales: User, manager: User, colleague: User, outsider: User
) -> None:
    node = ClassifierNodeFactory()
    classified = PartyFactory(responsible=manager)
    classified.classifications.create(node=node)
    classified.node_ids = [node.pk]
    classified.save()
    by_manager = _deal(flow, manager, flow.qualification, "1.00", party=classified)
    by_colleague = _deal(flow, colleague, flow.qualification, "2.00")
    by_outsider = _deal(flow, outsider, flow.qualification, "4.00")
    Deal.objects.filter(pk=by_outsider.pk).update(created_at=timezone.now() - datetime.timedelta(days=60))

    def titles(params: dict[str, object]) -> set[str]:
        return {c.deal.title for c in _column(_board(head_of_sales, flow, params), flow.qualification).cards}

    assert titles({"owner": str(colleague.pk)}) == {by_colleague.title}
    assert titles({"team": str(manager.team_id)}) == {by_manager.title, by_colleague.title}
    assert titles({"node": [str(node.pk)]}) == {by_manager.title}
    since = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    assert titles({"created_after": since}) == {by_manager.title, by_colleague.title}
    assert _column(_board(head_of_sales, flow, {"owner": str(colleague.pk)}), flow.qualification).count == 1


def test_a_column_shows_the_30_newest_cards_and_the_next_ones_by_keyset(
    flow: Flow, manager: User, head_of_sales: User
) -> None:
    deals = [_deal(flow, manager, flow.qualification, "1.00") for _ in range(65)]
    start = timezone.now() - datetime.timedelta(days=1)
    for n, deal in enumerate(deals):
        # Two deals per second: equal timestamps must not lose or repeat cards across pages.
        Deal.objects.filter(pk=deal.pk).update(updated_at=start + datetime.timedelta(seconds=n // 2))
    newest_first = [
        d.pk
        for d in sorted(
            Deal.objects.filter(pk__in=[d.pk for d in deals]), key=lambda d: (d.updated_at, d.pk), reverse=True
        )
    ]

    column = _column(_board(head_of_sales, flow), flow.qualification)
    assert column.count == 65
    assert [c.deal.pk for c in column.cards] == newest_first[:30]
    assert column.next_cursor is not None

    deals_qs = board.board_deals(board.board_filter_for(head_of_sales, {}), flow.pipeline)
    second, cursor = board.column_cards(head_of_sales, deals_qs, flow.qualification, column.next_cursor)
    third, last = board.column_cards(head_of_sales, deals_qs, flow.qualification, cursor)
    assert [c.deal.pk for c in second] == newest_first[30:60]
    assert ([c.deal.pk for c in third], last) == (newest_first[60:], None)


def test_a_malformed_cursor_starts_the_column_over(flow: Flow, manager: User) -> None:
    deal = _deal(flow, manager, flow.qualification, "1.00")
    deals_qs = board.board_deals(board.board_filter_for(manager, {}), flow.pipeline)
    for cursor in ("nonsense", "2026-01-01T00:00:00+00:00_x", "2026-01-01T00:00:00_5"):
        assert [c.deal.pk for c in board.column_cards(manager, deals_qs, flow.qualification, cursor)[0]] == [deal.pk]
    past = board.column_cards(manager, deals_qs, flow.qualification, "2000-01-01T00:00:00+00:00_1")
    assert past == ([], None)


def test_cards_show_days_in_the_stage_and_whether_the_user_may_move_them(
    flow: Flow, manager: User, team_lead: User
) -> None:
    deal = _deal(flow, manager, flow.qualification, "1.00")
    # Days are counted in calendar days of the local time zone: noon three days ago is three days at any hour.
    three_days_ago = timezone.localtime().replace(hour=12, minute=0) - datetime.timedelta(days=3)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=three_days_ago)

    (own,) = _column(_board(manager, flow), flow.qualification).cards
    (seen,) = _column(_board(team_lead, flow), flow.qualification).cards

    assert (own.days_in_stage, own.can_move, seen.can_move) == (3, True, False)


def _query_count(user: User, flow: Flow) -> int:
    fresh = User.objects.get(pk=user.pk)  # no permission cache carried over from an earlier board
    with CaptureQueriesContext(connection) as queries:
        _board(fresh, flow)
    return len(queries)


def test_the_board_costs_the_same_number_of_queries_whatever_the_stages_and_deals(flow: Flow, manager: User) -> None:
    _deal(flow, manager, flow.qualification, "1.00")
    small = _query_count(manager, flow)
    for n in range(5):
        StageFactory(pipeline=flow.pipeline, name=f"Ещё этап {n}", position=5 + n)
    for stage in board.board_stages(flow.pipeline):
        for _ in range(4):
            _deal(flow, manager, stage, "2.00")
    _deal(flow, manager, flow.demo, "3.00", "USD")
    ExchangeRate.objects.create(currency=currency("USD"), on_date=TODAY, rate=Decimal("90"))
    _deal(flow, manager, flow.demo, "3.00", "EUR")
    ExchangeRate.objects.create(currency=currency("EUR"), on_date=TODAY, rate=Decimal("100"))
    # Two more currencies cost two rate look-ups each (rate_on); stages and deals cost nothing more.
    assert _query_count(manager, flow) == small + 4


# The pages ------------------------------------------------------------------------------------------------


def test_the_board_page_shows_columns_cards_and_the_table_view_link(client: Client, flow: Flow, manager: User) -> None:
    servers = _deal(flow, manager, flow.qualification, "1234.50", title="Поставка серверов")
    _deal(flow, manager, flow.qualification, "10.00", "USD", title="Лицензии")
    client.force_login(manager)

    response = client.get(reverse("sales:board"), {"owner": manager.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["pipeline"] == flow.pipeline
    assert "Поставка серверов" in page
    assert "Лицензии" in page
    assert f"{reverse('sales:deal-list')}?owner={manager.pk}&amp;pipeline={flow.pipeline.pk}" in page
    assert _column(response.context["board"], flow.qualification).count == 2
    move = reverse("sales:board-move", args=[servers.pk])
    assert f'action="{move}?owner={manager.pk}&amp;pipeline={flow.pipeline.pk}"' in page  # the no-JS move form
    assert page.count(f'<option value="{flow.demo.pk}">Демонстрация</option>') == 2  # in each card's form


def test_the_board_page_query_count_does_not_grow_with_cards(
    client: Client, flow: Flow, manager: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client.force_login(manager)
    _deal(flow, manager, flow.qualification, "1.00")
    client.get(reverse("sales:board"))  # the first request of a session writes to it
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("sales:board"))
    for stage in board.board_stages(flow.pipeline):
        for _ in range(8):
            _deal(flow, manager, stage, "1.00", "USD" if stage == flow.demo else "RUB")
    ExchangeRate.objects.create(currency=currency("USD"), on_date=TODAY, rate=Decimal("90"))
    # session, user, pipelines, permissions with team members, stages, totals, base currency, USD (base, rate),
    # card ids, cards, classifiers with nodes (2), the filter form's owners, teams and nodes (3)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("sales:board")).status_code == 200
    assert len(few) == 14


def test_the_pipeline_picker_defaults_to_the_first_active_pipeline(client: Client, flow: Flow, manager: User) -> None:
    Pipeline.objects.filter(pk=flow.pipeline.pk).update(position=5)
    first = PipelineFactory(name="Проекты внедрения", position=1)
    PipelineFactory(name="Архивная воронка", position=0, is_active=False)
    client.force_login(manager)

    assert client.get(reverse("sales:board")).context["pipeline"] == first
    assert client.get(reverse("sales:board"), {"pipeline": flow.pipeline.pk}).context["pipeline"] == flow.pipeline
    assert client.get(reverse("sales:board"), {"pipeline": "x"}).context["pipeline"] == first


def test_show_more_returns_the_next_cards_as_a_fragment(client: Client, flow: Flow, manager: User) -> None:
    for _ in range(31):
        _deal(flow, manager, flow.qualification, "1.00")
    client.force_login(manager)
    cursor = _column(client.get(reverse("sales:board")).context["board"], flow.qualification).next_cursor
    assert cursor is not None

    url = reverse("sales:board-column", args=[flow.qualification.pk])
    fragment = client.get(url, {"cursor": cursor}, headers={"HX-Request": "true"})
    page = client.get(url, {"cursor": cursor})

    assert fragment.content.decode().count('class="card board-card') == 1
    assert "<html" not in fragment.content.decode()
    assert "<html" in page.content.decode()
    assert len(page.context["cards"]) == 1


def _move(client: Client, deal: Deal, stage: Stage, *, as_json: bool = True) -> tuple[int, dict[str, object]]:
    url = reverse("sales:board-move", args=[deal.pk])
    headers = {"Accept": "application/json"} if as_json else {}
    response = client.post(url, {"stage": stage.pk}, headers=headers)
    body = json.loads(response.content) if as_json and response.status_code in (200, 400) else {}
    return response.status_code, body


def test_an_accepted_move_answers_with_the_new_column_heads(
    client: Client, flow: Flow, manager: User, deal_of_manager: Deal
) -> None:
    Deal.objects.filter(pk=deal_of_manager.pk).update(amount=Decimal("500.00"))
    client.force_login(manager)

    status, body = _move(client, deal_of_manager, flow.demo)

    deal_of_manager.refresh_from_db()
    assert (status, body["ok"], deal_of_manager.stage) == (200, True, flow.demo)
    heads = body["heads"]
    assert isinstance(heads, dict)
    assert ">0<" in heads[str(flow.qualification.pk)].replace(" ", "")
    assert "500,00" in heads[str(flow.demo.pk)] or "500.00" in heads[str(flow.demo.pk)]
    assert f'data-stage="{flow.demo.pk}"' in str(body["card"])


def test_a_refused_move_names_the_missing_requirement_and_changes_nothing(
    client: Client, flow: Flow, manager: User, deal_of_manager: Deal
) -> None:
    deal_create_events = DealEvent.objects.filter(deal=deal_of_manager).count()
    Deal.objects.filter(pk=deal_of_manager.pk).update(stage=flow.demo)
    before = Deal.objects.filter(pk=deal_of_manager.pk).values().get()
    _sign_in_in_english(client, manager)

    status, body = _move(client, deal_of_manager, flow.proposal)

    assert (status, body["ok"]) == (400, False)
    assert body["errors"] == ["Required before leaving the stage “Демонстрация”: Демонстрация проведена."]
    assert Deal.objects.filter(pk=deal_of_manager.pk).values().get() == before
    assert DealEvent.objects.filter(deal=deal_of_manager).count() == deal_create_events
    assert not DealStageChange.objects.filter(deal=deal_of_manager, stage=flow.proposal).exists()


def test_without_javascript_the_card_form_moves_and_redirects_back_with_a_message(
    client: Client, flow: Flow, manager: User, deal_of_manager: Deal
) -> None:
    client.force_login(manager)
    Deal.objects.filter(pk=deal_of_manager.pk).update(stage=flow.demo)

    refused = client.post(
        reverse("sales:board-move", args=[deal_of_manager.pk]) + f"?owner={manager.pk}",
        {"stage": flow.proposal.pk},
        follow=True,
    )
    accepted = client.post(reverse("sales:board-move", args=[deal_of_manager.pk]), {"stage": flow.qualification.pk})

    assert refused.redirect_chain == [(f"{reverse('sales:board')}?owner={manager.pk}&pipeline={flow.pipeline.pk}", 302)]
    assert "Демонстрация проведена" in refused.content.decode()
    assert accepted.status_code == 302
    deal_of_manager.refresh_from_db()
    assert deal_of_manager.stage == flow.qualification


def test_a_move_to_a_lost_stage_asks_for_the_reason_and_takes_it(
    client: Client, flow: Flow, manager: User, deal_of_manager: Deal
) -> None:
    reasons = list(lost_reason_nodes())
    _sign_in_in_english(client, manager)

    status, body = _move(client, deal_of_manager, flow.lost)
    deal_of_manager.refresh_from_db()
    assert (status, body["errors"], deal_of_manager.stage) == (400, ["Say why the deal is lost."], flow.qualification)
    assert body["lost_reasons"] == [{"id": r.pk, "name": r.name} for r in reasons]
    assert [r.name for r in reasons][:2] == ["Цена", "Выбрали конкурента"]

    url = reverse("sales:board-move", args=[deal_of_manager.pk])
    answer = client.post(
        url, {"stage": flow.lost.pk, "lost_reason": reasons[1].pk}, headers={"Accept": "application/json"}
    )
    deal_of_manager.refresh_from_db()
    assert (answer.status_code, deal_of_manager.stage, deal_of_manager.lost_reason) == (200, flow.lost, reasons[1])


def test_a_stage_of_another_pipeline_is_refused(
    client: Client, flow: Flow, manager: User, deal_of_manager: Deal
) -> None:
    other = StageFactory(name="Чужой этап")
    _sign_in_in_english(client, manager)

    status, body = _move(client, deal_of_manager, other)

    deal_of_manager.refresh_from_db()
    assert (status, body["errors"], deal_of_manager.stage) == (
        400, ["Choose a stage of the deal's pipeline."], flow.qualification,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("_case", "persona", "status"),
    [
        ("the owner moves it", "manager", 200),
        ("the head of sales moves it", "head_of_sales", 200),
        ("the team lead sees it but may not move it", "team_lead", 403),
        ("another team cannot tell it exists", "outsider", 404),
        ("a colleague of the team cannot tell it exists", "colleague", 404),
    ],
)
def test_who_may_move_a_card(
    _case: str, persona: str, status: int, request: pytest.FixtureRequest, client: Client, flow: Flow,
    deal_of_manager: Deal,
) -> None:  # fmt: skip
    client.force_login(request.getfixturevalue(persona))
    assert _move(client, deal_of_manager, flow.demo)[0] == status
    deal_of_manager.refresh_from_db()
    assert (deal_of_manager.stage == flow.demo) is (status == 200)


def test_the_team_lead_sees_the_team_board_without_move_forms(
    client: Client, flow: Flow, team_lead: User, deal_of_manager: Deal
) -> None:
    client.force_login(team_lead)
    page = client.get(reverse("sales:board")).content.decode()
    assert deal_of_manager.title in page
    assert reverse("sales:board-move", args=[deal_of_manager.pk]) not in page


def test_the_column_of_an_inactive_pipeline_is_not_found(client: Client, flow: Flow, manager: User) -> None:
    Pipeline.objects.filter(pk=flow.pipeline.pk).update(is_active=False)
    client.force_login(manager)
    assert client.get(reverse("sales:board-column", args=[flow.qualification.pk])).status_code == 404
    assert client.get(reverse("sales:board-column", args=[999_999])).status_code == 404


def test_a_won_column_loads_its_cards_on_demand(client: Client, flow: Flow, manager: User) -> None:
    won = _deal(flow, manager, flow.won, "700.00", title="Выигранная сделка")
    client.force_login(manager)

    page = client.get(reverse("sales:board")).content.decode()
    cards = client.get(reverse("sales:board-column", args=[flow.won.pk]), headers={"HX-Request": "true"})

    assert won.title not in page  # folded: the count and the sum only
    assert _column(client.get(reverse("sales:board")).context["board"], flow.won).sums == [
        Money(Decimal("700.00"), "RUB")
    ]
    assert reverse("sales:board-column", args=[flow.won.pk]) in page
    assert won.title in cards.content.decode()


def test_a_deactivated_user_gets_an_empty_board(flow: Flow, manager: User) -> None:
    _deal(flow, manager, flow.qualification, "1.00")
    manager.is_active = False

    result = _board(manager, flow)

    assert [(c.count, c.cards) for c in result.columns] == [(0, [])] * 6
