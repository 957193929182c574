from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from crm.accounts.models import User
from crm.accounts.services import user_rotate_token, user_set_language


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: stored on the user, or in a cookie before sign-in."""
    language = request.POST.get("language", "")
    target = request.META.get("HTTP_REFERER", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        try:
            user_set_language(actor=request.user, language=language)
        except ValidationError:
            return response
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
def token_view(request: HttpRequest) -> HttpResponse:
    """Show the user's API token and let them revoke and reissue it."""
    assert isinstance(request.user, User)
    token: Token | None = (
        user_rotate_token(actor=request.user)
        if request.method == "POST"
        else Token.objects.filter(user=request.user).first()
    )
    return render(request, "accounts/token.html", {"token": token})
