"""Per-user language: the user's choice, else the language cookie, else Russian."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def activate_language_of(request: HttpRequest, user: Any) -> str:
    """Activate and return the language for this request: the user's, else the cookie's, else the default."""
    available = {code for code, _name in settings.LANGUAGES}
    if user is not None and user.is_authenticated and user.language in available:
        language = str(user.language)
    else:
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = cookie if cookie in available else settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        activate_language_of(request, getattr(request, "user", None))
        response = self.get_response(request)
        # An API token may have switched the language after this middleware ran (UserTokenAuthentication).
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
