"""Production: every secret and endpoint from the environment; refuses to start without them."""

from portal.settings.base import *  # noqa: F403
from portal.settings.env import env_bool, env_int, env_str

PORTAL_ENVIRONMENT = "production"
DEBUG = False
HKID_HASH_KEY = env_str("HKID_HASH_KEY")
HKID_ENCRYPTION_KEY = env_str("EID_HKID_ENCRYPTION_KEY")
MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY")
PKI_KEY_PASSPHRASE = env_str("PKI_KEY_PASSPHRASE")
IDP_OIDC_PRIVATE_KEY = env_str("IDP_OIDC_PRIVATE_KEY")
IDP_OIDC_EC_PRIVATE_KEY = env_str("IDP_OIDC_EC_PRIVATE_KEY")
OIDC_PAIRWISE_KEY = env_str("OIDC_PAIRWISE_KEY")
OIDC_CLIENT_SECRET_KEY = env_str("OIDC_CLIENT_SECRET_KEY")
# Outbound requests never to loopback addresses in production, whatever a shared base says.
OUTBOUND_ALLOW_LOOPBACK_HTTP = False
NOTIFICATIONS_ENCRYPTION_KEY = env_str("NOTIFICATIONS_ENCRYPTION_KEY", MFA_ENCRYPTION_KEY)

# Persistent database connections: a new PostgreSQL connection per request costs more than a token
# request's own queries. Checked before reuse, so a restarted database costs one failed check.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
