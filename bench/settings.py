"""Production settings for benchmarks on loopback: no HTTPS redirect, no rate limits (they would
cap a load test at a few requests per minute), everything else as in production."""

import os

from portal.settings.prod import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
ACCOUNT_RATE_LIMITS = False
IDP_OIDC_RATE_LIMITS = False  # the provider's too (eid/oidc/ratelimits.py): one IP, one client

# bench/oidc_compare.sh with BENCH_HASHER=fast: a fast password hasher, only when the comparators get
# the equivalent (their demo passwords then hash as cheaply); production's PBKDF2 otherwise.
if os.environ.get("BENCH_HASHER") == "fast":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
