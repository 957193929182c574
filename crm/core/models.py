"""Abstract bases shared by the domain apps; no domain models live here."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds creation and last-change times."""

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class BusinessRecord(TimeStampedModel):
    """A record users edit together: optimistic version, trash instead of delete."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_deleted = models.BooleanField(_("in trash"), default=False, db_index=True, editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        abstract = True


def field_value_for_history(value: Any) -> Any:
    """A JSON-safe representation of a field value for change events."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
