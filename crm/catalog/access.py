"""Who may see and change the catalog: every signed-in user sees products, prices and rates; managers change them."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crm.accounts.models import User
from crm.catalog.models import (
    Currency,
    ExchangeRate,
    PriceList,
    PriceListItem,
    PriceRule,
    Product,
    ProductGroup,
)

Action = Literal["view", "change"]


def can_manage_catalog(user: User) -> bool:
    """Products, groups, price lists, rules, currencies and rates are changed by holders of `manage_catalog`."""
    return user.is_active and user.has_perm("catalog.manage_catalog")


def require_catalog_manager(user: User) -> None:
    """Refuse (403) a write by someone who may only look at the catalog."""
    if not can_manage_catalog(user):
        raise PermissionDenied


def products_visible_to(user: User) -> QuerySet[Product]:
    """Products and services not in the trash; the catalog is shared by the whole company."""
    if not user.is_active:
        return Product.objects.none()
    return Product.objects.filter(is_deleted=False)


def products_in_trash_for(user: User) -> QuerySet[Product]:
    """Deleted products, for those who may restore them."""
    if not can_manage_catalog(user):
        return Product.objects.none()
    return Product.objects.filter(is_deleted=True)


def get_product_for(user: User, pk: int, *, action: Action = "view") -> Product:
    """The live product (404 if missing or in the trash), and 403 for a change by a non-manager."""
    product = get_object_or_404(products_visible_to(user).select_related("group", "cost_currency"), pk=pk)
    if action == "change":
        require_catalog_manager(user)
    return product


def get_trashed_product_for(user: User, pk: int) -> Product:
    """A product in the trash, for restoring: 403 for non-managers, 404 if it is not there."""
    require_catalog_manager(user)
    return get_object_or_404(products_in_trash_for(user), pk=pk)


def product_groups_visible_to(user: User) -> QuerySet[ProductGroup]:
    """The whole group tree in path order."""
    return ProductGroup.objects.all() if user.is_active else ProductGroup.objects.none()


def get_product_group_for(user: User, pk: int, *, action: Action = "view") -> ProductGroup:
    """The group (404 if missing), and 403 for a change by a non-manager."""
    group = get_object_or_404(product_groups_visible_to(user), pk=pk)
    if action == "change":
        require_catalog_manager(user)
    return group


def price_lists_visible_to(user: User) -> QuerySet[PriceList]:
    """Every price list, active or not: managers quote from them and need to see why one is off."""
    return PriceList.objects.all() if user.is_active else PriceList.objects.none()


def get_price_list_for(user: User, pk: int, *, action: Action = "view") -> PriceList:
    """The price list (404 if missing), and 403 for a change by a non-manager."""
    price_list = get_object_or_404(price_lists_visible_to(user).select_related("currency"), pk=pk)
    if action == "change":
        require_catalog_manager(user)
    return price_list


def price_list_items_visible_to(user: User) -> QuerySet[PriceListItem]:
    """Every price of every price list."""
    return PriceListItem.objects.all() if user.is_active else PriceListItem.objects.none()


def price_rules_visible_to(user: User) -> QuerySet[PriceRule]:
    """Every price rule: managers see why a client gets the price it gets."""
    return PriceRule.objects.all() if user.is_active else PriceRule.objects.none()


def get_price_rule_for(user: User, pk: int, *, action: Action = "view") -> PriceRule:
    """The rule (404 if missing), and 403 for a change by a non-manager."""
    rule = get_object_or_404(price_rules_visible_to(user).select_related("price_list", "node"), pk=pk)
    if action == "change":
        require_catalog_manager(user)
    return rule


def currencies_visible_to(user: User) -> QuerySet[Currency]:
    """Every currency, the base one first."""
    return Currency.objects.all() if user.is_active else Currency.objects.none()


def exchange_rates_visible_to(user: User) -> QuerySet[ExchangeRate]:
    """Every dated rate."""
    return ExchangeRate.objects.all() if user.is_active else ExchangeRate.objects.none()
