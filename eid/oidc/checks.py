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


# Backends whose entries live in one process: with several workers (or hosts) a code minted in one is
# unknown to the next, so about half the code exchanges fail (bench/README.md, OIDC section).
IN_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """allauth keeps authorization codes in the default cache; redeemed codes (for revoking on
    replay), partners' fetched JWKS and rate limits live there too: production needs one cache
    every worker shares."""
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in IN_PROCESS_CACHES:
        return []
    return [
        Error(
            f"The default cache is in-process ({backend.rsplit('.', 1)[-1]}): authorization codes, "
            "redeemed codes and rate limits would not be shared between workers.",
            hint="Set CACHE_URL to a shared cache, e.g. redis://host:6379/1.",
            id="eid_oidc.E003",
        )
    ]
