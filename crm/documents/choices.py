from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TemplateFormat(models.TextChoices):
    DOCX = "docx", _("DOCX (Word)")
    HTML = "html", _("HTML for PDF")


class OutputFormat(models.TextChoices):
    DOCX = "docx", "DOCX"
    PDF = "pdf", "PDF"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("contract", "draft")
    ACTIVE = "active", pgettext_lazy("contract", "active")
    EXPIRED = "expired", pgettext_lazy("contract", "expired")
    TERMINATED = "terminated", pgettext_lazy("contract", "terminated")


class Decision(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval", "pending")
    APPROVED = "approved", pgettext_lazy("approval", "approved")
    REJECTED = "rejected", pgettext_lazy("approval", "rejected")


class RouteStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", pgettext_lazy("approval", "in progress")
    APPROVED = "approved", pgettext_lazy("approval", "approved")
    REJECTED = "rejected", pgettext_lazy("approval", "rejected")


class ReminderState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("reminder", "pending")
    SENT = "sent", pgettext_lazy("reminder", "sent")
    CANCELLED = "cancelled", pgettext_lazy("reminder", "cancelled")
