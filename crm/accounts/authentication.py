"""API token authentication: one query for the token's user, answers in that user's language.

DRF's TokenAuthentication loads the token with its user through the ORM; this is the hot path of every
API request, so the user is read with one hand-written query instead. UserLanguageMiddleware runs before
DRF authenticates a token, so it only knows the cookie; once the token names the user, their own language
wins, as it does for a signed-in page.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from crm.accounts.middleware import activate_language_of
from crm.accounts.models import User
from crm.core.db import fetch_rows, models_from_rows


class UserTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is not None:
            activate_language_of(request._request, found[0])
        return found

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        columns = [field.attname for field in User._meta.concrete_fields]
        sql = (
            f"SELECT {', '.join('u.' + c for c in columns)} FROM {User._meta.db_table} u "
            f"JOIN {Token._meta.db_table} t ON t.user_id = u.id WHERE t.key = %s"
        )
        users = models_from_rows(User, columns, fetch_rows(sql, [key], prepare=True))
        if not users:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = users[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
