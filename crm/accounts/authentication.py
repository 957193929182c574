"""API authentication that also speaks the signed-in user's language.

UserLanguageMiddleware runs before DRF authenticates a token, so it only knows the cookie; once the
token names the user, their own language wins, as it does for a signed-in page.
"""

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from crm.accounts.middleware import activate_language_of


class UserTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is not None:
            activate_language_of(request._request, found[0])
        return found
