"""Files attached to clients, deals and interactions, and the library of sales materials (S17)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.files import choices


class StoredFile(models.Model):
    """The stored object and what was checked about it; the name in storage is random, never the user's."""

    file = models.FileField(_("file"), max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    content_type = models.CharField(_("content type"), max_length=127)
    sha256 = models.CharField(max_length=64, editable=False)

    class Meta:
        abstract = True


class SalesMaterial(StoredFile):
    """A brochure, presentation or price sheet that managers attach to clients and deals."""

    title = models.CharField(_("title"), max_length=300)
    category = models.CharField(_("category"), max_length=16, choices=choices.MaterialCategory.choices)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sales material")
        verbose_name_plural = _("sales materials")
        ordering = ["category", "title", "pk"]
        permissions = [("manage_sales_materials", _("Can manage the library of sales materials"))]
        indexes = [models.Index(fields=["is_active", "category", "title"], name="material_library")]

    def __str__(self) -> str:
        return self.title


class Attachment(StoredFile):
    """A file attached to exactly one client, deal or interaction; removing it moves it to the trash."""

    party = models.ForeignKey(
        "parties.Party", models.PROTECT, null=True, blank=True, related_name="attachments", verbose_name=_("client")
    )
    deal = models.ForeignKey(
        "sales.Deal", models.PROTECT, null=True, blank=True, related_name="attachments", verbose_name=_("deal")
    )
    interaction = models.ForeignKey(
        "activities.Interaction",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("interaction"),
    )
    # Picked from the library: the attachment shares the material's stored object (see services).
    material = models.ForeignKey(
        SalesMaterial,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("from the library"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    is_deleted = models.BooleanField(_("in trash"), default=False, editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(party__isnull=False, deal__isnull=True, interaction__isnull=True)
                    | Q(party__isnull=True, deal__isnull=False, interaction__isnull=True)
                    | Q(party__isnull=True, deal__isnull=True, interaction__isnull=False)
                ),
                name="files_attachment_exactly_one_owner",
            )
        ]
        indexes = [
            models.Index(fields=["party", "is_deleted", "-uploaded_at"], name="attachment_party"),
            models.Index(fields=["deal", "is_deleted", "-uploaded_at"], name="attachment_deal"),
            models.Index(fields=["interaction", "is_deleted", "-uploaded_at"], name="attachment_interaction"),
        ]

    def __str__(self) -> str:
        return self.original_name


class FileEvent(models.Model):
    """One line of the files' audit trail: who attached, removed or changed what; never edited."""

    class Kind(models.TextChoices):
        ATTACHED = "attached", _("file attached")
        ATTACHED_FROM_LIBRARY = "attached_from_library", _("attached from the library")
        DELETED = "deleted", _("moved to trash")
        MATERIAL_ADDED = "material_added", _("material added")
        MATERIAL_CHANGED = "material_changed", _("material changed")
        MATERIAL_DEACTIVATED = "material_deactivated", _("material deactivated")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    attachment = models.ForeignKey(Attachment, models.CASCADE, null=True, blank=True, related_name="events")
    material = models.ForeignKey(SalesMaterial, models.CASCADE, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["attachment", "-at"], name="file_event_attachment")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"
