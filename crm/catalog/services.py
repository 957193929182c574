"""Every write to the catalog: products, groups, price lists and their prices, price rules, currencies, rates.

Callers check `can_manage_catalog` (access.py) before calling; each service validates by field, writes the
change and one CatalogEvent row in the same transaction.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.catalog.models import (
    CatalogEvent,
    Currency,
    ExchangeRate,
    PriceList,
    PriceListItem,
    PriceRule,
    Product,
    ProductGroup,
)
from crm.catalog.rates_csv import RateRow, RowError, parse_rates_csv
from crm.core.models import field_value_for_history
from crm.core.versioning import bump_version
from crm.parties.choices import Relationship
from crm.parties.models import ClassifierNode

PRODUCT_FIELDS = (
    "kind", "sku", "name", "group", "unit", "vat_rate", "cost", "cost_currency", "description", "is_active",
)  # fmt: skip
PRICE_LIST_FIELDS = ("name", "currency", "vat_included", "valid_from", "valid_to", "is_active")


def _record(entity: str, entity_id: object, actor: User | None, kind: str, **data: Any) -> None:
    CatalogEvent.objects.create(entity=entity, entity_id=str(entity_id), actor=actor, kind=kind, data=data)


def _changes(before: Mapping[str, Any], record: Any, fields: Iterable[str]) -> dict[str, list[Any]]:
    return {
        field: [field_value_for_history(before[field]), field_value_for_history(getattr(record, field))]
        for field in fields
        if before[field] != getattr(record, field)
    }


# Products


def _default_currency() -> Currency | None:
    return Currency.objects.filter(is_base=True).first()


@transaction.atomic
def product_create(*, actor: User, data: Mapping[str, Any]) -> Product:
    """Add a product or a service; its purchase cost is in the base currency unless another is given."""
    product = Product(**{k: v for k, v in data.items() if k in PRODUCT_FIELDS})
    if product.cost_currency_id is None:
        base = _default_currency()
        if base is not None:
            product.cost_currency = base
    product.sku = product.sku.strip()
    product.name = product.name.strip()
    product.full_clean()
    product.save()
    _record("product", product.pk, actor, CatalogEvent.Kind.CREATED, sku=product.sku, name=product.name)
    return product


@transaction.atomic
def product_update(*, actor: User, product: Product, data: Mapping[str, Any], expected_version: int | None) -> Product:
    """Change a product's fields; a card opened before someone else's save is refused (optimistic version)."""
    fields = [k for k in data if k in PRODUCT_FIELDS]
    before = {field: getattr(product, field) for field in fields}
    for field in fields:
        setattr(product, field, data[field])
    product.sku = product.sku.strip()
    product.name = product.name.strip()
    product.full_clean()
    bump_version(product, expected_version)
    product.save(update_fields=[*fields, "updated_at"])
    changes = _changes(before, product, fields)
    if changes:
        _record("product", product.pk, actor, CatalogEvent.Kind.CHANGED, changes=changes)
    return product


@transaction.atomic
def product_delete(*, actor: User, product: Product) -> Product:
    """Move the product to the trash: it leaves lists and quotes, deal lines that name it keep it."""
    product.is_deleted, product.deleted_at, product.deleted_by = True, timezone.now(), actor
    product.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    _record("product", product.pk, actor, CatalogEvent.Kind.DELETED, name=product.name)
    return product


@transaction.atomic
def product_restore(*, actor: User, product: Product) -> Product:
    """Bring the product back from the trash with its prices."""
    product.is_deleted, product.deleted_at, product.deleted_by = False, None, None
    product.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    _record("product", product.pk, actor, CatalogEvent.Kind.RESTORED, name=product.name)
    return product


# Product groups (a tree with materialised paths, as classifier nodes)


def _check_group_name(name: str, parent: ProductGroup | None, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    siblings = ProductGroup.objects.filter(parent=parent, name=name)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    if siblings.exists():
        raise ValidationError({"name": _("This group already has a subgroup named %(name)s.") % {"name": name}})
    return name


@transaction.atomic
def product_group_create(*, actor: User, name: str, parent: ProductGroup | None = None) -> ProductGroup:
    """Add a group at the top or under `parent`."""
    name = _check_group_name(name, parent)
    position = (ProductGroup.objects.filter(parent=parent).aggregate(m=Max("position"))["m"] or 0) + 1
    group = ProductGroup.objects.create(name=name, parent=parent, position=position, path="")
    group.path = f"{parent.path if parent else ''}{group.pk}/"
    group.depth = parent.depth + 1 if parent else 0
    group.save(update_fields=["path", "depth"])
    _record("product_group", group.pk, actor, CatalogEvent.Kind.CREATED, name=name)
    return group


@transaction.atomic
def product_group_rename(*, actor: User, group: ProductGroup, name: str) -> ProductGroup:
    """Rename a group; siblings keep distinct names."""
    old = group.name
    group.name = _check_group_name(name, group.parent, exclude_pk=group.pk)
    group.save(update_fields=["name", "updated_at"])
    _record("product_group", group.pk, actor, CatalogEvent.Kind.CHANGED, changes={"name": [old, group.name]})
    return group


@transaction.atomic
def product_group_move(*, actor: User, group: ProductGroup, parent: ProductGroup | None) -> ProductGroup:
    """Put the group (with its subtree) under another parent or at the top; paths of the subtree follow."""
    if parent is not None and parent.path.startswith(group.path):
        raise ValidationError({"parent": _("A group cannot be moved into itself or into its own subgroup.")})
    _check_group_name(group.name, parent, exclude_pk=group.pk)
    old_path, old_depth = group.path, group.depth
    new_path = f"{parent.path if parent else ''}{group.pk}/"
    new_depth = parent.depth + 1 if parent else 0
    # One UPDATE rewrites the prefix of every path in the subtree, the group's own included.
    ProductGroup.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (new_depth - old_depth),
    )
    group.parent = parent
    group.save(update_fields=["parent", "updated_at"])
    group.refresh_from_db()
    _record(
        "product_group",
        group.pk,
        actor,
        CatalogEvent.Kind.MOVED,
        parent=parent.pk if parent else None,
    )
    return group


@transaction.atomic
def product_group_delete(*, actor: User, group: ProductGroup) -> None:
    """Remove an empty group; one with subgroups or products is refused so nothing is lost silently."""
    if group.children.exists():
        raise ValidationError(_("The group has subgroups: move or delete them first."))
    if Product.objects.filter(group=group).exists():
        raise ValidationError(_("The group has products (maybe in the trash): move them to another group first."))
    _record("product_group", group.pk, actor, CatalogEvent.Kind.DELETED, name=group.name)
    group.delete()


# Price lists and their prices


def _check_price_list(price_list: PriceList) -> None:
    price_list.name = price_list.name.strip()
    if price_list.valid_from and price_list.valid_to and price_list.valid_to < price_list.valid_from:
        raise ValidationError({"valid_to": _("The end of validity must not be before its start.")})
    price_list.full_clean()


@transaction.atomic
def price_list_create(*, actor: User, data: Mapping[str, Any]) -> PriceList:
    """Add a price list in one currency, optionally valid for a period."""
    price_list = PriceList(**{k: v for k, v in data.items() if k in PRICE_LIST_FIELDS})
    _check_price_list(price_list)
    price_list.save()
    _record("price_list", price_list.pk, actor, CatalogEvent.Kind.CREATED, name=price_list.name)
    return price_list


@transaction.atomic
def price_list_update(*, actor: User, price_list: PriceList, data: Mapping[str, Any]) -> PriceList:
    """Change a price list's name, currency, VAT mode, validity or activity; the change is recorded."""
    fields = [k for k in data if k in PRICE_LIST_FIELDS]
    before = {field: getattr(price_list, field) for field in fields}
    for field in fields:
        setattr(price_list, field, data[field])
    if "currency" in fields and before["currency"] != price_list.currency and price_list.items.exists():
        # The prices are plain numbers of the list's currency: they would silently mean another money.
        raise ValidationError({"currency": _("The price list has prices: its currency can no longer change.")})
    _check_price_list(price_list)
    price_list.save(update_fields=[*fields, "updated_at"])
    changes = _changes(before, price_list, fields)
    if changes:
        _record("price_list", price_list.pk, actor, CatalogEvent.Kind.CHANGED, changes=changes)
    return price_list


