"""Requests counted per client and minute in the cache: Redis (every web process together) when configured."""

import logging

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)


def over_limit(scope: str, who: str, per_minute: int) -> bool:
    """Count one more request of `who` in `scope` this minute; True once there were more than `per_minute`.

    If the cache server cannot be reached the request is served uncounted (and logged): a public form
    must not fail because its limiter does.
    """
    key = f"{scope}:{who}:{timezone.now():%Y%m%d%H%M}"
    try:
        cache.add(key, 0, timeout=90)
        return cache.incr(key) > per_minute
    except ValueError:  # expired between add and incr
        return False
    except Exception:
        logger.warning("Rate limit %s not counted: the cache is unreachable", scope, exc_info=True)
        return False
