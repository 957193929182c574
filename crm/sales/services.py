"""Every write to pipelines, stages, deals and their lines (style guide section 7)."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.activities.models import Interaction, InteractionType
from crm.activities.services import interaction_log, task_create
from crm.catalog.models import Currency, PriceList, Product
from crm.catalog.money import convert, round_money
from crm.catalog.pricing import resolve_price
from crm.core.models import field_value_for_history
from crm.core.versioning import bump_version
from crm.parties.choices import Relationship
from crm.parties.models import ClassifierNode, Party, PartyEvent
from crm.parties.services import party_record_event
from crm.sales.choices import DocumentKind, RequiredField, RequirementKind, StageKind
from crm.sales.models import (
    Deal,
    DealEvent,
    DealInteraction,
    DealLine,
    DealStageChange,
    DiscountLimit,
    Pipeline,
    Stage,
    StageRequirement,
)
from crm.sales.selectors import deal_totals, requirement_met

# The fields deal_update changes; stage, lines and owner have their own services.
DEAL_FIELDS = (
    "title", "party", "contact", "currency", "amount", "amount_is_manual", "expected_close_date", "probability",
    "probability_is_manual", "source", "source_detail", "description", "price_list",
)  # fmt: skip


@transaction.atomic
def deal_record_event(*, actor: User | None, deal: Deal, kind: str, data: dict[str, Any]) -> DealEvent:
    """Write one line of the deal's history; higher apps (documents, files) call this for what they did to a deal."""
    if kind not in DealEvent.Kind.values:
        raise ValueError(f"unknown deal event kind {kind!r}")
    return DealEvent.objects.create(deal=deal, actor=actor, kind=kind, data=data)


def _record(deal: Deal, actor: User | None, kind: str, **data: Any) -> DealEvent:
    return DealEvent.objects.create(deal=deal, actor=actor, kind=kind, data=data)


def _currency(value: Currency | str) -> Currency:
    if isinstance(value, Currency):
        return value
    try:
        return Currency.objects.get(code=value)
    except Currency.DoesNotExist:
        raise ValidationError({"currency": _("Unknown currency %(code)s.") % {"code": value}}) from None


def first_open_stage(pipeline: Pipeline) -> Stage:
    """Where a new deal of the pipeline starts."""
    stage = pipeline.stages.filter(kind=StageKind.OPEN).order_by("position", "pk").first()
    if stage is None:
        raise ValidationError({"pipeline": _("The pipeline has no open stage.")})
    return stage


def _check_contact(deal: Deal) -> None:
    if deal.contact_id is None or deal.contact_id == deal.party_id:
        return
    if not deal.party.contact_links.filter(person_id=deal.contact_id).exists():
        raise ValidationError({"contact": _("This person is not a contact of the client.")})


def _check_competitors(competitors: list[Party]) -> None:
    wrong = [p for p in competitors if p.relationship != Relationship.COMPETITOR]
    if wrong:
        raise ValidationError(
            {"competitors": _("%(name)s is not marked as a competitor.") % {"name": ", ".join(str(p) for p in wrong)}}
        )


