"""Who may see, attach and remove files: a file follows the record it is attached to; the library is open to all."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crm.accounts.models import User
from crm.activities.access import can_change_interaction, can_log_interaction, get_interaction_for
from crm.activities.models import Interaction
from crm.files.models import Attachment, SalesMaterial
from crm.parties.access import can_change_party, get_party_for
from crm.parties.models import Party
from crm.sales.access import can_change_deal, get_deal_for
from crm.sales.models import Deal

Action = Literal["view", "change"]
Record = Party | Deal | Interaction


def can_attach_to_party(user: User, party: Party) -> bool:
    """Whoever changes the client, or logs contacts with it (an operator on a call), attaches files to it."""
    return can_change_party(user, party) or can_log_interaction(user, party)


def can_attach_to_deal(user: User, deal: Deal) -> bool:
    return can_change_deal(user, deal)


def can_attach_to_interaction(user: User, interaction: Interaction) -> bool:
    """The interaction's author (or `change_any_activity`), or whoever logs contacts with its client."""
    return can_change_interaction(user, interaction) or can_log_interaction(user, interaction.party)


def can_attach_to(user: User, record: Record) -> bool:
    """Uploading to a record and moving its files to the trash need the same right."""
    if isinstance(record, Party):
        return can_attach_to_party(user, record)
    if isinstance(record, Deal):
        return can_attach_to_deal(user, record)
    return can_attach_to_interaction(user, record)


def record_of(user: User, attachment: Attachment) -> Record:
    """The record the attachment hangs on, through that record's own access rule (404 when hidden)."""
    if attachment.party_id is not None:
        return get_party_for(user, attachment.party_id)
    if attachment.deal_id is not None:
        return get_deal_for(user, attachment.deal_id)
    assert attachment.interaction_id is not None  # the check constraint guarantees one owner
    return get_interaction_for(user, attachment.interaction_id)


def get_attachment_for(user: User, pk: int, *, action: Action = "view") -> Attachment:
    """A live attachment of a record the user sees (404 otherwise); `change` also needs the right to attach (403)."""
    attachment = get_object_or_404(Attachment.objects.filter(is_deleted=False).select_related("uploaded_by"), pk=pk)
    record = record_of(user, attachment)
    if action == "change" and not can_attach_to(user, record):
        raise PermissionDenied
    return attachment


def can_manage_materials(user: User) -> bool:
    return user.is_active and user.has_perm("files.manage_sales_materials")


def materials_visible_to(user: User) -> QuerySet[SalesMaterial]:
    """Every signed-in user browses the active materials; their managers also see the deactivated ones."""
    if not user.is_active:
        return SalesMaterial.objects.none()
    if can_manage_materials(user):
        return SalesMaterial.objects.all()
    return SalesMaterial.objects.filter(is_active=True)


def attachable_materials(user: User) -> QuerySet[SalesMaterial]:
    """What a user may pick from the library: the active materials."""
    return materials_visible_to(user).filter(is_active=True)


def get_material_for(user: User, pk: int, *, action: Action = "view") -> SalesMaterial:
    material = get_object_or_404(materials_visible_to(user), pk=pk)
    if action == "change" and not can_manage_materials(user):
        raise PermissionDenied
    return material


def require_material_manager(user: User) -> None:
    if not can_manage_materials(user):
        raise PermissionDenied
