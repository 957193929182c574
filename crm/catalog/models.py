"""Products and services, price lists, status-dependent price rules, currencies with dated rates (S10, X9)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.catalog import choices
from crm.core.models import BusinessRecord, TimeStampedModel
from crm.parties.choices import Relationship


class Currency(models.Model):
    """A currency by its ISO 4217 code; exactly one is the base that rates are quoted in."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    symbol = models.CharField(_("symbol"), max_length=8, blank=True)
    is_base = models.BooleanField(_("base currency"), default=False)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        ordering = ["-is_base", "code"]
        constraints = [models.UniqueConstraint(fields=["is_base"], condition=Q(is_base=True), name="catalog_one_base")]

    def __str__(self) -> str:
        return self.code


class ExchangeRate(models.Model):
    """How many units of the base currency one unit of `currency` cost on `on_date` (entered or imported)."""

    currency = models.ForeignKey(Currency, models.CASCADE, related_name="rates", verbose_name=_("currency"))
    on_date = models.DateField(_("date"))
    rate = models.DecimalField(
        _("rate"), max_digits=18, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))]
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-on_date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "on_date"], name="catalog_rate_unique_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="catalog_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency_id} {self.on_date}: {self.rate}"


class ProductGroup(TimeStampedModel):
    """A group of the catalog tree; `path` ("3/17/42/") finds all descendants with one range query."""

    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=200)
    path = models.CharField(max_length=1000, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="catalog_group_unique_name")]

    def __str__(self) -> str:
        return self.name


class Product(BusinessRecord):
    """A product or a service that deals sell."""

    kind = models.CharField(
        _("type"), max_length=16, choices=choices.ProductKind.choices, default=choices.ProductKind.PRODUCT
    )
    sku = models.CharField(_("article number"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=300, db_index=True)
    group = models.ForeignKey(
        ProductGroup, models.PROTECT, null=True, blank=True, related_name="products", verbose_name=_("group")
    )
    unit = models.CharField(_("unit"), max_length=16, default="шт")
    vat_rate = models.CharField(
        _("VAT rate"), max_length=4, choices=choices.VatRate.choices, default=choices.VatRate.TWENTY
    )
    cost = models.DecimalField(
        _("purchase cost"), max_digits=18, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    cost_currency = models.ForeignKey(Currency, models.PROTECT, related_name="+", verbose_name=_("cost currency"))
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        permissions = [("manage_catalog", _("Can manage products, price lists and currencies"))]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class PriceList(TimeStampedModel):
    """A named set of prices in one currency (retail, wholesale, dealer, VIP...), valid for a period."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    currency = models.ForeignKey(Currency, models.PROTECT, related_name="+", verbose_name=_("currency"))
    vat_included = models.BooleanField(_("prices include VAT"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="catalog_price_list_period",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    """The price of one product in one price list."""

    price_list = models.ForeignKey(PriceList, models.CASCADE, related_name="items", verbose_name=_("price list"))
    product = models.ForeignKey(Product, models.CASCADE, related_name="prices", verbose_name=_("product"))
    price = models.DecimalField(_("price"), max_digits=18, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="catalog_price_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}/{self.product_id}: {self.price}"


class PriceRule(TimeStampedModel):
    """Which price list a client of some status gets; rules are tried by `position`, the first that fits wins.

    A rule without a node and a relationship fits everyone: put it last as the fallback.
    """

    position = models.PositiveIntegerField(_("order"), default=0)
    price_list = models.ForeignKey(PriceList, models.CASCADE, related_name="rules", verbose_name=_("price list"))
    node = models.ForeignKey(
        "parties.ClassifierNode",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client in classifier node"),
    )
    relationship = models.CharField(_("client relationship"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"#{self.position} {self.price_list}"

    @property
    def relationship_label(self) -> str:
        """The relationship's display name ("" when the rule does not ask for one)."""
        if self.relationship in Relationship.values:
            return str(Relationship(self.relationship).label)
        return self.relationship


class CatalogEvent(models.Model):
    """One line of the catalog's history (a product, group, price list, rule, currency or rate changed)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("moved to the trash")
        RESTORED = "restored", _("restored")
        MOVED = "moved", _("moved")
        PRICE_SET = "price_set", _("price set")
        PRICE_REMOVED = "price_removed", _("price removed")
        RULES_REORDERED = "rules_reordered", _("rules reordered")
        RATES_IMPORTED = "rates_imported", _("rates imported")

    entity = models.CharField(max_length=32)
    entity_id = models.CharField(max_length=32)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("catalog event")
        verbose_name_plural = _("catalog events")
        indexes = [models.Index(fields=["entity", "entity_id", "at"], name="catalog_event_entity")]

    def __str__(self) -> str:
        return f"{self.entity} {self.entity_id} {self.kind}"