@transaction.atomic
def deal_create(
    *,
    actor: User,
    party: Party,
    title: str,
    pipeline: Pipeline,
    stage: Stage | None = None,
    currency: Currency | str = "RUB",
    owner: User | None = None,
    contact: Party | None = None,
    amount: Decimal | None = None,
    expected_close_date: datetime.date | None = None,
    probability: int | None = None,
    source: str = "",
    source_detail: str = "",
    description: str = "",
    competitors: Iterable[Party] = (),
    external_id: str = "",
) -> Deal:
    """Open a deal with a client in the pipeline's first open stage (or `stage`); the actor owns it by default."""
    stage = stage or first_open_stage(pipeline)
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    now = timezone.now()
    deal = Deal(
        title=title, party=party, contact=contact, owner=owner or actor, pipeline=pipeline, stage=stage,
        stage_entered_at=now, currency=_currency(currency), amount=amount or Decimal("0"),
        amount_is_manual=amount is not None, expected_close_date=expected_close_date,
        probability=stage.probability if probability is None else probability,
        probability_is_manual=probability is not None, source=source, source_detail=source_detail,
        description=description, external_id=external_id, closed_at=None if stage.is_open else now,
    )  # fmt: skip
    deal.full_clean(exclude=["lost_reason"])
    _check_contact(deal)
    chosen = list(competitors)
    _check_competitors(chosen)
    deal.save()
    if chosen:
        deal.competitors.set(chosen)
    DealStageChange.objects.create(deal=deal, from_stage=None, stage=stage, actor=actor, at=now)
    _record(deal, actor, DealEvent.Kind.CREATED, title=title, stage=stage.name, stage_id=stage.pk)
    party_record_event(actor=actor, party=party, kind=PartyEvent.Kind.DEAL_CREATED, value=title, data={"deal": deal.pk})
    return deal


@transaction.atomic
def deal_update(
    *,
    actor: User,
    deal: Deal,
    data: Mapping[str, Any],
    expected_version: int | None,
    competitors: Iterable[Party] | None = None,
) -> Deal:
    """Change a deal's fields; refused if someone saved it since `expected_version`."""
    fields = [f for f in data if f in DEAL_FIELDS]
    before = {f: getattr(deal, f) for f in fields}
    for field in fields:
        setattr(deal, field, data[field])
    if "amount" in data and "amount_is_manual" not in data:
        deal.amount_is_manual = True
    if "probability" in data and "probability_is_manual" not in data:
        deal.probability_is_manual = True
    if "currency" in fields and before["currency"] != deal.currency and deal.lines.exists():
        raise ValidationError({"currency": _("Remove the line items before changing the currency.")})
    deal.full_clean(exclude=["lost_reason"])
    _check_contact(deal)
    changes = [
        {
            "field": f,
            "label": str(getattr(Deal._meta.get_field(f), "verbose_name", f)),
            "old": field_value_for_history(before[f]),
            "new": field_value_for_history(getattr(deal, f)),
        }
        for f in fields
        if before[f] != getattr(deal, f)
    ]
    if competitors is not None:
        chosen = list(competitors)
        _check_competitors(chosen)
        old = sorted(str(p) for p in deal.competitors.all())
        new = sorted(str(p) for p in chosen)
        if old != new:
            deal.competitors.set(chosen)
            label = str(Deal._meta.get_field("competitors").verbose_name)
            changes.append({"field": "competitors", "label": label, "old": ", ".join(old), "new": ", ".join(new)})
    bump_version(deal, expected_version)
    if not deal.amount_is_manual:
        _recalculate(deal)
    deal.save()
    if changes:
        _record(deal, actor, DealEvent.Kind.CHANGED, changes=changes)
    return deal


@transaction.atomic
def deal_delete(*, actor: User, deal: Deal) -> Deal:
    """Move a deal to the trash; its owner or a head of sales can restore it."""
    deal.is_deleted, deal.deleted_at, deal.deleted_by = True, timezone.now(), actor
    deal.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    _record(deal, actor, DealEvent.Kind.DELETED)
    return deal


@transaction.atomic
def deal_restore(*, actor: User, deal: Deal) -> Deal:
    """Take a deal out of the trash."""
    deal.is_deleted, deal.deleted_at, deal.deleted_by = False, None, None
    deal.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    _record(deal, actor, DealEvent.Kind.RESTORED)
    return deal


def _stage_key(stage: Stage) -> tuple[int, int]:
    return (stage.position, stage.pk)


