"""The embedded default for `make run`: SQLite, eager Celery, console email, payment sandbox."""

import os

os.environ.setdefault("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")

from portal.settings.base import *  # noqa: F403

DEBUG = True
PORTAL_ENVIRONMENT = "development"
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Callbacks, webhooks, back-channel logout and jwks_uri may reach a local receiver over http.
OUTBOUND_ALLOW_LOOPBACK_HTTP = True
