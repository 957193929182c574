"""Reads for the files fragments, the library pages and the API, built on files.access."""

from django.db.models import Q, QuerySet

from crm.accounts.models import User
from crm.core.db import contains_casefold
from crm.files.access import Record, materials_visible_to
from crm.files.models import Attachment, SalesMaterial
from crm.parties.models import Party
from crm.sales.models import Deal


def attachments_of(record: Record) -> QuerySet[Attachment]:
    """Live files of a record the caller has already authorised through its access module, newest first."""
    if isinstance(record, Party):
        owner = Q(party=record)
    elif isinstance(record, Deal):
        owner = Q(deal=record)
    else:
        owner = Q(interaction=record)
    return (
        Attachment.objects.filter(owner, is_deleted=False)
        .select_related("uploaded_by", "material")
        .order_by("-uploaded_at", "-pk")
    )


def material_list_for(user: User, *, query: str = "", category: str = "") -> QuerySet[SalesMaterial]:
    """The library as the user may browse it, searched by title and description, narrowed to a category."""
    materials = materials_visible_to(user).select_related("uploaded_by")
    if query.strip():
        text = query.strip()
        materials = materials.filter(
            contains_casefold("title", None, text) | contains_casefold("description", None, text)
        )
    if category:
        materials = materials.filter(category=category)
    return materials.order_by("-is_active", "category", "title", "pk")
