"""Reads for the kanban board (S4): per-stage counts and sums, the first cards of each column, the next ones.

The board's cost must not grow with the number of deals or stages: counts and sums come from one
GROUP BY over the visible deals, the first cards of every column from one query (a UNION ALL of
per-stage index walks) plus one query loading them.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from crm.accounts.models import User
from crm.catalog.money import Money, base_currency_code, rate_on, round_money
from crm.parties.models import Classifier, ClassifierNode
from crm.sales.access import can_change_deal, deals_visible_to
from crm.sales.filters import DealFilter
from crm.sales.models import Deal, Pipeline, Stage
from crm.sales.selectors import lost_reason_nodes

CARDS_PER_COLUMN = 30
# Newest activity first; the primary key breaks ties so the "show more" keyset is exact.
CARD_ORDER = ("-updated_at", "-pk")
CARD_FIELDS = (
    "id", "title", "amount", "currency_id", "probability", "stage_entered_at", "updated_at", "stage_id",
    "pipeline_id", "owner_id", "party_id", "party__id", "party__name", "owner__id", "owner__username",
    "owner__first_name", "owner__last_name", "owner__team_id",
)  # fmt: skip


@dataclass
class Card:
    """A deal as a card shows it."""

    deal: Deal
    days_in_stage: int
    can_move: bool


@dataclass
class Column:
    """A stage with the count and the sums of its deals and its first cards."""

    stage: Stage
    count: int = 0
    sums: list[Money] = field(default_factory=list)  # one per currency, never added across currencies
    total: Money | None = None  # the sums converted to the base currency at `Board.rates_on`
    cards: list[Card] = field(default_factory=list)
    next_cursor: str | None = None

    @property
    def is_collapsed(self) -> bool:
        """Won and lost columns start folded (counts and sums only, cards on demand): they only grow, and the
        open stages are the work."""
        return not self.stage.is_open


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]
    rates_on: datetime.date
    base_currency: str
    missing_rates: list[str]  # currencies without a rate on `rates_on`: no converted totals then


def board_pipelines() -> QuerySet[Pipeline]:
    """The pipelines a board can show: the active ones in display order."""
    return Pipeline.objects.filter(is_active=True).order_by("position", "name", "pk")


def board_pipeline(pipelines: QuerySet[Pipeline], chosen: str | None) -> Pipeline | None:
    """The chosen active pipeline, or the first one when none (or an unknown one) is chosen."""
    listed = list(pipelines)
    if chosen and chosen.isdigit():
        for pipeline in listed:
            if pipeline.pk == int(chosen):
                return pipeline
    return listed[0] if listed else None


def board_stages(pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position", "pk"))


def board_stage(pk: int) -> Stage:
    """A stage of an active pipeline, for its column's next cards (404 otherwise)."""
    return get_object_or_404(Stage.objects.select_related("pipeline").filter(pipeline__is_active=True), pk=pk)


def lost_reason(data: Mapping[str, str]) -> ClassifierNode | None:
    """The lost reason a move names, if it is one of the lost reasons."""
    raw = data.get("lost_reason", "")
    return lost_reason_nodes().filter(pk=int(raw)).first() if raw.isdigit() else None


def lost_reason_choices() -> list[dict[str, object]]:
    """The lost reasons a refused move to a lost stage offers to pick from."""
    return [{"id": node.pk, "name": node.name} for node in lost_reason_nodes()]


def board_classifiers() -> QuerySet[Classifier]:
    """The classifier trees whose nodes filter the board by client, with their nodes (two queries)."""
    return Classifier.objects.prefetch_related("nodes").order_by("position", "name")


def board_filter_for(user: User, params: Mapping[str, object]) -> DealFilter:
    """The deals table's FilterSet over the user's visible deals: the same GET parameters on both pages."""
    return DealFilter(params, queryset=deals_visible_to(user))


def board_deals(deal_filter: DealFilter, pipeline: Pipeline) -> QuerySet[Deal]:
    """The filtered visible deals of the pipeline (the pipeline picker wins over a `pipeline` filter)."""
    deals: QuerySet[Deal] = deal_filter.qs if deal_filter.is_valid() else deal_filter.queryset
    return deals.filter(pipeline=pipeline)


