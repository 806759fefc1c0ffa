"""What other services may use of the notifications service (as eid/public.py is for eid): the
department API key authentication and the SSRF-safe signed POST with its encrypted-secret store.

Other services import only this module of notifications (tests/test_architecture.py)."""

from services.notifications.api import DepartmentApiKeyAuthentication
from services.notifications.callbacks import CallbackError, callback_url_validate, signed_post
from services.notifications.secrets import secret_decrypt, secret_encrypt
from services.notifications.throttling import ApiKeyRateThrottle

__all__ = [
    "ApiKeyRateThrottle",
    "CallbackError",
    "DepartmentApiKeyAuthentication",
    "callback_url_validate",
    "secret_decrypt",
    "secret_encrypt",
    "signed_post",
]
