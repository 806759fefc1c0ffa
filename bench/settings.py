"""Production settings for benchmarks on loopback: no HTTPS redirect, no rate limits (they would
cap a load test at a few requests per minute), everything else as in production."""

from portal.settings.prod import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
ACCOUNT_RATE_LIMITS = False
