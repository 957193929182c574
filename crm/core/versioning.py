"""Optimistic concurrency: the second of two saves of the same card is refused, not merged silently."""

from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.utils.translation import gettext as _

from crm.core.models import BusinessRecord


def bump_version(record: BusinessRecord, expected_version: int | None) -> None:
    """Raise unless the stored version is still `expected_version`, then increment it in the same UPDATE."""
    model: type[Model] = type(record)
    filters = {"pk": record.pk}
    if expected_version is not None:
        filters["version"] = expected_version
    updated = model._default_manager.filter(**filters).update(version=F("version") + 1)
    if not updated:
        raise ValidationError(
            _(
                "Someone else has changed this record since you opened it. Reload the page and apply your changes again."
            ),
            code="stale",
        )
    record.version = (expected_version or record.version) + 1