@transaction.atomic
def price_list_delete(*, actor: User, price_list: PriceList) -> None:
    """Delete a price list with its prices; refused while a price rule still points to it."""
    if price_list.rules.exists():
        raise ValidationError(_("Price rules use this price list: delete or change them first."))
    _record("price_list", price_list.pk, actor, CatalogEvent.Kind.DELETED, name=price_list.name)
    price_list.delete()


def _clean_price(price: Decimal) -> Decimal:
    if not isinstance(price, Decimal) or not price.is_finite():
        raise ValidationError({"price": _("Enter a number.")})
    if price < 0:
        raise ValidationError({"price": _("A price cannot be negative.")})
    if price != price.quantize(Decimal("0.01")):
        raise ValidationError({"price": _("A price has at most two digits after the decimal point.")})
    if price >= Decimal("1e16"):
        raise ValidationError({"price": _("The price is too large.")})
    return price


@transaction.atomic
def price_set(*, actor: User, price_list: PriceList, product: Product, price: Decimal) -> PriceListItem:
    """Set the product's price in the price list (added if absent)."""
    price = _clean_price(price)
    item, created = PriceListItem.objects.update_or_create(
        price_list=price_list, product=product, defaults={"price": price}
    )
    _record("price_list", price_list.pk, actor, CatalogEvent.Kind.PRICE_SET, product=product.pk, price=str(price))
    return item


