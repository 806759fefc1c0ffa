"""System checks of the identity app: a bad HKID encryption key fails `manage.py check`, not the first
release of a number to a department."""

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def hkid_encryption_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from eid.hkid import hkid_dev_encryption_key, hkid_encryption_keys

    keys = hkid_encryption_keys()
    production = getattr(settings, "PORTAL_ENVIRONMENT", "") == "production"
    errors: list[CheckMessage] = []
    if production and not keys:
        errors.append(
            Error(
                "EID_HKID_ENCRYPTION_KEY is not set: verified HKID numbers cannot be sealed.",
                hint="Generate one with cryptography.fernet.Fernet.generate_key().",
                id="eid.E001",
            )
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            # The key itself is never echoed: the check's output may end up in a deployment log.
            errors.append(
                Error(
                    f"EID_HKID_ENCRYPTION_KEY key {position} is not a Fernet key "
                    "(32 bytes, URL-safe base64).",
                    id="eid.E002",
                )
            )
    if production and hkid_dev_encryption_key() in keys:
        errors.append(
            Error("EID_HKID_ENCRYPTION_KEY is the development key derived from SECRET_KEY.", id="eid.E003")
        )
    return errors
