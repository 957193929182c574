"""The request type views receive after `login_required`: a signed-in CRM user and htmx details."""

from rest_framework.request import Request

from crm.accounts.models import User
from crm.core.views import HtmxHttpRequest
from crm.core.views import is_htmx_fragment as is_htmx_fragment  # the apps' views import it from here


class AuthedHttpRequest(HtmxHttpRequest):
    user: User


def api_user(request: Request) -> User:
    """The signed-in CRM user of an API request (the API's permission classes require one)."""
    assert isinstance(request.user, User)
    return request.user
