from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Direction(models.TextChoices):
    INCOMING = "in", _("incoming")
    OUTGOING = "out", _("outgoing")


class TaskKind(models.TextChoices):
    TASK = "task", pgettext_lazy("task kind", "task")
    CONTACT = "contact", _("planned contact")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class ReminderState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    CANCELLED = "cancelled", _("cancelled")


# Interaction types shipped with the product; their names are translated by code (S23, C1).
SHIPPED_TYPES = {
    "call": _("call"),
    "meeting": _("meeting"),
    "demo": _("demonstration"),
    "email": _("e-mail"),
    "letter": _("letter"),
    "fax": _("fax"),
    "sms": _("SMS"),
    "chat": _("chat"),
    "visit": _("visit"),
}
