"""System checks: a bad signing key fails `manage.py check`, not the first partner's sign-in."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def signing_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from eid.oidc.keys import parsed_key

    pem = getattr(settings, "IDP_OIDC_PRIVATE_KEY", "")
    if not pem:
        return []  # outside production a dev key is generated on first use (keys.py)
    try:
        parsed_key(pem)
    except (ValueError, TypeError, ImproperlyConfigured) as error:
        return [Error(f"IDP_OIDC_PRIVATE_KEY is not a usable RSA private key: {error}", id="eid_oidc.E001")]
    return []
