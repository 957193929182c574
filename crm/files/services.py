"""Every write to attachments and sales materials; files reach storage only after every check has passed."""

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.activities.models import Interaction
from crm.files.access import Record
from crm.files.models import Attachment, FileEvent, SalesMaterial
from crm.files.validation import CheckedFile, check_upload
from crm.parties.models import Party, PartyEvent
from crm.parties.services import party_record_event
from crm.sales.models import Deal, DealEvent
from crm.sales.services import deal_record_event

MATERIAL_FIELDS = ("title", "category", "description", "language")


def _store(upload: File[bytes], checked: CheckedFile, folder: str) -> str:
    """Save the bytes under a random name (never the user's: no paths, no overwrites); returns the stored name."""
    name = f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{checked.extension}"
    upload.seek(0)
    return default_storage.save(name, upload)


def _owner(record: Record) -> dict[str, Any]:
    if isinstance(record, Party):
        return {"party": record}
    if isinstance(record, Deal):
        return {"deal": record}
    if isinstance(record, Interaction):
        return {"interaction": record}
    raise TypeError(record)


def _record_attached(actor: User, attachment: Attachment, kind: str) -> None:
    data = {"name": attachment.original_name, "size": attachment.size}
    if attachment.material_id is not None:
        data["material"] = attachment.material_id
    FileEvent.objects.create(attachment=attachment, actor=actor, kind=kind, data=data)
    # The client's timeline shows files of the client and of its interactions.
    party = attachment.party or (attachment.interaction.party if attachment.interaction else None)
    if party is not None:
        party_record_event(
            actor=actor, party=party, kind=PartyEvent.Kind.FILE_ATTACHED, value=attachment.original_name,
            data={"attachment": attachment.pk},
        )  # fmt: skip
    if attachment.deal is not None:
        deal_record_event(
            actor=actor, deal=attachment.deal, kind=DealEvent.Kind.FILE_ATTACHED,
            data={"attachment": attachment.pk, **data},
        )  # fmt: skip


@transaction.atomic
def attachment_upload(*, actor: User, record: Record, upload: File[bytes], name: str | None = None) -> Attachment:
    """Check the upload (size, type, content), store it under a random name and attach it to the record."""
    checked = check_upload(upload, name)
    stored = _store(upload, checked, "attachments")
    try:
        attachment = Attachment(
            **_owner(record), file=stored, original_name=checked.original_name, size=checked.size,
            content_type=checked.content_type, sha256=checked.sha256, uploaded_by=actor,
        )  # fmt: skip
        attachment.full_clean(exclude=["file"])
        attachment.save()
        _record_attached(actor, attachment, FileEvent.Kind.ATTACHED)
    except BaseException:
        # The row is not written, so the stored bytes would be an orphan nobody can reach.
        default_storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def attachments_from_library(*, actor: User, record: Record, materials: Iterable[SalesMaterial]) -> list[Attachment]:
    """Attach library materials to a client or a deal; each attachment shares the material's stored object.

    Stored objects are never overwritten or deleted (names are random, replacing a material's file stores a
    new object, removal goes to the trash), so sharing is safe and costs no copy in the bucket; the
    attachment keeps the name, size and checksum of what was attached even if the material changes later.
    """
    if isinstance(record, Interaction):
        raise ValidationError({"materials": _("Library materials are attached to a client or a deal.")})
    chosen = list(materials)
    if not chosen:
        raise ValidationError({"materials": _("Choose at least one material.")})
    attachments = []
    for material in chosen:
        if not material.is_active:
            raise ValidationError({"materials": _("%(title)s is no longer in the library.") % {"title": material}})
        attachment = Attachment.objects.create(
            **_owner(record), file=material.file.name, original_name=material.original_name, size=material.size,
            content_type=material.content_type, sha256=material.sha256, material=material, uploaded_by=actor,
        )  # fmt: skip
        _record_attached(actor, attachment, FileEvent.Kind.ATTACHED_FROM_LIBRARY)
        attachments.append(attachment)
    return attachments


@transaction.atomic
def attachment_delete(*, actor: User, attachment: Attachment) -> Attachment:
    """Move an attachment to the trash; the stored bytes stay so it can be restored."""
    attachment.is_deleted, attachment.deleted_at, attachment.deleted_by = True, timezone.now(), actor
    attachment.save(update_fields=["is_deleted", "deleted_at", "deleted_by"])
    FileEvent.objects.create(
        attachment=attachment, actor=actor, kind=FileEvent.Kind.DELETED, data={"name": attachment.original_name}
    )
    if attachment.deal is not None:
        deal_record_event(
            actor=actor, deal=attachment.deal, kind=DealEvent.Kind.FILE_REMOVED,
            data={"attachment": attachment.pk, "name": attachment.original_name},
        )  # fmt: skip
    return attachment


def _apply_checked(material: SalesMaterial, stored: str, checked: CheckedFile) -> None:
    material.file.name = stored
    material.original_name, material.size = checked.original_name, checked.size
    material.content_type, material.sha256 = checked.content_type, checked.sha256


@transaction.atomic
def material_create(
    *, actor: User, upload: File[bytes], title: str, category: str, description: str = "", language: str = ""
) -> SalesMaterial:
    """Add a brochure, presentation or price sheet to the library."""
    checked = check_upload(upload)
    material = SalesMaterial(
        title=title.strip(), category=category, description=description, language=language, uploaded_by=actor
    )
    material.full_clean(exclude=["file", "original_name", "size", "content_type", "sha256"])
    stored = _store(upload, checked, "materials")
    try:
        _apply_checked(material, stored, checked)
        material.save()
        FileEvent.objects.create(
            material=material, actor=actor, kind=FileEvent.Kind.MATERIAL_ADDED, data={"name": checked.original_name}
        )
    except BaseException:
        default_storage.delete(stored)
        raise
    return material


@transaction.atomic
def material_update(
    *,
    actor: User,
    material: SalesMaterial,
    data: dict[str, Any],
    upload: File[bytes] | None = None,
    is_active: bool | None = None,
) -> SalesMaterial:
    """Change a material's description or replace its file; attachments made earlier keep the old file."""
    changes = {f: [material.serializable_value(f), data[f]] for f in MATERIAL_FIELDS if f in data}
    for field in MATERIAL_FIELDS:
        if field in data:
            setattr(material, field, data[field])
    if is_active is not None and is_active != material.is_active:
        changes["is_active"] = [material.is_active, is_active]
        material.is_active = is_active
    material.full_clean(exclude=["file", "original_name", "size", "content_type", "sha256"])
    stored = ""
    if upload is not None:
        checked = check_upload(upload)
        stored = _store(upload, checked, "materials")
        changes["file"] = [material.original_name, checked.original_name]
        _apply_checked(material, stored, checked)
    try:
        material.save()
        changes = {field: pair for field, pair in changes.items() if pair[0] != pair[1]}
        if changes:
            FileEvent.objects.create(
                material=material, actor=actor, kind=FileEvent.Kind.MATERIAL_CHANGED, data={"changes": changes}
            )
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return material


@transaction.atomic
def material_deactivate(*, actor: User, material: SalesMaterial) -> SalesMaterial:
    """Take a material out of the library; files already attached from it stay with their records."""
    if material.is_active:
        material.is_active = False
        material.save(update_fields=["is_active", "updated_at"])
        FileEvent.objects.create(material=material, actor=actor, kind=FileEvent.Kind.MATERIAL_DEACTIVATED)
    return material
