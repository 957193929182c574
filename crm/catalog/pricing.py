"""Which price a client gets for a product on a date, and why (S10).

Price rules are tried in `position` order. A rule fits a client when its classifier node (if any) holds
the client directly or through a descendant node, and its relationship (if any) equals the client's.
The first fitting rule whose price list is active, valid on the date and prices the product wins; the
others fitting are the fallback chain. Three queries per call whatever the number of rules.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.catalog.models import PriceList, PriceListItem, PriceRule, Product
from crm.catalog.money import round_money
from crm.parties.models import Party, PartyClassification

NO_PRICE_EXPLANATION = gettext_lazy(
    "No rule fits this client with a price list that is valid on the date and has this product."
)


@dataclass(frozen=True)
class PriceQuote:
    """A price with its currency and the price list and rule that gave it, in words too."""

    price: Decimal
    currency: str
    vat_included: bool
    price_list: PriceList
    rule: PriceRule | None
    explanation: str


def price_list_is_valid_on(price_list: PriceList, on_date: date) -> bool:
    """Whether the price list is active and its validity period covers the date."""
    return (
        price_list.is_active
        and (price_list.valid_from is None or price_list.valid_from <= on_date)
        and (price_list.valid_to is None or on_date <= price_list.valid_to)
    )


def _party_node_paths(party: Party) -> list[str]:
    return list(PartyClassification.objects.filter(party=party).values_list("node__path", flat=True))


def rule_fits(rule: PriceRule, party: Party, node_paths: list[str]) -> bool:
    """Whether the rule's conditions hold for the party (`node_paths`: paths of the nodes it sits in)."""
    if rule.relationship and rule.relationship != party.relationship:
        return False
    if rule.node_id is None:
        return True
    assert rule.node is not None
    # A descendant's path starts with its ancestor's ("3/17/" is above "3/17/42/").
    return any(path.startswith(rule.node.path) for path in node_paths)


def _fitting_rules(party: Party, on_date: date) -> list[PriceRule]:
    node_paths = _party_node_paths(party)
    rules = PriceRule.objects.select_related("price_list__currency", "node").order_by("position", "pk")
    return [
        rule
        for rule in rules
        if rule_fits(rule, party, node_paths) and price_list_is_valid_on(rule.price_list, on_date)
    ]


def price_chain_for(party: Party, on_date: date) -> list[tuple[PriceList, PriceRule]]:
    """The price lists the party's fitting rules point to, valid on the date, in the order they are tried."""
    chain: list[tuple[PriceList, PriceRule]] = []
    seen: set[int] = set()
    for rule in _fitting_rules(party, on_date):
        if rule.price_list_id not in seen:
            seen.add(rule.price_list_id)
            chain.append((rule.price_list, rule))
    return chain


def describe_rule(rule: PriceRule) -> str:
    """The rule's condition in words: «client in «Dealers»», «relationship: partner», or «any client»."""
    parts: list[str] = []
    if rule.node is not None:
        parts.append(_("client in «%(node)s»") % {"node": rule.node.name})
    if rule.relationship:
        parts.append(_("relationship: %(relationship)s") % {"relationship": rule.relationship_label})
    if not parts:
        return _("any client")
    return ", ".join(parts)


def explain(rule: PriceRule, *, skipped: list[PriceRule]) -> str:
    """The sentence shown beside a price: which price list and rule gave it, and what was passed over."""
    text = _("Price list «%(price_list)s», rule %(position)s: %(condition)s.") % {
        "price_list": rule.price_list.name,
        "position": rule.position,
        "condition": describe_rule(rule),
    }
    if skipped:
        text += " " + _("Fallback: the product is not in «%(price_lists)s».") % {
            "price_lists": "», «".join(r.price_list.name for r in skipped)
        }
    return text


def resolve_price(*, party: Party, product: Product, on_date: date) -> PriceQuote | None:
    """The price the party gets for the product on the date, or None when no fitting price list has it."""
    chain = price_chain_for(party, on_date)
    if not chain:
        return None
    prices = dict(
        PriceListItem.objects.filter(product=product, price_list_id__in=[pl.pk for pl, _rule in chain]).values_list(
            "price_list_id", "price"
        )
    )
    skipped: list[PriceRule] = []
    for price_list, rule in chain:
        if price_list.pk in prices:
            return PriceQuote(
                # SQLite hands back 900 for 900.00; callers compare and print kopecks.
                price=round_money(prices[price_list.pk]),
                currency=price_list.currency_id,
                vat_included=price_list.vat_included,
                price_list=price_list,
                rule=rule,
                explanation=explain(rule, skipped=skipped),
            )
        skipped.append(rule)
    return None
