"""Settings shared by every mode. Values that differ between machines come from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from portal.settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
# The public origin, e.g. https://eid.example.gov.hk: the OIDC issuer and every absolute link.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "eid",
    "eid.audit",
    "eid.pki",
    "payments",
    "services",
    "services.notifications",
    "services.eforms",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.idp.oidc",
    "eid.oidc",
    "rest_framework",
    "drf_spectacular",
    "django_celery_results",
    "django_celery_beat",
    "csp",
    # Last: its ready() rewires receivers of the apps above.
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.RequestBodyLimitMiddleware",
    "portal.middleware.SignedInNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "portal.middleware.ReferrerAndPermissionsPolicyMiddleware",
    "eid.oidc.dpop.NonceMiddleware",
    "eid.oidc.form_action.PendingAuthorizationFormActionMiddleware",
]
# The OIDC provider's machine endpoints (token, userinfo, discovery, JWKS…): portal/handlers.py.
MACHINE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.MachineEndpointMiddleware",
]

# The largest request body accepted, files included (portal.middleware.RequestBodyLimitMiddleware):
# an online form's page with five files at the 10 MB limit each.
REQUEST_BODY_MAX_BYTES = 50 * 1024 * 1024

ROOT_URLCONF = "portal.urls"
# Widgets render through templates/django/forms/widgets/ so inputs carry the USWDS classes.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer holds the lock (embedded mode only).
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "eid.User"
AUTHENTICATION_BACKENDS = [
    # Decides every password sign-in alone: a wrong password is hashed once (eid/backends.py).
    "eid.backends.PasswordBackend",
    # Never reached for a password; listed so that sessions begun through them stay valid (Django
    # keeps the backend's path in the session). Remove when those have expired (SESSION_COOKIE_AGE).
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Django's defaults, with its PBKDF2-SHA256 computed by `cryptography` (same hashes, half the CPU:
# eid/hashers.py). The others only verify legacy hashes and upgrade them at the next sign-in.
PASSWORD_HASHERS = [
    "eid.hashers.CryptographyPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "my_portal"

# allauth: email is the login; the accounts issue adds MFA and assurance on top.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "phone", "password1*", "password2*"]
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
SMS_BACKEND = env_str("SMS_BACKEND", "eid.sms.ConsoleSMSProvider")
# Twilio (SMS_BACKEND = "eid.sms_twilio.TwilioSMSProvider"): the account and sender, never in code.
TWILIO_API_BASE = env_str("TWILIO_API_BASE", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env_str("TWILIO_FROM", "")
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"
ACCOUNT_ADAPTER = "eid.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[eID] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# The resident is told by email (when, from which address and device) of every change to how they
# sign in: password set, changed or reset, email addresses, authenticator app, recovery codes, keys.
# A change they did not make is then noticed the same day, not at the next failed sign-in.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# A password-reset link lasts an hour (Django's default: three days in a mailbox).
PASSWORD_RESET_TIMEOUT = 60 * 60
# Adding, removing or making primary an email address, or changing the mobile number, needs the
# password (or a second factor) confirmed in the last ACCOUNT_REAUTHENTICATION_TIMEOUT seconds, as MFA
# changes always do (allauth's default: never). Otherwise a borrowed session adds its own address and
# resets the password through it.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Five failed sign-ins per account lock it for 15 minutes; the resident is told when to retry.
LOGIN_LOCKOUT_SECONDS = 15 * 60
# Per-IP rate limits (sign-in, the provider's endpoints) read the client address from X-Forwarded-For
# only through this many trusted proxies in front of the portal (0: the socket's address).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,5/{LOGIN_LOCKOUT_SECONDS}s/key",
    "login": "30/m/ip",
    "signup": "10/m/ip,50/h/ip",
    "reset_password": "10/m/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "reauthenticate": "10/m/user",
    # The form checks the current password: a signed-in session must not guess faster than the lock-out.
    "change_password": f"5/{LOGIN_LOCKOUT_SECONDS}s/user",
}

# MFA: TOTP with recovery codes, WebAuthn security keys and passkeys (also for passwordless sign-in).
MFA_ADAPTER = "eid.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "eID Portal"
MFA_TOTP_TOLERANCE = 1
MFA_WEBAUTHN_USER_VERIFICATION = "preferred"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = SITE_URL.startswith("http://")
# TOTP secrets are encrypted at rest with this key (Fernet); production sets its own.
MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY", SECRET_KEY)
# Dotted path of a function ip -> "place" for the device list and sign-in history; unset: no lookups.
EID_IP_LOCATOR = env_str("EID_IP_LOCATOR", "")
# Tracking activity would write to the database on every request; sessions are recorded at sign-in.
USERSESSIONS_TRACK_ACTIVITY = False

# OpenID Connect provider ("Login with eID"): allauth.idp.oidc extended by eid/oidc/.
IDP_OIDC_ADAPTER = "eid.oidc.adapter.EidOIDCAdapter"
# RSA key (PEM) that signs ID tokens; empty outside production → a dev key generated once in var/.
IDP_OIDC_PRIVATE_KEY = env_str("IDP_OIDC_PRIVATE_KEY", "")
# EC P-256 key (PEM) that signs ES256 ID tokens (FAPI clients); empty outside production → a dev key.
IDP_OIDC_EC_PRIVATE_KEY = env_str("IDP_OIDC_EC_PRIVATE_KEY", "")
IDP_OIDC_ACCESS_TOKEN_EXPIRES_IN = 10 * 60
# Refresh tokens rotate on each use (allauth's default) and live 30 days from their issue; a rotated
# one presented again revokes its family (eid/oidc/refresh_tokens.py).
IDP_OIDC_REFRESH_TOKEN_EXPIRES_IN = 30 * 24 * 60 * 60
# Rate limits on the provider's endpoints (eid/oidc/ratelimits.py; allauth's limiter, shared cache).
# A bank's backend calls from a few IPs for many residents: generous per client, and per IP only
# failed client authentications count (secret guessing). /authorize: see docs/decisions.md.
IDP_OIDC_RATE_LIMITS = {
    "client_auth_failed": "30/m/ip",
    "token_client": "3000/m/key",
    "par_client": "3000/m/key",
    "revoke_client": "3000/m/key",
    "introspect_client": "3000/m/key",
    # allauth's own per-IP limit counts every introspection; failed authentications are what matter.
    "introspect_ip": "",
    "authorize_ip": "300/m/ip",
    "authorize_user": "60/m/user",
    "userinfo_token": "600/m/key",
}
# Keys of the pairwise `sub` HMAC and of the client-secret hash (separate from SECRET_KEY in
# production: rotating SECRET_KEY must not change every resident's `sub` or void every secret).
OIDC_PAIRWISE_KEY = env_str("OIDC_PAIRWISE_KEY", SECRET_KEY)
OIDC_CLIENT_SECRET_KEY = env_str("OIDC_CLIENT_SECRET_KEY", SECRET_KEY)

# Internationalisation: English, Traditional and Simplified Chinese, always prefixed in the URL.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("zh-hant", "繁體中文"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Hong_Kong"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# Bounded request bodies: oversized input becomes a 400, never a memory problem.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500

# Caches back rate limits; production points CACHE_URL at Redis so every worker shares them.
CACHE_URL = env_str("CACHE_URL", "locmem://")
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker configured, tasks run eagerly in process (the embedded default).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Notifications: requests per minute per department API key (a key may have its own limit), and
# delivery callbacks: https only, except loopback http where allowed (dev and tests).
NOTIFICATIONS_API_RATE_LIMIT = env_int("NOTIFICATIONS_API_RATE_LIMIT", 3000)
NOTIFICATIONS_CALLBACK_TIMEOUT = 5
# Outbound requests to partners' and departments' URLs (eid/outbound.py: callbacks, webhooks,
# back-channel logout, jwks_uri): loopback addresses (and plain http to them) for dev and tests only;
# every other private, link-local or reserved address is always refused (SSRF).
OUTBOUND_ALLOW_LOOPBACK_HTTP = False
# Encrypts the callback signing secrets at rest (Fernet); the MFA key unless given its own.
NOTIFICATIONS_ENCRYPTION_KEY = env_str("NOTIFICATIONS_ENCRYPTION_KEY", MFA_ENCRYPTION_KEY)
# Email and SMS rows left in "sending" this long (a worker died mid-send) are retried by the sweeper.
NOTIFICATIONS_STUCK_SENDING_MINUTES = env_int("NOTIFICATIONS_STUCK_SENDING_MINUTES", 15)

# Payments: the offline sandbox unless Stripe keys are configured.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
# Public by design: Stripe.js on the card page uses it to collect card details in Stripe's iframe.
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300)
# Only for a local fake (localstripe) in tests; production talks to Stripe's own API.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "")
PAYMENTS_PROVIDER = env_str("PAYMENTS_PROVIDER", "stripe" if STRIPE_SECRET_KEY else "sandbox")

# Email: printed to the console unless a real backend is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "eID Portal <no-reply@eid.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Personal data: HKIDs are stored as a keyed hash. The key must differ from SECRET_KEY in production.
HKID_HASH_KEY = env_str("HKID_HASH_KEY", SECRET_KEY)
# Seals verified HKID numbers for departments with a legal basis (Fernet key(s), comma-separated, newest
# first). Empty outside production: a dev key is derived from SECRET_KEY (eid/hkid.py).
HKID_ENCRYPTION_KEY = env_str("EID_HKID_ENCRYPTION_KEY", "")
# Encrypts the PKI's private keys at rest (eid/pki/keystore.py). Derived from SECRET_KEY only in
# dev and test; production requires its own (portal/settings/prod.py).
PKI_KEY_PASSPHRASE = env_str("PKI_KEY_PASSPHRASE", "pki-dev-only:" + SECRET_KEY)

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "eID Portal API",
    "DESCRIPTION": "REST APIs of the eID and digital services portal.",
    "VERSION": "1.0.0",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

PORTAL_NAME = _("eID Portal")
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

CELERY_BEAT_SCHEDULE = {
    "audit-verify-chain-nightly": {"task": "audit.verify_chain", "schedule": 60 * 60 * 24},
    # Releases notifications held for quiet hours; retries email and SMS stuck in "sending".
    "notifications-sweep": {"task": "notifications.sweep", "schedule": 60},
    # Tells residents, once, that their signing certificate expires within 30 days.
    # Deletes online-form drafts past their expiry, with their uploaded files.
    "eforms-delete-expired-drafts": {"task": "eforms.delete_expired_drafts", "schedule": 60 * 60},
    # Forgets one-time JWT ids (private_key_jwt assertions, DPoP proofs) once they have expired.
    "oidc-purge-seen-jwt-ids": {"task": "oidc.purge_seen_jwt_ids", "schedule": 60 * 15},
    # Deletes pushed authorization requests (PAR) that expired or were used.
    "oidc-purge-pushed-requests": {"task": "oidc.purge_pushed_authorization_requests", "schedule": 60 * 15},
    # Forgets rotated refresh tokens (kept to detect their reuse) once they have expired.
    "oidc-purge-spent-refresh-tokens": {"task": "oidc.purge_spent_refresh_tokens", "schedule": 60 * 60},
    "pki-notify-expiring-certificates": {
        "task": "pki.notify_expiring_certificates",
        "schedule": 60 * 60 * 24,
    },
    # Renews OCSP responders, the time-stamping authority and seals a month before they expire.
    "pki-renew-service-certificates": {"task": "pki.renew_service_certificates", "schedule": 60 * 60 * 24},
}
