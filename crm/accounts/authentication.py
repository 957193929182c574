"""API token authentication: one query for the token's user and their permissions, answers in their language.

DRF's TokenAuthentication loads the token with its user through the ORM; this is the hot path of every
API request, so the user is read with one hand-written query instead, along with the permissions and team
members the request asks for next (crm.accounts.backends). UserLanguageMiddleware runs before
DRF authenticates a token, so it only knows the cookie; once the token names the user, their own language
wins, as it does for a signed-in page.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from crm.accounts.backends import facts_sql, keep_access_facts
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
        """The token's user, with their permissions and team members (crm.accounts.backends) in the same query."""
        columns = [field.attname for field in User._meta.concrete_fields]
        nulls = ", ".join(["NULL"] * len(columns))
        sql = (
            f"WITH me AS (SELECT t.user_id AS id FROM {Token._meta.db_table} t WHERE t.key = %s) "
            f"SELECT 'u', {', '.join('u.' + c for c in columns)}, NULL, NULL, NULL FROM {User._meta.db_table} u "
            "WHERE u.id = (SELECT id FROM me) "
            f"UNION ALL SELECT f.kind, {nulls}, f.app_label, f.codename, f.member "
            f"FROM ({facts_sql(superuser=False, user_id='(SELECT id FROM me)')}) AS f"
        )
        rows = fetch_rows(sql, [key], prepare=True)
        width = len(columns)
        users = models_from_rows(User, columns, [row[1 : width + 1] for row in rows if row[0] == "u"])
        if not users:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = users[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if not user.is_superuser:  # a superuser holds every permission: read when asked (load_access_facts)
            keep_access_facts(user, [(row[0], *row[width + 1 :]) for row in rows if row[0] != "u"])
        return user, Token(key=key, user=user)
