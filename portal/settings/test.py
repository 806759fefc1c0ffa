"""Settings for the test suite: the same code as production with fast hashing and a local outbox."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-insecure-key")

from portal.settings.base import *  # noqa: F403

PORTAL_ENVIRONMENT = "test"
# Tests hash many passwords; PBKDF2's cost is measured in bench/, not paid in every test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Outbound tests (callbacks, webhooks, back-channel logout, jwks_uri) reach an http.server on 127.0.0.1.
OUTBOUND_ALLOW_LOOPBACK_HTTP = True