@transaction.atomic
def price_remove(*, actor: User, price_list: PriceList, product: Product) -> None:
    """Take the product out of the price list; quotes fall through to the next rule."""
    deleted, _rows = PriceListItem.objects.filter(price_list=price_list, product=product).delete()
    if deleted:
        _record("price_list", price_list.pk, actor, CatalogEvent.Kind.PRICE_REMOVED, product=product.pk)


@transaction.atomic
def price_list_prices_save(
    *, actor: User, price_list: PriceList, prices: Mapping[int, Decimal | None]
) -> tuple[int, int]:
    """Save a table of prices by product id (None removes); all or nothing. Returns (set, removed) counts."""
    products = {p.pk: p for p in Product.objects.filter(pk__in=list(prices))}
    errors: dict[str, list[str]] = {}
    for product_id, price in prices.items():
        if product_id not in products:
            errors[f"price_{product_id}"] = [_("There is no such product.")]
        elif price is not None:
            try:
                _clean_price(price)
            except ValidationError as error:
                errors[f"price_{product_id}"] = error.messages
    if errors:
        raise ValidationError(errors)
    current = dict(
        PriceListItem.objects.filter(price_list=price_list, product_id__in=list(prices)).values_list(
            "product_id", "price"
        )
    )
    set_count = removed = 0
    for product_id, price in prices.items():
        if price is None:
            if product_id in current:
                price_remove(actor=actor, price_list=price_list, product=products[product_id])
                removed += 1
        elif current.get(product_id) != price:
            price_set(actor=actor, price_list=price_list, product=products[product_id], price=price)
            set_count += 1
    return set_count, removed


# Price rules


def _check_rule(rule: PriceRule) -> None:
    if rule.relationship and rule.relationship not in Relationship.values:
        raise ValidationError({"relationship": _("Choose a relationship from the list.")})


