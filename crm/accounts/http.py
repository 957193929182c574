"""The request type views receive after `login_required`: a signed-in CRM user and htmx details."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from crm.accounts.models import User


class AuthedHttpRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def is_htmx_fragment(request: AuthedHttpRequest) -> bool:
    """An htmx request that wants a fragment, not a boosted full page (netbox's rule)."""
    return bool(request.htmx) and not request.htmx.boosted


def api_user(request: Request) -> User:
    """The signed-in CRM user of an API request (the API's permission classes require one)."""
    assert isinstance(request.user, User)
    return request.user
