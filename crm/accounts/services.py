"""Writes to users: language choice and API tokens."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from crm.accounts.models import User


def user_set_language(*, actor: User, language: str) -> User:
    if language not in dict(User._meta.get_field("language").choices or []):
        raise ValidationError({"language": _("Unknown language.")})
    actor.language = language
    actor.save(update_fields=["language"])
    return actor


@transaction.atomic
def user_rotate_token(*, actor: User) -> Token:
    """Revoke the user's API token, if any, and issue a new one."""
    Token.objects.filter(user=actor).delete()
    return Token.objects.create(user=actor)
