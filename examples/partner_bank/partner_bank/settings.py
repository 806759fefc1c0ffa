"""Settings of Harbour Bank, the example partner: everything from the environment, no database.

EID_ISSUER            the portal's issuer (its SITE_URL), e.g. http://127.0.0.1:8000
PARTNER_CLIENT_ID     the client id `oidc_client create` printed
PARTNER_JWKS_PRIVATE  the bank's private JWK Set (`python manage.py partner_keys` writes it)
PARTNER_BASE_URL      where this app is reached, e.g. http://127.0.0.1:8100
PARTNER_SCOPES        the scopes asked for (default "openid profile eid.assurance")
PARTNER_ACR_VALUES    the assurance level asked for (default: the portal's "substantial")
PARTNER_SECRET_KEY    Django's signing key for the session cookie (set it outside a demo)
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

EID_ISSUER = os.environ.get("EID_ISSUER", "http://127.0.0.1:8000").rstrip("/")
PARTNER_CLIENT_ID = os.environ.get("PARTNER_CLIENT_ID", "")
PARTNER_JWKS_PRIVATE = os.environ.get("PARTNER_JWKS_PRIVATE", str(BASE_DIR / "var" / "private.json"))
PARTNER_BASE_URL = os.environ.get("PARTNER_BASE_URL", "http://127.0.0.1:8100").rstrip("/")
PARTNER_SCOPES = os.environ.get("PARTNER_SCOPES", "openid profile eid.assurance")
PARTNER_ACR_VALUES = os.environ.get("PARTNER_ACR_VALUES", "urn:eid:hk:loa:substantial")

SECRET_KEY = os.environ.get("PARTNER_SECRET_KEY", "harbour-bank-demo-only-not-a-secret")
DEBUG = os.environ.get("PARTNER_DEBUG", "") == "1"
ALLOWED_HOSTS = [urlsplit(PARTNER_BASE_URL).hostname or "127.0.0.1", "127.0.0.1", "localhost"]

INSTALLED_APPS = ["partner_bank"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "partner_bank.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# No database: the login state and the verified claims live in a signed (not encrypted) cookie.
DATABASES: dict = {}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_AGE = 30 * 60
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PARTNER_BASE_URL.startswith("https://")
# Cookies are not kept apart by port: on 127.0.0.1 the portal's `sessionid` would be overwritten.
SESSION_COOKIE_NAME = "harbour_bank_session"
CSRF_COOKIE_NAME = "harbour_bank_csrf"
# The callback is a top-level GET from the portal: Lax cookies are sent with it, Strict would not be.
SESSION_COOKIE_SAMESITE = "Lax"

# Discovery, the portal's keys, DPoP nonces and back-channel logouts. One process (runserver) here;
# several workers would share a cache (e.g. Redis) so a back-channel logout reaches them all.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

USE_TZ = True
TIME_ZONE = "Asia/Hong_Kong"
LANGUAGE_CODE = "en"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"partner_bank": {"handlers": ["console"], "level": "INFO"}},
}
