from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybooksConfig(AppConfig):
    name = "crm.playbooks"
    label = "playbooks"
    verbose_name = _("Scripts for typical situations")

    def ready(self) -> None:
        from crm.core.defaults import restore_shipped_rows

        restore_shipped_rows(self, "Script", "0002_shipped_scripts", "create_scripts")