def deal_missing_requirements(deal: Deal, to_stage: Stage) -> list[StageRequirement]:
    """What the deal's history still lacks to move to `to_stage`.

    Moving forwards (to a later stage or to a won stage) needs what the current stage requires and,
    when stages are skipped, what each skipped open stage requires: jumping over "Demonstration"
    must not skip the demonstration. Moving backwards or to a lost stage needs nothing.
    """
    current = deal.stage
    if to_stage.is_lost or to_stage.pk == current.pk:
        return []
    if not to_stage.is_won and _stage_key(to_stage) <= _stage_key(current):
        return []
    left = [
        s
        for s in current.pipeline.stages.filter(kind=StageKind.OPEN)
        if _stage_key(current) <= _stage_key(s) and (to_stage.is_won or _stage_key(s) < _stage_key(to_stage))
    ]
    if current.is_open and current not in left:
        left.insert(0, current)
    requirements = (
        StageRequirement.objects.filter(stage__in=left)
        .select_related("stage")
        .order_by("stage__position", "stage_id", "pk")
    )
    return [r for r in requirements if not requirement_met(deal, r)]


def requirement_message(requirement: StageRequirement) -> str:
    """The refusal users read for one missing requirement."""
    return _("Required before leaving the stage “%(stage)s”: %(requirement)s.") % {
        "stage": requirement.stage.name,
        "requirement": requirement.label,
    }


@transaction.atomic
def deal_move_stage(
    *,
    actor: User,
    deal: Deal,
    stage: Stage,
    lost_reason: ClassifierNode | None = None,
    expected_version: int | None = None,
) -> Deal:
    """Move the deal to `stage` if its history meets the requirements, and record the move."""
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    if stage.pk == deal.stage_id:
        raise ValidationError({"stage": _("The deal is already in this stage.")})
    missing = deal_missing_requirements(deal, stage)
    if missing:
        raise ValidationError({"stage": [requirement_message(r) for r in missing]})
    if stage.is_lost and lost_reason is None:
        raise ValidationError({"lost_reason": _("Say why the deal is lost.")})
    previous = deal.stage
    now = timezone.now()
    deal.stage, deal.stage_entered_at = stage, now
    deal.lost_reason = lost_reason if stage.is_lost else None
    deal.closed_at = None if stage.is_open else now
    if not stage.is_open or not deal.probability_is_manual:
        deal.probability = stage.probability
    bump_version(deal, expected_version)
    deal.save()
    DealStageChange.objects.create(deal=deal, from_stage=previous, stage=stage, actor=actor, at=now)
    data: dict[str, Any] = {"from": previous.pk, "to": stage.pk, "from_name": previous.name, "to_name": stage.name}
    if lost_reason is not None and stage.is_lost:
        data["lost_reason"] = lost_reason.name
    performers = stage_performers(deal, stage, actor)
    if performers:
        data["performers"] = [str(user) for user in performers]
        task_create(
            actor=actor, party=deal.party, assignees=performers, due_at=now + datetime.timedelta(days=1),
            title=_("Stage “%(stage)s” of the deal “%(deal)s”") % {"stage": stage.name, "deal": deal.title},
        )  # fmt: skip
    _record(deal, actor, DealEvent.Kind.STAGE_CHANGED, **data)
    return deal


def stage_performers(deal: Deal, stage: Stage, actor: User) -> list[User]:
    """Who performs the stage the deal enters: its user, else the holders of its role in the owner's team.

    They get a task for the deal (due in a day); the one who moved the deal needs no task of their own.
    """
    if stage.performer is not None:
        candidates = [stage.performer] if stage.performer.is_active else []
    elif stage.performer_role_id is not None:
        role_holders = User.objects.filter(is_active=True, groups=stage.performer_role_id)
        team_id = deal.owner.team_id
        candidates = list(role_holders.filter(team_id=team_id) if team_id else role_holders.filter(pk=deal.owner_id))
    else:
        candidates = []
    return [user for user in candidates if user.pk != actor.pk]


