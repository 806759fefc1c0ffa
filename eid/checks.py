"""System checks of the identity app: a bad HKID encryption key fails `manage.py check`, not the first
release of a number to a department."""

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


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


@register(Tags.security, deploy=True)
def trusted_proxy_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Production trusts X-Forwarded-Proto, so it sits behind a proxy; then REMOTE_ADDR is the proxy's."""
    behind_proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None
    told = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or getattr(
        settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None
    )
    if not behind_proxy or told:
        return []
    return [
        Warning(
            "Behind a proxy with TRUSTED_PROXY_COUNT unset, every request comes from the proxy's address: "
            "the per-IP sign-in and token limits would lock all residents out together, and the audit "
            "trail would record the proxy.",
            hint="Set TRUSTED_PROXY_COUNT to the number of proxies that append to X-Forwarded-For.",
            id="eid.W001",
        )
    ]
