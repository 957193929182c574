"""The sales summary: exact figures in two currencies, conversion at a dated rate, funnel, cycle, filters, access."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.accounts.models import Team, User
from crm.catalog.models import ExchangeRate
from crm.catalog.money import Money, sum_money
from crm.sales.models import Deal, DealStageChange, Pipeline, Stage
from crm.sales.reports import Rate, SalesSummary, SummaryFilters, sales_summary
from crm.sales.tests.factories import DealFactory, LostStageFactory, PipelineFactory, StageFactory, WonStageFactory

RATE_DATE = datetime.date(2026, 2, 15)


def at(month: int, day: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(datetime.date(2026, month, day), datetime.time(12)))


@dataclass
class Sales:
    pipeline: Pipeline
    lead: Stage
    demo: Stage
    won: Stage
    lost: Stage


def deal(sales: Sales, owner: User, currency: str, amount: str, path: list[tuple[Stage, datetime.datetime]]) -> Deal:
    """A deal that went through `path` (stage, when); closed at its last step if that stage is won or lost."""
    stage, entered = path[-1]
    made = DealFactory(
        owner=owner, pipeline=sales.pipeline, stage=stage, currency_id=currency, amount=Decimal(amount),
        created_at=path[0][1], stage_entered_at=entered, closed_at=None if stage.is_open else entered,
    )  # fmt: skip
    previous = None
    for step, when in path:
        DealStageChange.objects.create(deal=made, from_stage=previous, stage=step, at=when)
        previous = step
    return made


@pytest.fixture
def sales(manager: User, colleague: User, outsider: User) -> Sales:
    """Seven deals: the manager's four, a colleague's (same team) and two of another team; RUB and USD."""
    pipeline = PipelineFactory(name="Отчётная воронка")
    s = Sales(
        pipeline=pipeline,
        lead=StageFactory(pipeline=pipeline, name="Лид", position=1),
        demo=StageFactory(pipeline=pipeline, name="Демонстрация", position=2),
        won=WonStageFactory(pipeline=pipeline, name="Успешно"),
        lost=LostStageFactory(pipeline=pipeline, name="Проиграно"),
    )
    deal(s, manager, "RUB", "1000.00", [(s.lead, at(1, 10)), (s.demo, at(1, 20)), (s.won, at(2, 9))])  # 30 days
    deal(s, manager, "USD", "100.00", [(s.lead, at(1, 1)), (s.won, at(1, 11))])  # 10 days, skipped the demo
    deal(s, manager, "RUB", "500.00", [(s.lead, at(1, 5)), (s.demo, at(1, 15)), (s.lost, at(1, 25))])  # 20 days
    deal(s, manager, "RUB", "300.00", [(s.lead, at(1, 3)), (s.demo, at(1, 4))])
    deal(s, colleague, "USD", "50.50", [(s.lead, at(1, 2)), (s.won, at(1, 22))])  # 20 days
    deal(s, outsider, "RUB", "2000.00", [(s.lead, at(1, 1)), (s.won, at(1, 31))])  # 30 days
    deal(s, outsider, "RUB", "700.00", [(s.lead, at(1, 6))])
    ExchangeRate.objects.create(currency_id="USD", on_date=datetime.date(2026, 1, 31), rate=Decimal("90.5"))
    ExchangeRate.objects.create(currency_id="USD", on_date=datetime.date(2026, 3, 1), rate=Decimal("100"))
    return s


def money(summary: SalesSummary) -> list[tuple[str, int, Decimal, int, Decimal, int]]:
    return [
        (f.currency, f.open_count, f.open_amount, f.won_count, f.won_amount, f.lost_count) for f in summary.currencies
    ]


def test_head_of_sales_sees_every_figure_per_currency(sales: Sales, head_of_sales: User) -> None:
    report = sales_summary(head_of_sales, SummaryFilters(pipeline=sales.pipeline))

    assert money(report) == [
        ("RUB", 2, Decimal("1000.00"), 2, Decimal("3000.00"), 1),
        ("USD", 0, Decimal("0.00"), 2, Decimal("150.50"), 0),
    ]
    assert (report.open_count, report.won_count, report.lost_count, report.win_rate) == (2, 4, 1, Decimal("80.00"))
    assert [f.average_won for f in report.currencies] == [Decimal("1500.00"), Decimal("75.25")]
    assert report.average_cycle_days == Decimal("22.0")  # (30 + 10 + 20 + 20 + 30) / 5 closed deals


def test_the_funnel_counts_deals_at_each_stage_they_reached(sales: Sales, head_of_sales: User) -> None:
    report = sales_summary(head_of_sales, SummaryFilters(pipeline=sales.pipeline))

    # The deal won straight from the lead stage went past the demonstration; the lost one reached it.
    assert [(s.name, s.reached, s.percent) for s in report.funnel] == [
        ("Лид", 7, Decimal("100.0")),
        ("Демонстрация", 6, Decimal("85.7")),
        ("Успешно", 4, Decimal("57.1")),
        ("Проиграно", 1, Decimal("14.3")),
    ]


def test_totals_are_converted_at_the_rates_of_the_stated_date(sales: Sales, head_of_sales: User) -> None:
    filters = SummaryFilters(pipeline=sales.pipeline, currency="RUB", rate_date=RATE_DATE)

    report = sales_summary(head_of_sales, filters)

    converted = report.converted
    assert converted is not None
    # 150.50 USD x 90.5 (the rate of 31 January, the latest on 15 February) = 13,620.25 RUB.
    assert (converted.currency, converted.on_date, converted.won_amount, converted.open_amount) == (
        "RUB", RATE_DATE, Decimal("16620.25"), Decimal("1000.00"),
    )  # fmt: skip
    assert converted.average_won == Decimal("4155.06")
    assert converted.rates == [
        Rate("RUB", Decimal("1"), RATE_DATE),
        Rate("USD", Decimal("90.5"), datetime.date(2026, 1, 31)),
    ]
    expected = sum_money([Money(Decimal("3000.00"), "RUB"), Money(Decimal("150.50"), "USD")], "RUB", RATE_DATE)
    assert converted.won_amount == expected.amount


def test_conversion_into_a_foreign_currency_converts_each_currency_once(sales: Sales, head_of_sales: User) -> None:
    report = sales_summary(head_of_sales, SummaryFilters(pipeline=sales.pipeline, currency="USD", rate_date=RATE_DATE))

    assert report.converted is not None
    assert report.converted.won_amount == Decimal("183.65")  # 3000 / 90.5 = 33.15, plus 150.50
    by_owner = {o.name: o.won_converted for o in report.owners}
    assert by_owner == {
        "Иван Петров": Decimal("111.05"),
        "Мария Сидорова": Decimal("50.50"),
        "Пётр Чужой": Decimal("22.10"),
    }


def test_a_missing_rate_is_reported_instead_of_a_total(sales: Sales, head_of_sales: User) -> None:
    report = sales_summary(
        head_of_sales, SummaryFilters(pipeline=sales.pipeline, currency="RUB", rate_date=datetime.date(2026, 1, 1))
    )

    assert report.converted is None
    assert report.conversion_error == "There is no exchange rate of USD on or before 01/01/2026."
    assert money(report)[1] == ("USD", 0, Decimal("0.00"), 2, Decimal("150.50"), 0)  # per currency still shown


def test_the_period_counts_deals_closed_in_it_and_every_open_deal(sales: Sales, head_of_sales: User) -> None:
    filters = SummaryFilters(pipeline=sales.pipeline, start=datetime.date(2026, 1, 15), end=datetime.date(2026, 1, 31))

    report = sales_summary(head_of_sales, filters)

    assert money(report) == [
        ("RUB", 2, Decimal("1000.00"), 1, Decimal("2000.00"), 1),
        ("USD", 0, Decimal("0.00"), 1, Decimal("50.50"), 0),
    ]
    assert (report.win_rate, report.average_cycle_days) == (Decimal("66.67"), Decimal("23.3"))
    assert [s.reached for s in report.funnel] == [0, 0, 0, 0]  # the funnel follows deals created in the period


def test_owner_and_team_filters(sales: Sales, head_of_sales: User, colleague: User, outsider: User) -> None:
    other_team = Team.objects.get(members=outsider)

    by_colleague = sales_summary(head_of_sales, SummaryFilters(pipeline=sales.pipeline, owner=colleague))
    by_team = sales_summary(head_of_sales, SummaryFilters(pipeline=sales.pipeline, team=other_team))

    assert money(by_colleague) == [("USD", 0, Decimal("0.00"), 1, Decimal("50.50"), 0)]
    assert money(by_team) == [("RUB", 1, Decimal("700.00"), 1, Decimal("2000.00"), 0)]


@pytest.mark.parametrize(
    ("persona", "expected", "owners"),
    [
        ("manager", [("RUB", 1, Decimal("300.00"), 1, Decimal("1000.00"), 1), ("USD", 0, Decimal("0.00"), 1, Decimal("100.00"), 0)], ["Иван Петров"]),
        ("team_lead", [("RUB", 1, Decimal("300.00"), 1, Decimal("1000.00"), 1), ("USD", 0, Decimal("0.00"), 2, Decimal("150.50"), 0)], ["Иван Петров", "Мария Сидорова"]),
        ("outsider", [("RUB", 1, Decimal("700.00"), 1, Decimal("2000.00"), 0)], ["Пётр Чужой"]),
        ("operator", [], []),
    ],
)  # fmt: skip
def test_each_reader_gets_the_figures_of_the_deals_they_may_see(
    request: pytest.FixtureRequest,
    sales: Sales,
    persona: str,
    expected: list[tuple[str, int, Decimal, int, Decimal, int]],
    owners: list[str],
) -> None:
    report = sales_summary(request.getfixturevalue(persona), SummaryFilters(pipeline=sales.pipeline))

    assert money(report) == expected
    assert [o.name for o in report.owners] == owners


def test_the_owner_breakdown(sales: Sales, head_of_sales: User) -> None:
    report = sales_summary(head_of_sales, SummaryFilters(pipeline=sales.pipeline))

    rows = [(o.name, o.open_count, o.won_count, o.lost_count, o.win_rate) for o in report.owners]
    assert rows == [
        ("Иван Петров", 1, 2, 1, Decimal("66.67")),
        ("Мария Сидорова", 0, 1, 0, Decimal("100.00")),
        ("Пётр Чужой", 1, 1, 0, Decimal("100.00")),
    ]
    assert [(f.currency, f.won_amount) for f in report.owners[0].figures] == [
        ("RUB", Decimal("1000.00")),
        ("USD", Decimal("100.00")),
    ]


def test_the_number_of_queries_does_not_grow_with_deals(sales: Sales, team_lead: User, manager: User) -> None:
    filters = SummaryFilters(pipeline=sales.pipeline, currency="RUB", rate_date=RATE_DATE)
    sales_summary(team_lead, filters)  # permissions cached on the user, as on a page
    with CaptureQueriesContext(connection) as few:
        sales_summary(team_lead, filters)
    for n in range(30):
        deal(sales, manager, ("RUB", "USD")[n % 2], "10.00", [(sales.lead, at(1, 1)), (sales.won, at(1, 2))])
    with CaptureQueriesContext(connection) as many:
        report = sales_summary(team_lead, filters)

    assert report.won_count == 3 + 30
    assert len(many.captured_queries) == len(few.captured_queries) <= 12


def test_the_page_shows_the_report_with_its_filters(client: Client, sales: Sales, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    query: dict[str, str | int] = {"pipeline": sales.pipeline.pk, "currency": "RUB", "rate_date": "2026-02-15"}

    response = client.get(reverse("sales:report-summary"), query)

    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.won_count, summary.win_rate, summary.converted.won_amount) == (
        4,
        Decimal("80.00"),
        Decimal("16620.25"),
    )
    html = response.content.decode()
    assert 'id="report-funnel"' in html
    assert "<html" in html


def test_the_page_defaults_to_the_first_pipeline_and_the_base_currency(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)

    response = client.get(reverse("sales:report-summary"))

    form = response.context["form"]
    assert form.cleaned_data["pipeline"] == Pipeline.objects.filter(is_active=True).order_by("position", "name").first()
    assert (form.cleaned_data["currency"].code, form.cleaned_data["rate_date"]) == ("RUB", timezone.localdate())


def test_htmx_gets_only_the_report_body(client: Client, sales: Sales, head_of_sales: User) -> None:
    client.force_login(head_of_sales)

    response = client.get(
        reverse("sales:report-summary"), {"pipeline": sales.pipeline.pk}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="report-body">')
    assert "<html" not in html


def test_a_reversed_period_is_refused_with_a_message(client: Client, sales: Sales, head_of_sales: User) -> None:
    User.objects.filter(pk=head_of_sales.pk).update(language="en")
    client.force_login(head_of_sales)

    response = client.get(reverse("sales:report-summary"), {"start": "2026-02-01", "end": "2026-01-01"})

    assert response.status_code == 200
    assert response.context["summary"] is None
    assert response.context["form"].errors["end"] == ["The end of the period is before its start."]


def test_the_xlsx_export_has_owners_totals_and_the_dated_conversion(
    client: Client, sales: Sales, team_lead: User
) -> None:
    User.objects.filter(pk=team_lead.pk).update(language="en")
    client.force_login(team_lead)
    query: dict[str, str | int] = {
        "pipeline": sales.pipeline.pk,
        "currency": "RUB",
        "rate_date": "2026-02-15",
        "format": "xlsx",
    }

    response = client.get(reverse("sales:report-summary"), query)

    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=2)]
    assert [r[:7] for r in rows] == [
        ("Иван Петров", "RUB", 1, 300, 1, 1000, 1),
        ("Иван Петров", "USD", 0, 0, 1, 100, 0),
        ("Мария Сидорова", "USD", 0, 0, 1, 50.5, 0),
        ("Total", "RUB", 1, 300, 1, 1000, 1),
        ("Total", "USD", 0, 0, 2, 150.5, 0),
        ("Total converted at the rates of 02/15/2026", "RUB", 1, 300, 3, 14620.25, 1),
    ]


def test_the_api_answers_with_the_same_figures(client: Client, sales: Sales, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    query: dict[str, str | int] = {"pipeline": sales.pipeline.pk, "currency": "USD", "rate_date": "2026-02-15"}

    body = client.get(reverse("api:sales-report-summary"), query).json()

    assert (body["won_count"], body["lost_count"], body["win_rate"], body["average_cycle_days"]) == (
        4,
        1,
        "80.00",
        "22.0",
    )
    assert body["currencies"][1] == {
        "currency": "USD", "open_count": 0, "open_amount": "0.00", "won_count": 2, "won_amount": "150.50",
        "lost_count": 0, "win_rate": "100.00", "average_won": "75.25",
    }  # fmt: skip
    assert body["converted"]["won_amount"] == "183.65"
    assert body["converted"]["rates"][1] == {"currency": "USD", "rate": "90.500000", "on_date": "2026-01-31"}
    assert [s["reached"] for s in body["funnel"]] == [7, 6, 4, 1]


def test_the_api_refuses_bad_filters_with_400(client: Client, sales: Sales, manager: User, outsider: User) -> None:
    client.force_login(manager)

    query: dict[str, str | int] = {"owner": outsider.pk, "start": "not a date"}
    response = client.get(reverse("api:sales-report-summary"), query)

    assert response.status_code == 400
    assert set(response.json()) == {"owner", "start"}


def test_the_page_costs_the_same_queries_for_seven_deals_or_fifty(
    client: Client, sales: Sales, manager: User, team_lead: User
) -> None:
    client.force_login(team_lead)
    query: dict[str, str | int] = {"pipeline": sales.pipeline.pk, "currency": "RUB", "rate_date": "2026-02-15"}
    client.get(reverse("sales:report-summary"), query)  # the process's first page fills its caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("sales:report-summary"), query)
    for n in range(43):
        deal(sales, manager, ("RUB", "USD")[n % 2], "10.00", [(sales.lead, at(1, 1)), (sales.lost, at(1, 3))])
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("sales:report-summary"), query)

    assert response.context["summary"].lost_count == 1 + 43
    assert len(many.captured_queries) == len(few.captured_queries)


def test_amounts_already_in_the_chosen_currency_need_no_rate(
    sales: Sales, head_of_sales: User, colleague: User
) -> None:
    filters = SummaryFilters(
        pipeline=sales.pipeline, owner=colleague, currency="USD", rate_date=datetime.date(2025, 1, 1)
    )

    report = sales_summary(head_of_sales, filters)

    assert report.conversion_error == ""
    assert report.converted is not None
    assert (report.converted.won_amount, report.converted.rates) == (Decimal("50.50"), [])
