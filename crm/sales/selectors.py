"""Reads of deals for pages, the API, exports and the board; all built on deals_visible_to."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.accounts.models import User
from crm.activities.models import Interaction
from crm.catalog.models import Currency
from crm.catalog.money import round_money, vat_split
from crm.parties.models import Classifier, ClassifierNode, Party
from crm.sales.access import deals_visible_to
from crm.sales.choices import RequiredField, RequirementKind
from crm.sales.models import (
    Deal,
    DealEvent,
    DealInteraction,
    DealLine,
    DealStageChange,
    Pipeline,
    Stage,
    StageRequirement,
)

# The classifier the shipped migration creates; its nodes are the reasons a deal is lost.
LOST_REASONS_CLASSIFIER = "Причины проигрыша"

SORTABLE = {"title", "amount", "created_at", "updated_at", "probability", "stage_entered_at"}

ZERO = Decimal("0")


@dataclass(frozen=True)
class LineTotals:
    """One line's money in the deal's currency, each part rounded to kopecks."""

    net: Decimal
    vat: Decimal
    gross: Decimal
    cost: Decimal
    profit: Decimal
    margin: Decimal | None


@dataclass(frozen=True)
class DealTotals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    cost: Decimal
    profit: Decimal
    margin: Decimal | None
    currency: str


def _margin(profit: Decimal, net: Decimal) -> Decimal | None:
    """Gross profit as a percentage of the net revenue, to two decimals; none for a zero revenue."""
    return round_money(profit * 100 / net) if net else None


def line_totals(line: DealLine) -> LineTotals:
    """Net, VAT, gross, cost and gross profit of a line: amount = price x quantity, split by the line's VAT rate."""
    split = vat_split(line.price * line.quantity, line.vat_rate, included=line.vat_included)
    cost = round_money(line.cost * line.quantity)
    profit = split.net - cost
    return LineTotals(net=split.net, vat=split.vat, gross=split.gross, cost=cost, profit=profit,
                      margin=_margin(profit, split.net))  # fmt: skip


def deal_totals(deal: Deal, lines: list[DealLine] | None = None) -> DealTotals:
    """The sums of the deal's lines (all in the deal's currency: lines are converted when added)."""
    parts = [line_totals(line) for line in (deal.lines.all() if lines is None else lines)]
    net = sum((p.net for p in parts), ZERO)
    vat = sum((p.vat for p in parts), ZERO)
    cost = sum((p.cost for p in parts), ZERO)
    profit = net - cost
    return DealTotals(net=net, vat=vat, gross=net + vat, cost=cost, profit=profit, margin=_margin(profit, net),
                      currency=deal.currency_id)  # fmt: skip


def requirement_met(deal: Deal, requirement: StageRequirement) -> bool:
    """Whether the deal's history holds what the requirement asks for."""
    if requirement.kind == RequirementKind.INTERACTION:
        return DealInteraction.objects.filter(
            deal=deal, interaction__type_id=requirement.interaction_type_id, interaction__is_deleted=False
        ).exists()
    if requirement.kind == RequirementKind.DOCUMENT:
        return DealEvent.objects.filter(
            deal=deal, kind=DealEvent.Kind.DOCUMENT_GENERATED, data__kind=requirement.document_kind
        ).exists()
    if requirement.field == RequiredField.CONTACT:
        return deal.contact_id is not None
    if requirement.field == RequiredField.LINES:
        return deal.lines.exists()
    if requirement.field == RequiredField.EXPECTED_CLOSE:
        return deal.expected_close_date is not None
    return deal.amount > 0


def current_requirements(deal: Deal) -> list[tuple[StageRequirement, bool]]:
    """What the current stage asks for before the deal moves on, and whether each is done."""
    return [(r, requirement_met(deal, r)) for r in deal.stage.requirements.select_related("interaction_type")]


def deal_list_for(user: User) -> QuerySet[Deal]:
    """The deals a list, export or API page shows, with what a row needs in the same query."""
    return deals_visible_to(user).select_related("party", "owner", "stage", "pipeline")