@transaction.atomic
def price_rule_create(
    *,
    actor: User,
    price_list: PriceList,
    node: ClassifierNode | None = None,
    relationship: str = "",
    position: int | None = None,
) -> PriceRule:
    """Add a rule; without a position it goes last (where a fallback belongs)."""
    if position is None:
        position = (PriceRule.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    rule = PriceRule(price_list=price_list, node=node, relationship=relationship or "", position=position)
    _check_rule(rule)
    rule.full_clean()
    rule.save()
    _record("price_rule", rule.pk, actor, CatalogEvent.Kind.CREATED, price_list=price_list.pk, position=position)
    return rule


@transaction.atomic
def price_rule_update(
    *, actor: User, rule: PriceRule, price_list: PriceList, node: ClassifierNode | None, relationship: str
) -> PriceRule:
    """Change what a rule asks of the client and which price list it gives; its place stays."""
    before = {"price_list": rule.price_list_id, "node": rule.node_id, "relationship": rule.relationship}
    rule.price_list, rule.node, rule.relationship = price_list, node, relationship or ""
    _check_rule(rule)
    rule.full_clean()
    rule.save(update_fields=["price_list", "node", "relationship", "updated_at"])
    after = {"price_list": rule.price_list_id, "node": rule.node_id, "relationship": rule.relationship}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        _record("price_rule", rule.pk, actor, CatalogEvent.Kind.CHANGED, changes=changes)
    return rule


@transaction.atomic
def price_rule_delete(*, actor: User, rule: PriceRule) -> None:
    """Delete a rule; the rest are renumbered 1..n in their order."""
    _record("price_rule", rule.pk, actor, CatalogEvent.Kind.DELETED, price_list=rule.price_list_id)
    rule.delete()
    _renumber(list(PriceRule.objects.order_by("position", "pk")))


def _renumber(rules: list[PriceRule]) -> None:
    for number, rule in enumerate(rules, start=1):
        if rule.position != number:
            rule.position = number
            rule.save(update_fields=["position"])


@transaction.atomic
def price_rules_reorder(*, actor: User, ordered_ids: list[int]) -> list[PriceRule]:
    """Number the rules 1..n in the given order; the list must name every rule once."""
    rules = {r.pk: r for r in PriceRule.objects.select_for_update()}
    if sorted(ordered_ids) != sorted(rules):
        raise ValidationError({"order": _("The order must list every price rule exactly once.")})
    ordered = [rules[pk] for pk in ordered_ids]
    _renumber(ordered)
    _record("price_rule", "*", actor, CatalogEvent.Kind.RULES_REORDERED, order=ordered_ids)
    return ordered


@transaction.atomic
def price_rule_move(*, actor: User, rule: PriceRule, direction: str) -> list[PriceRule]:
    """Move the rule one place up (tried earlier) or down."""
    ids = list(PriceRule.objects.order_by("position", "pk").values_list("pk", flat=True))
    index = ids.index(rule.pk)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(ids):
        raise ValidationError({"direction": _("The rule cannot move further that way.")})
    ids[index], ids[target] = ids[target], ids[index]
    return price_rules_reorder(actor=actor, ordered_ids=ids)


# Currencies and exchange rates

CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


@transaction.atomic
def currency_add(*, actor: User, code: str, name: str, symbol: str = "") -> Currency:
    """Add a currency by its ISO 4217 code; rates for it are entered or imported afterwards."""
    code = code.strip().upper()
    if not CURRENCY_CODE.match(code):
        raise ValidationError({"code": _("Enter a three-letter ISO 4217 code, e.g. USD.")})
    if Currency.objects.filter(code=code).exists():
        raise ValidationError({"code": _("Currency %(code)s already exists.") % {"code": code}})
    currency = Currency(code=code, name=name.strip(), symbol=symbol.strip(), is_base=False)
    currency.full_clean()
    currency.save(force_insert=True)
    _record("currency", code, actor, CatalogEvent.Kind.CREATED, name=currency.name)
    return currency


def _check_rate_currency(currency: Currency) -> None:
    if currency.is_base:
        raise ValidationError(
            {"currency": _("%(code)s is the base currency: its rate is always 1.") % {"code": currency.code}}
        )


@transaction.atomic
def exchange_rate_set(*, actor: User, currency: Currency, on_date: date, rate: Decimal) -> ExchangeRate:
    """Enter the rate of `currency` on a date (base-currency units per one unit); replaces that day's rate."""
    _check_rate_currency(currency)
    if not rate.is_finite() or rate <= 0:
        raise ValidationError({"rate": _("The rate must be a positive number.")})
    if rate != rate.quantize(Decimal("0.000001")):
        raise ValidationError({"rate": _("A rate has at most six digits after the decimal point.")})
    if rate >= Decimal("1e12"):
        raise ValidationError({"rate": _("The rate is too large.")})
    existing = ExchangeRate.objects.filter(currency=currency, on_date=on_date).first()
    previous = str(existing.rate) if existing else None
    rate_row, _created = ExchangeRate.objects.update_or_create(
        currency=currency, on_date=on_date, defaults={"rate": rate, "created_by": actor}
    )
    _record(
        "exchange_rate",
        currency.code,
        actor,
        CatalogEvent.Kind.CHANGED if existing else CatalogEvent.Kind.CREATED,
        on_date=on_date.isoformat(),
        rate=str(rate),
        previous=previous,
    )
    return rate_row


@dataclass(frozen=True)
class RatesImport:
    """The outcome of a CSV import: how many rates were written, or the rows that stopped it."""

    imported: int
    errors: list[RowError]


@transaction.atomic
def exchange_rates_import(*, actor: User, content: bytes) -> RatesImport:
    """Import rates from CSV (date;currency;rate[;nominal]); any bad row stops the whole file."""
    currencies = {c.code: c for c in Currency.objects.all()}
    rows, errors = parse_rates_csv(content, currencies)
    if errors:
        return RatesImport(imported=0, errors=errors)
    _write_rates(actor, rows, currencies)
    _record("exchange_rate", "*", actor, CatalogEvent.Kind.RATES_IMPORTED, rows=len(rows))
    return RatesImport(imported=len(rows), errors=[])


def _write_rates(actor: User, rows: list[RateRow], currencies: Mapping[str, Currency]) -> None:
    existing = {
        (r.currency_id, r.on_date): r
        for r in ExchangeRate.objects.filter(
            currency_id__in={row.currency for row in rows}, on_date__in={row.on_date for row in rows}
        )
    }
    new, changed = [], []
    for row in rows:
        found = existing.get((row.currency, row.on_date))
        if found is None:
            new.append(
                ExchangeRate(currency=currencies[row.currency], on_date=row.on_date, rate=row.rate, created_by=actor)
            )
        elif found.rate != row.rate:
            found.rate, found.created_by = row.rate, actor
            changed.append(found)
    ExchangeRate.objects.bulk_create(new, batch_size=1000)
    ExchangeRate.objects.bulk_update(changed, ["rate", "created_by"], batch_size=1000)
