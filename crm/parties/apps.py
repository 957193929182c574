from django.apps import AppConfig
from django.db.models.signals import m2m_changed
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "crm.parties"
    label = "parties"
    verbose_name = _("Clients")

    def ready(self) -> None:
        # The one signal of this app: a copy of Party.co_owners (co_owner_ids, an index column) follows every
        # write of the relation, whichever code path makes it. Other apps still call services, not signals.
        from crm.parties.models import Party
        from crm.parties.services import copy_co_owners

        m2m_changed.connect(copy_co_owners, sender=Party.co_owners.through, dispatch_uid="parties.copy_co_owners")
