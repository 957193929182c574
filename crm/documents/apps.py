from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "crm.documents"
    label = "documents"
    verbose_name = _("Documents and contracts")

    def ready(self) -> None:
        from crm.core.defaults import restore_shipped_rows

        restore_shipped_rows(self, "DocumentTemplate", "0002_default_templates", "add_default_templates")
