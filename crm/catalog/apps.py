from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "crm.catalog"
    label = "catalog"
    verbose_name = _("Products and prices")

    def ready(self) -> None:
        from crm.core.defaults import restore_shipped_rows

        restore_shipped_rows(self, "Currency", "0002_currencies", "create_currencies")
