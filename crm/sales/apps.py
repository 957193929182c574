from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "crm.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from crm.core.defaults import restore_shipped_rows

        restore_shipped_rows(self, "Pipeline", "0002_shipped_pipelines", "create_defaults")