def board_for(
    user: User, deals: QuerySet[Deal], pipeline: Pipeline, stages: list[Stage], rates_on: datetime.date
) -> Board:
    """The whole board: every column's count and sums, and its first cards, in a constant number of queries."""
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    by_currency: dict[int, dict[str, Decimal]] = {}
    for row in (
        deals.order_by()
        .values("stage_id", "currency_id")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("stage_id", "currency_id")
    ):
        column = columns.get(row["stage_id"])
        if column is None:  # a deal whose stage moved to another pipeline: not this board's
            continue
        column.count += row["n"]
        by_currency.setdefault(row["stage_id"], {})[row["currency_id"]] = row["total"] or Decimal("0")

    base = base_currency_code()
    currencies = sorted({code for sums in by_currency.values() for code in sums})
    rates, missing = _rates(currencies, base, rates_on)
    for stage_id, sums in by_currency.items():
        column = columns[stage_id]
        # The base currency first, then the others by code.
        column.sums = [Money(round_money(sums[c]), c) for c in sorted(sums, key=lambda c: (c != base, c))]
        if not missing and set(sums) != {base}:
            column.total = Money(round_money(sum((sums[c] * rates[c] for c in sums), Decimal("0"))), base)

    cards = _first_cards(user, deals, [pk for pk, column in columns.items() if not column.is_collapsed])
    for stage_id, stage_cards in cards.items():
        column = columns[stage_id]
        column.cards = stage_cards[:CARDS_PER_COLUMN]
        if len(stage_cards) > CARDS_PER_COLUMN:
            column.next_cursor = encode_cursor(column.cards[-1].deal)
    return Board(pipeline, list(columns.values()), rates_on, base, missing)


def column_cards(user: User, deals: QuerySet[Deal], stage: Stage, cursor: str | None) -> tuple[list[Card], str | None]:
    """The next cards of one column after `cursor` (keyset on the card order), and the cursor after them."""
    page = deals.filter(stage=stage)
    after = decode_cursor(cursor) if cursor else None
    if after is not None:
        updated_at, pk = after
        page = page.filter(Q(updated_at__lt=updated_at) | Q(updated_at=updated_at, pk__lt=pk))
    found = [card_of(user, deal) for deal in _card_query(page)[: CARDS_PER_COLUMN + 1]]
    if len(found) > CARDS_PER_COLUMN:
        found = found[:CARDS_PER_COLUMN]
        return found, encode_cursor(found[-1].deal)
    return found, None


def encode_cursor(deal: Deal) -> str:
    return f"{deal.updated_at.isoformat()}_{deal.pk}"


def decode_cursor(cursor: str) -> tuple[datetime.datetime, int] | None:
    """The (updated_at, pk) a cursor names, or None for a malformed one (then the column starts over)."""
    stamp, _sep, pk = cursor.rpartition("_")
    try:
        moment = datetime.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if not pk.isdigit() or timezone.is_naive(moment):
        return None
    return moment, int(pk)


def _rates(currencies: list[str], base: str, on_date: datetime.date) -> tuple[dict[str, Decimal], list[str]]:
    """Base-currency units per unit of each currency on `on_date`; the currencies without a rate."""
    rates, missing = {base: Decimal(1)}, []
    for code in currencies:
        if code == base:
            continue
        try:
            rates[code] = rate_on(code, on_date)[0]
        except ValidationError:
            missing.append(code)
    return rates, missing


def _card_query(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    return deals.select_related("party", "owner").only(*CARD_FIELDS).order_by(*CARD_ORDER)


def card_of(user: User, deal: Deal) -> Card:
    """The card of one deal for this user: days in the stage, and whether the user may drag it."""
    entered = timezone.localdate(deal.stage_entered_at)
    days = max((timezone.localdate() - entered).days, 0)
    return Card(deal=deal, days_in_stage=days, can_move=can_change_deal(user, deal))


def _first_cards(user: User, deals: QuerySet[Deal], stage_ids: list[int]) -> dict[int, list[Card]]:
    """Up to CARDS_PER_COLUMN + 1 newest cards of each stage (the extra one says there are more): two queries.

    The ids come from one UNION ALL of per-stage `ORDER BY ... LIMIT` subqueries, each a short walk of the
    deal_board index (pipeline, is_deleted, stage, -updated_at). The ORM cannot wrap sliced querysets of a
    union in subqueries on SQLite, and a window function over all the pipeline's deals costs a full scan,
    so the statement is assembled from the ORM's own SQL for each stage.
    """
    if not stage_ids:
        return {}
    ordered = deals.order_by(*CARD_ORDER).values_list("pk", flat=True)
    try:
        statements = [
            ordered.filter(stage_id=stage_id)[: CARDS_PER_COLUMN + 1].query.sql_with_params() for stage_id in stage_ids
        ]
    except EmptyResultSet:  # a user who sees no deals at all
        return {stage_id: [] for stage_id in stage_ids}
    union = " UNION ALL ".join(f"SELECT * FROM ({sql}) AS stage{n}" for n, (sql, _params) in enumerate(statements))
    params = [value for _sql, values in statements for value in values]
    with connection.cursor() as cursor:
        cursor.execute(union, params)
        ids = [row[0] for row in cursor.fetchall()]
    cards: dict[int, list[Card]] = {stage_id: [] for stage_id in stage_ids}
    for deal in _card_query(Deal.objects.filter(pk__in=ids)):
        cards[deal.stage_id].append(card_of(user, deal))
    return cards
