"""Every write to pipelines, stages, deals and their lines (style guide section 7)."""

from typing import Any

from django.db import transaction

from crm.accounts.models import User
from crm.sales.models import Deal, DealEvent


@transaction.atomic
def deal_record_event(*, actor: User | None, deal: Deal, kind: str, data: dict[str, Any]) -> DealEvent:
    """Write one line of the deal's history; higher apps (documents, files) call this for what they did to a deal."""
    if kind not in DealEvent.Kind.values:
        raise ValueError(f"unknown deal event kind {kind!r}")
    return DealEvent.objects.create(deal=deal, actor=actor, kind=kind, data=data)
