"""System checks: a bad signing key fails `manage.py check`, not the first partner's sign-in."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def signing_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from eid.oidc.keys import parsed_ec_key, parsed_key

    errors: list[CheckMessage] = []
    # Empty outside production: a dev key is generated on first use (keys.py).
    for setting, parse, what, check_id in (
        ("IDP_OIDC_PRIVATE_KEY", parsed_key, "RSA", "eid_oidc.E001"),
        ("IDP_OIDC_EC_PRIVATE_KEY", parsed_ec_key, "EC P-256", "eid_oidc.E002"),
    ):
        pem = getattr(settings, setting, "")
        if not pem:
            continue
        try:
            parse(pem)
        except (ValueError, TypeError, ImproperlyConfigured) as error:
            errors.append(Error(f"{setting} is not a usable {what} private key: {error}", id=check_id))
    return errors