@transaction.atomic
def deal_link_interaction(*, actor: User, deal: Deal, interaction: Interaction) -> DealInteraction:
    """Count an interaction with the deal's client towards the deal (its stage requirements look here)."""
    if interaction.party_id != deal.party_id:
        raise ValidationError({"interaction": _("The interaction is with another client.")})
    link, created = DealInteraction.objects.get_or_create(deal=deal, interaction=interaction)
    if created:
        _record(
            deal, actor, DealEvent.Kind.INTERACTION_LOGGED,
            interaction=interaction.pk, type=str(interaction.type), subject=interaction.subject,
        )  # fmt: skip
    return link


@transaction.atomic
def deal_log_interaction(*, actor: User, deal: Deal, type: InteractionType, **fields: Any) -> Interaction:
    """Log an interaction with the deal's client and count it towards the deal in one step."""
    interaction = interaction_log(actor=actor, party=deal.party, type=type, **fields)
    deal_link_interaction(actor=actor, deal=deal, interaction=interaction)
    return interaction


# Line items ----------------------------------------------------------------------------------------------------


def discount_limit_for(user: User) -> Decimal:
    """The largest line discount the user's roles allow (the most generous role counts); none means 0%."""
    if user.is_superuser:
        return Decimal("100")
    limits = DiscountLimit.objects.filter(role__in=user.groups.all()).values_list("max_percent", flat=True)
    return max(limits, default=Decimal("0"))


def _check_discount(actor: User, discount: Decimal) -> None:
    limit = discount_limit_for(actor)
    if discount > limit:
        raise ValidationError(
            {
                "discount_percent": _("The discount %(discount)s%% is above your limit of %(limit)s%%.")
                % {"discount": _percent(discount), "limit": _percent(limit)}
            }
        )


def _percent(value: Decimal) -> str:
    """10.00 -> "10", 12.50 -> "12.5" (no exponent: Decimal("1E+1") reads badly)."""
    return format(value.normalize(), "f")


def _discounted(list_price: Decimal, discount: Decimal) -> Decimal:
    return round_money(list_price * (Decimal(100) - discount) / Decimal(100))


def _quote(deal: Deal, product: Product, on_date: datetime.date) -> tuple[Decimal, bool, PriceList | None, str]:
    """The list price for the deal's client in the deal's currency: price, VAT included, price list, explanation."""
    quote = resolve_price(party=deal.party, product=product, on_date=on_date)
    if quote is None:
        raise ValidationError(
            {"list_price": _("No price list gives a price of this product to this client: enter the price.")}
        )
    if quote.currency == deal.currency_id:
        return quote.price, quote.vat_included, quote.price_list, quote.explanation
    price = convert(quote.price, quote.currency, deal.currency_id, on_date)
    note = _("Converted from %(amount)s %(from)s to %(to)s at the rate of %(date)s.") % {
        "amount": quote.price,
        "from": quote.currency,
        "to": deal.currency_id,
        "date": formats.date_format(on_date, "SHORT_DATE_FORMAT"),
    }
    return price, quote.vat_included, quote.price_list, f"{quote.explanation} {note}"


def _unit_cost(deal: Deal, product: Product, on_date: datetime.date) -> Decimal:
    return convert(product.cost, product.cost_currency_id, deal.currency_id, on_date)


def _recalculate(deal: Deal) -> None:
    """Put the sums of the lines into the deal: the amount (unless typed by hand) and the cost."""
    totals = deal_totals(deal)
    if not deal.amount_is_manual:
        deal.amount = totals.gross
    deal.cost = totals.cost


def _save_totals(deal: Deal) -> None:
    _recalculate(deal)
    deal.save(update_fields=["amount", "cost", "updated_at"])


