"""Who is asking: the client's address, also behind load balancers and reverse proxies."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address.

    With CRM_PROXY_HOPS = N > 0 (N trusted proxies in front of the CRM, each appending to X-Forwarded-For),
    the address the outermost trusted proxy saw; otherwise REMOTE_ADDR. The header is never trusted
    further than N hops: a client may send any X-Forwarded-For it likes.
    """
    hops = getattr(settings, "CRM_PROXY_HOPS", 0)
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    forwarded = [part for part in forwarded if part]
    return forwarded[-hops] if len(forwarded) >= hops else remote
