"""The sales summary report (S8 for sales): open, won and lost deals, win rate, cycle, funnel, per owner.

Everything is counted and summed by the database (GROUP BY, conditional aggregates, correlated
subqueries): a fixed number of queries whatever the number of deals. Money stays per currency;
a converted total in one currency is computed from the per-currency sums at the rates of one stated
date (the arithmetic of crm.catalog.money.convert, with each rate looked up once).
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from crm.accounts.models import Team, User
from crm.catalog.models import Currency
from crm.catalog.money import rate_on, round_money
from crm.sales.access import deals_visible_to
from crm.sales.choices import StageKind
from crm.sales.models import Deal, DealStageChange, Pipeline, Stage

ZERO = Decimal("0")
HUNDREDTH = Decimal("0.01")
TENTH = Decimal("0.1")


def win_rate(won: int, lost: int) -> Decimal | None:
    """Won / (won + lost) in percent, rounded half up to hundredths; None before any deal is closed."""
    if won + lost == 0:
        return None
    return (Decimal(won * 100) / Decimal(won + lost)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SummaryFilters:
    """What the report covers: one pipeline (or all), deals closed in [start, end], one owner or team."""

    pipeline: Pipeline | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    owner: User | None = None
    team: Team | None = None
    # The currency of the converted totals and the date of its rates; no conversion without a currency.
    currency: str | None = None
    rate_date: datetime.date | None = None


@dataclass
class Figures:
    """Counts and sums of one currency (of everyone in scope, or of one owner)."""

    currency: str
    open_count: int = 0
    open_amount: Decimal = ZERO
    won_count: int = 0
    won_amount: Decimal = ZERO
    lost_count: int = 0

    @property
    def win_rate(self) -> Decimal | None:
        return win_rate(self.won_count, self.lost_count)

    @property
    def average_won(self) -> Decimal | None:
        return round_money(self.won_amount / self.won_count) if self.won_count else None


@dataclass(frozen=True)
class Rate:
    """The rate a conversion used: base-currency units per unit of `currency`, quoted on `on_date`."""

    currency: str
    rate: Decimal
    on_date: datetime.date


@dataclass
class Converted:
    """Totals of all currencies in `currency` at the rates of `on_date`; `rates` says which rate each used."""

    currency: str
    on_date: datetime.date
    open_amount: Decimal
    won_amount: Decimal
    average_won: Decimal | None
    rates: list[Rate]


@dataclass
class OwnerRow:
    owner_id: int
    name: str
    figures: list[Figures] = field(default_factory=list)
    won_converted: Decimal | None = None

    @property
    def open_count(self) -> int:
        return sum(f.open_count for f in self.figures)

    @property
    def won_count(self) -> int:
        return sum(f.won_count for f in self.figures)

    @property
    def lost_count(self) -> int:
        return sum(f.lost_count for f in self.figures)

    @property
    def win_rate(self) -> Decimal | None:
        return win_rate(self.won_count, self.lost_count)


@dataclass
class FunnelStep:
    """How many deals reached a stage: entered it, or went past it to a later open or won stage."""

    stage_id: int
    name: str
    kind: str
    reached: int
    percent: Decimal | None


@dataclass
class SalesSummary:
    filters: SummaryFilters
    currencies: list[Figures]
    average_cycle_days: Decimal | None
    funnel: list[FunnelStep]
    owners: list[OwnerRow]
    converted: Converted | None = None
    conversion_error: str = ""

    @property
    def open_count(self) -> int:
        return sum(f.open_count for f in self.currencies)

    @property
    def won_count(self) -> int:
        return sum(f.won_count for f in self.currencies)

    @property
    def lost_count(self) -> int:
        return sum(f.lost_count for f in self.currencies)

    @property
    def win_rate(self) -> Decimal | None:
        return win_rate(self.won_count, self.lost_count)

    def in_currency(self, code: str) -> Figures:
        """The figures of one currency (zeros when no deal in scope uses it)."""
        return next((f for f in self.currencies if f.currency == code), Figures(code))


def _moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _closed_in_period(filters: SummaryFilters, prefix: str = "") -> Q:
    """Closed in [start, end] as calendar days of the CRM's time zone, written as an index-friendly range."""
    q = Q()
    if filters.start:
        q &= Q(**{f"{prefix}closed_at__gte": _moment(filters.start)})
    if filters.end:
        q &= Q(**{f"{prefix}closed_at__lt": _moment(filters.end + datetime.timedelta(days=1))})
    return q