@transaction.atomic
def deal_line_add(
    *,
    actor: User,
    deal: Deal,
    product: Product,
    quantity: Decimal,
    discount_percent: Decimal = Decimal("0"),
    list_price: Decimal | None = None,
    vat_included: bool = True,
    description: str = "",
    on_date: datetime.date | None = None,
) -> DealLine:
    """Add a line priced from the client's price list (or at `list_price` typed by hand), within the discount limit."""
    on_date = on_date or timezone.localdate()
    _check_discount(actor, discount_percent)
    if list_price is None:
        list_price, vat_included, price_list, source = _quote(deal, product, on_date)
    else:
        price_list, source = None, _("Price entered by hand.")
    last = deal.lines.order_by("-position").values_list("position", flat=True).first()
    line = DealLine(
        deal=deal, position=(last or 0) + 1, product=product, description=description, quantity=quantity,
        unit=product.unit, list_price=round_money(list_price), discount_percent=discount_percent,
        price=_discounted(list_price, discount_percent), vat_rate=product.vat_rate, vat_included=vat_included,
        cost=_unit_cost(deal, product, on_date), price_list=price_list, price_source=source,
    )  # fmt: skip
    line.full_clean(exclude=["deal"])
    line.save()
    _save_totals(deal)
    _record(
        deal, actor, DealEvent.Kind.LINE_ADDED,
        line=line.pk, product=str(product), quantity=str(quantity), price=str(line.price),
    )  # fmt: skip
    return line


@transaction.atomic
def deal_line_update(*, actor: User, line: DealLine, data: Mapping[str, Any]) -> DealLine:
    """Change a line's quantity, discount, description or list price (a typed price replaces the price list's)."""
    before = {f: getattr(line, f) for f in ("quantity", "discount_percent", "list_price", "description")}
    if "discount_percent" in data and data["discount_percent"] != line.discount_percent:
        _check_discount(actor, data["discount_percent"])
    for field in ("quantity", "discount_percent", "description"):
        if field in data:
            setattr(line, field, data[field])
    if "list_price" in data and data["list_price"] is not None and data["list_price"] != line.list_price:
        line.list_price, line.price_list, line.price_source = (
            round_money(data["list_price"]),
            None,
            _("Price entered by hand."),
        )
        if "vat_included" in data:
            line.vat_included = data["vat_included"]
    line.price = _discounted(line.list_price, line.discount_percent)
    line.full_clean(exclude=["deal"])
    line.save()
    changes = [
        {"field": f, "old": str(old), "new": str(getattr(line, f))}
        for f, old in before.items()
        if old != getattr(line, f)
    ]
    _save_totals(line.deal)
    if changes:
        _record(line.deal, actor, DealEvent.Kind.LINE_CHANGED, line=line.pk, product=str(line.product), changes=changes)
    return line


@transaction.atomic
def deal_line_remove(*, actor: User, line: DealLine) -> None:
    """Remove a line; the deal's totals follow."""
    deal = line.deal
    data = {"line": line.pk, "product": str(line.product), "quantity": str(line.quantity)}
    line.delete()
    _save_totals(deal)
    _record(deal, actor, DealEvent.Kind.LINE_REMOVED, **data)


# Pipelines, stages, requirements, discount limits ---------------------------------------------------------------


@transaction.atomic
def pipeline_save(*, actor: User, pipeline: Pipeline) -> Pipeline:
    """Create or change a pipeline; a new one gets the stages every pipeline needs: won and lost."""
    is_new = pipeline.pk is None
    pipeline.full_clean()
    pipeline.save()
    if is_new:
        Stage.objects.create(pipeline=pipeline, name=_("New"), position=1, probability=10)
        Stage.objects.create(pipeline=pipeline, name=_("Won"), position=90, kind=StageKind.WON, probability=100)
        Stage.objects.create(pipeline=pipeline, name=_("Lost"), position=99, kind=StageKind.LOST, probability=0)
    return pipeline


@transaction.atomic
def stage_save(*, actor: User, stage: Stage) -> Stage:
    """Create or change a stage; a new one goes after the pipeline's open stages."""
    if stage.pk is None and not stage.position:
        last = stage.pipeline.stages.filter(kind=StageKind.OPEN).order_by("-position").first()
        stage.position = (last.position if last else 0) + 1
        _renumber(stage.pipeline, insert_at=stage.position)
    stage.full_clean()
    stage.save()
    return stage