def party_deals_for(user: User, party: Party) -> QuerySet[Deal]:
    """The client's deals the user may see, open first, newest first."""
    return deal_list_for(user).filter(party=party).order_by("closed_at", "-created_at")


def deal_detail(deal: Deal) -> Deal:
    """The deal with what its card shows, loaded in a fixed number of queries."""
    return (
        Deal.objects.select_related(
            "party",
            "contact",
            "owner",
            "stage__performer",
            "stage__performer_role",
            "pipeline",
            "currency",
            "lost_reason",
        )
        .prefetch_related(
            Prefetch("lines", queryset=DealLine.objects.select_related("product", "price_list")),
            "competitors",
            Prefetch("pipeline__stages", queryset=Stage.objects.order_by("position", "pk")),
        )
        .get(pk=deal.pk)
    )


@dataclass(frozen=True)
class StageTime:
    stage: Stage
    duration: datetime.timedelta
    is_current: bool

    @property
    def text(self) -> str:
        """ "3 days 17 h 30 min": days in words (Russian has three plural forms), hours and minutes short."""
        minutes = int(self.duration.total_seconds() // 60)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [ngettext("%(count)d day", "%(count)d days", days) % {"count": days}] if days else []
        if hours or days:
            parts.append(_("%(count)d h") % {"count": hours})
        parts.append(_("%(count)d min") % {"count": minutes})
        return " ".join(parts)


def deal_time_in_stages(deal: Deal, *, now: datetime.datetime | None = None) -> list[StageTime]:
    """Time spent in each stage the deal has been in (summed over returns), in the pipeline's order."""
    now = now or timezone.now()
    changes = list(DealStageChange.objects.filter(deal=deal).select_related("stage").order_by("at", "pk"))
    if not changes:
        # Deals created around the services (an import) have no history yet: count from stage_entered_at.
        changes = [DealStageChange(deal=deal, stage=deal.stage, at=deal.stage_entered_at)]
    spent: dict[int, datetime.timedelta] = {}
    stages: dict[int, Stage] = {}
    followers: list[DealStageChange | None] = [*changes[1:], None]
    for change, following in zip(changes, followers, strict=True):
        # A closed deal stops the clock when it closes.
        end = following.at if following else (deal.closed_at or now)
        spent[change.stage_id] = spent.get(change.stage_id, datetime.timedelta()) + max(
            end - change.at, datetime.timedelta()
        )
        stages[change.stage_id] = change.stage
    ordered = sorted(stages.values(), key=lambda s: (s.position, s.pk))
    return [StageTime(stage=s, duration=spent[s.pk], is_current=s.pk == deal.stage_id) for s in ordered]


def deal_history(deal: Deal) -> list[DealEvent]:
    """The deal's history, newest first (stage changes and logged interactions are events too)."""
    return list(DealEvent.objects.filter(deal=deal).select_related("actor").order_by("-at", "-pk")[:200])


def deal_interactions(deal: Deal) -> list[Interaction]:
    """Interactions counted towards the deal, newest first."""
    links = DealInteraction.objects.filter(deal=deal, interaction__is_deleted=False).values("interaction_id")
    return list(
        Interaction.objects.filter(pk__in=links).select_related("type", "author").order_by("-occurred_at")[:100]
    )


def lost_reason_nodes() -> QuerySet[ClassifierNode]:
    """The reasons a deal may be lost: the nodes of the shipped classifier (all nodes if it was removed)."""
    classifier = Classifier.objects.filter(name=LOST_REASONS_CLASSIFIER).first()
    nodes = ClassifierNode.objects.order_by("path")
    return nodes.filter(classifier=classifier) if classifier else nodes


def pipelines_with_stages() -> QuerySet[Pipeline]:
    """Active pipelines with their stages in order."""
    return Pipeline.objects.filter(is_active=True).prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "pk").prefetch_related("requirements"))
    )


def competitor_candidates() -> QuerySet[Party]:
    return Party.objects.filter(is_deleted=False, relationship="competitor").order_by("name")


def currencies() -> QuerySet[Currency]:
    return Currency.objects.all()
