"""Users, the teams (departments) they belong to, and the roles they hold."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel


class Team(TimeStampedModel):
    """A department of managers under one head (team lead)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("head"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in; deactivated rather than deleted, so their records keep an owner."""

    team = models.ForeignKey(
        Team, models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("team")
    )
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="ru")
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