def _scope(deals: QuerySet[Deal], filters: SummaryFilters) -> QuerySet[Deal]:
    if filters.pipeline is not None:
        deals = deals.filter(pipeline=filters.pipeline)
    if filters.owner is not None:
        deals = deals.filter(owner=filters.owner)
    if filters.team is not None:
        deals = deals.filter(owner__team=filters.team)
    return deals


def _measures(filters: SummaryFilters) -> dict[str, Any]:
    period = _closed_in_period(filters)
    is_open = Q(stage__kind=StageKind.OPEN)
    won = Q(stage__kind=StageKind.WON) & period
    lost = Q(stage__kind=StageKind.LOST) & period
    return {
        "open_count": Count("pk", filter=is_open),
        "open_amount": Sum("amount", filter=is_open),
        "won_count": Count("pk", filter=won),
        "won_amount": Sum("amount", filter=won),
        "lost_count": Count("pk", filter=lost),
    }


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(
        currency=row["currency_id"],
        open_count=row["open_count"],
        open_amount=round_money(row["open_amount"] or ZERO),
        won_count=row["won_count"],
        won_amount=round_money(row["won_amount"] or ZERO),
        lost_count=row["lost_count"],
    )


def _average_cycle_days(deals: QuerySet[Deal], filters: SummaryFilters) -> Decimal | None:
    """Mean days from a deal's first stage entry (or its creation) to its closing, over deals closed in the period."""
    first_entry = DealStageChange.objects.filter(deal=OuterRef("pk")).order_by("at", "pk").values("at")[:1]
    start = Coalesce(Subquery(first_entry), F("created_at"))
    cycle = ExpressionWrapper(F("closed_at") - start, output_field=DurationField())
    closed = deals.filter(stage__kind__in=[StageKind.WON, StageKind.LOST], closed_at__isnull=False)
    average = closed.filter(_closed_in_period(filters)).aggregate(days=Avg(cycle))["days"]
    if average is None:
        return None
    return (Decimal(average.total_seconds()) / Decimal(86400)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _funnel(deals: QuerySet[Deal], filters: SummaryFilters) -> list[FunnelStep]:
    """Deals of the pipeline created in the period, counted at each stage they reached (from their history)."""
    if filters.pipeline is None:
        return []
    stages = list(Stage.objects.filter(pipeline=filters.pipeline).order_by("position", "pk"))
    cohort = deals
    if filters.start:
        cohort = cohort.filter(created_at__gte=_moment(filters.start))
    if filters.end:
        cohort = cohort.filter(created_at__lt=_moment(filters.end + datetime.timedelta(days=1)))
    # The furthest open or won stage a deal ever entered: a lost deal still went as far as where it was lost.
    entered = (
        DealStageChange.objects.filter(deal=OuterRef("pk"))
        .exclude(stage__kind=StageKind.LOST)
        .order_by()
        .values("deal")
        .annotate(furthest=Max("stage__position"))
        .values("furthest")
    )
    furthest_entered = Coalesce(Subquery(entered, output_field=IntegerField()), Value(-1))
    rows = (
        cohort.annotate(
            furthest=Case(
                When(stage__kind=StageKind.LOST, then=furthest_entered),
                default=Greatest(F("stage__position"), furthest_entered),
                output_field=IntegerField(),
            ),
            was_lost=Exists(DealStageChange.objects.filter(deal=OuterRef("pk"), stage__kind=StageKind.LOST)),
            is_lost=Case(
                When(stage__kind=StageKind.LOST, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
        )
        .order_by()
        .values("furthest", "was_lost", "is_lost")
        .annotate(n=Count("pk"))
    )
    groups = [(r["furthest"], bool(r["was_lost"] or r["is_lost"]), r["n"]) for r in rows]
    steps = []
    for stage in stages:
        if stage.kind == StageKind.LOST:
            reached = sum(n for _furthest, lost, n in groups if lost)
        else:
            reached = sum(n for furthest, _lost, n in groups if furthest >= stage.position)
        steps.append(FunnelStep(stage.pk, stage.name, stage.kind, reached, None))
    top = steps[0].reached if steps else 0
    for step in steps:
        step.percent = (Decimal(step.reached * 100) / Decimal(top)).quantize(TENTH) if top else None
    return steps


def _name(row: dict[str, Any]) -> str:
    return " ".join(filter(None, [row["owner__first_name"], row["owner__last_name"]])) or row["owner__username"]


class _Rates:
    """Base-currency rates of each currency on one date, each looked up once (crm.catalog.money.rate_on)."""

    def __init__(self, target: str, on_date: datetime.date) -> None:
        self.target = target
        self.on_date = on_date
        self.found: dict[str, tuple[Decimal, datetime.date]] = {}

    def rate(self, code: str) -> tuple[Decimal, datetime.date]:
        if code not in self.found:
            self.found[code] = rate_on(code, self.on_date)
        return self.found[code]

    def convert(self, amount: Decimal, code: str) -> Decimal:
        """The same arithmetic as money.convert: through the base currency, divided once, rounded to kopecks."""
        if code == self.target:
            return round_money(amount)
        return round_money(amount * self.rate(code)[0] / self.rate(self.target)[0])

    def total(self, amounts: list[tuple[Decimal, str]]) -> Decimal:
        """Each currency's sum converted, then added (as money.sum_money does)."""
        by_code: dict[str, Decimal] = {}
        for amount, code in amounts:
            by_code[code] = by_code.get(code, ZERO) + amount
        return sum((self.convert(amount, code) for code, amount in sorted(by_code.items())), ZERO)


def sales_summary_of(deals: QuerySet[Deal], filters: SummaryFilters) -> SalesSummary:
    """The report over `deals` (already limited to what the reader may see)."""
    deals = _scope(deals, filters)
    measures = _measures(filters)
    relevant = deals.filter(
        Q(stage__kind=StageKind.OPEN) | (~Q(stage__kind=StageKind.OPEN) & _closed_in_period(filters))
    )
    currencies = [
        _figures(row) for row in relevant.order_by().values("currency_id").annotate(**measures).order_by("currency_id")
    ]
    owners: dict[int, OwnerRow] = {}
    owner_rows = (
        relevant.order_by()
        .values("owner_id", "owner__first_name", "owner__last_name", "owner__username", "currency_id")
        .annotate(**measures)
        .order_by("owner__last_name", "owner__first_name", "owner_id", "currency_id")
    )
    for row in owner_rows:
        owners.setdefault(row["owner_id"], OwnerRow(row["owner_id"], _name(row))).figures.append(_figures(row))
    summary = SalesSummary(
        filters=filters,
        currencies=currencies,
        average_cycle_days=_average_cycle_days(deals, filters),
        funnel=_funnel(deals, filters),
        owners=list(owners.values()),
    )
    if filters.currency:
        _convert(summary, filters.currency, filters.rate_date or timezone.localdate())
    return summary


def _convert(summary: SalesSummary, target: str, on_date: datetime.date) -> None:
    rates = _Rates(target, on_date)
    # Only amounts in other currencies need rates: USD shown in USD needs none, even with no USD rate entered.
    foreign = {f.currency for f in summary.currencies} - {target}
    try:
        won = rates.total([(f.won_amount, f.currency) for f in summary.currencies])
        summary.converted = Converted(
            currency=target,
            on_date=on_date,
            open_amount=rates.total([(f.open_amount, f.currency) for f in summary.currencies]),
            won_amount=won,
            average_won=round_money(won / summary.won_count) if summary.won_count else None,
            rates=[Rate(code, *rates.rate(code)) for code in sorted(foreign | {target} if foreign else set())],
        )
        for owner in summary.owners:
            owner.won_converted = rates.total([(f.won_amount, f.currency) for f in owner.figures])
    except ValidationError as error:
        summary.converted = None
        summary.conversion_error = " ".join(error.messages)


def sales_summary(user: User, filters: SummaryFilters) -> SalesSummary:
    """The sales summary over the deals `user` may see (crm.sales.access.deals_visible_to)."""
    return sales_summary_of(deals_visible_to(user), filters)


@dataclass
class ReportChoices:
    pipelines: QuerySet[Pipeline]
    owners: QuerySet[User]
    teams: QuerySet[Team]
    currencies: QuerySet[Currency]


def report_choices_for(user: User) -> ReportChoices:
    """What the report's filters offer: pipelines, and the owners and teams of the deals the user may see."""
    visible = deals_visible_to(user).order_by()
    return ReportChoices(
        pipelines=Pipeline.objects.order_by("position", "name"),
        owners=User.objects.filter(pk__in=visible.values("owner_id")).order_by("last_name", "first_name", "pk"),
        teams=Team.objects.filter(pk__in=visible.values("owner__team_id")).order_by("name"),
        currencies=Currency.objects.order_by("-is_base", "code"),
    )


def default_pipeline() -> Pipeline | None:
    """The pipeline the report opens with: the first active one."""
    return Pipeline.objects.filter(is_active=True).order_by("position", "name").first()


def default_currency() -> str:
    """The currency converted totals are shown in by default: the base currency ("" when none is set)."""
    return Currency.objects.filter(is_base=True).values_list("code", flat=True).first() or ""
