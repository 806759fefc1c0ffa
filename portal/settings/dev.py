"""The embedded default for `make run`: SQLite, eager Celery, console email, payment sandbox."""

import os

os.environ.setdefault("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")

from portal.settings.base import *  # noqa: F403

DEBUG = True
PORTAL_ENVIRONMENT = "development"
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Delivery callbacks may go to a local receiver over http.
NOTIFICATIONS_CALLBACK_ALLOW_LOOPBACK_HTTP = True
