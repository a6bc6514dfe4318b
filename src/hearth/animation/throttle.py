"""A per-address limit on the public forms (contest entry, event registration): no account
protects them, so a script could otherwise fill a contest or an event in seconds.

Counted in Django's cache (per process with the default local-memory cache; shared with Redis).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def allow(request: HttpRequest, scope: str) -> bool:
    """Count one public POST of this address; False once it went over the limit this hour."""
    limit = settings.HEARTH_PUBLIC_FORM_LIMIT
    if limit <= 0:
        return True
    key = f"animation:throttle:{scope}:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= limit