def _renumber(pipeline: Pipeline, insert_at: int | None = None) -> None:
    """Positions 1, 2, 3... in the current order, leaving a gap at `insert_at`."""
    position = 1
    for stage in pipeline.stages.order_by("position", "pk"):
        if position == insert_at:
            position += 1
        if stage.position != position:
            Stage.objects.filter(pk=stage.pk).update(position=position)
        position += 1


@transaction.atomic
def stage_move(*, actor: User, stage: Stage, up: bool) -> Stage:
    """Swap the stage with its neighbour above or below."""
    _renumber(stage.pipeline)
    stages = list(stage.pipeline.stages.order_by("position", "pk"))
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    other_index = index - 1 if up else index + 1
    if 0 <= other_index < len(stages):
        other = stages[other_index]
        Stage.objects.filter(pk=stage.pk).update(position=other_index + 1)
        Stage.objects.filter(pk=other.pk).update(position=index + 1)
    stage.refresh_from_db()
    return stage


@transaction.atomic
def stage_delete(*, actor: User, stage: Stage) -> None:
    """Delete a stage no deal has ever been in; otherwise refuse (history refers to it)."""
    if stage.deals.exists() or DealStageChange.objects.filter(stage=stage).exists():
        raise ValidationError(_("Deals have been in this stage: it cannot be deleted."))
    stage.delete()


@transaction.atomic
def requirement_add(
    *,
    actor: User,
    stage: Stage,
    kind: str,
    label: str = "",
    interaction_type: InteractionType | None = None,
    document_kind: str = "",
    field: str = "",
) -> StageRequirement:
    """Require an interaction, a document or a filled field before a deal leaves the stage forwards."""
    requirement = StageRequirement(
        stage=stage, kind=kind, interaction_type=interaction_type if kind == RequirementKind.INTERACTION else None,
        document_kind=document_kind if kind == RequirementKind.DOCUMENT else "",
        field=field if kind == RequirementKind.FIELD else "", label=label,
    )  # fmt: skip
    targets = {
        RequirementKind.INTERACTION: ("interaction_type", requirement.interaction_type_id),
        RequirementKind.DOCUMENT: ("document_kind", requirement.document_kind),
        RequirementKind.FIELD: ("field", requirement.field),
    }
    if kind not in targets:
        raise ValidationError({"kind": _("Choose what is required.")})
    target, value = targets[RequirementKind(kind)]
    if not value:
        raise ValidationError({target: _("This field is required.")})
    if not requirement.label:
        requirement.label = _default_label(requirement)
    requirement.full_clean()
    requirement.save()
    return requirement


def _default_label(requirement: StageRequirement) -> str:
    if requirement.kind == RequirementKind.INTERACTION and requirement.interaction_type is not None:
        return _("%(type)s held") % {"type": requirement.interaction_type}
    if requirement.kind == RequirementKind.DOCUMENT:
        return _("%(kind)s generated") % {"kind": DocumentKind(requirement.document_kind).label}
    return _("%(field)s filled in") % {"field": RequiredField(requirement.field).label}


@transaction.atomic
def requirement_remove(*, actor: User, requirement: StageRequirement) -> None:
    requirement.delete()


@transaction.atomic
def discount_limit_set(*, actor: User, role: Group, max_percent: Decimal | None) -> DiscountLimit | None:
    """Set the largest discount of a role; None removes the limit (the role may give no discount)."""
    if max_percent is None:
        DiscountLimit.objects.filter(role=role).delete()
        return None
    limit = DiscountLimit.objects.filter(role=role).first() or DiscountLimit(role=role)
    limit.max_percent = max_percent
    limit.full_clean()
    limit.save()
    return limit
