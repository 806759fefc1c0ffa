"""Rate limits per department API key: a fixed one-minute window counted in the cache.

`cache.incr` is atomic on Redis (and on the local-memory cache), so concurrent requests on several
web processes share one count. A fixed window lets a key send up to twice its limit across a minute
boundary; GOV.UK Notify accepts the same trade for the same simplicity.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from services.notifications.models import ApiKey

WINDOW_SECONDS = 60


def limit_for(api_key: ApiKey) -> int:
    return api_key.rate_limit_per_minute or settings.NOTIFICATIONS_API_RATE_LIMIT


class ApiKeyRateThrottle(BaseThrottle):
    """At most `limit_for(key)` requests a minute per key; over it, a 429 with Retry-After."""

    def allow_request(self, request: Request, view: object) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"notifications:rate:{api_key.pk}:{window}"
        # add() is a no-op when the key exists, so the first request of a window starts it at 0.
        cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr(): this request starts the window
            cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return count <= limit_for(api_key)

    def wait(self) -> float:
        return self._wait
