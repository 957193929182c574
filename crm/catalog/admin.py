from django.contrib import admin

from crm.catalog.models import CatalogEvent, Currency, ExchangeRate, PriceList, PriceRule, Product, ProductGroup


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = ["sku", "name", "kind", "group", "vat_rate", "cost", "cost_currency", "is_active", "is_deleted"]
    search_fields = ["sku", "name"]
    list_filter = ["kind", "is_active", "is_deleted"]


@admin.register(ProductGroup)
class ProductGroupAdmin(admin.ModelAdmin[ProductGroup]):
    list_display = ["name", "parent", "path"]
    readonly_fields = ["path", "depth"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin[PriceList]):
    list_display = ["name", "currency", "vat_included", "valid_from", "valid_to", "is_active"]


@admin.register(PriceRule)
class PriceRuleAdmin(admin.ModelAdmin[PriceRule]):
    list_display = ["position", "price_list", "node", "relationship"]


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin[Currency]):
    list_display = ["code", "name", "symbol", "is_base"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin[ExchangeRate]):
    list_display = ["currency", "on_date", "rate"]
    list_filter = ["currency"]


@admin.register(CatalogEvent)
class CatalogEventAdmin(admin.ModelAdmin[CatalogEvent]):
    list_display = ["at", "entity", "entity_id", "kind", "actor"]
    list_filter = ["entity", "kind"]
