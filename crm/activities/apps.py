from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "crm.activities"
    label = "activities"
    verbose_name = _("Interactions and tasks")

    def ready(self) -> None:
        from crm.core.defaults import restore_shipped_rows

        restore_shipped_rows(self, "InteractionType", "0002_shipped_interaction_types", "forward")
