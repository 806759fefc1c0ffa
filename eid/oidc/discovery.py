"""The discovery document (OIDC Discovery §3, RFC 8414), built once per process, and the JWKS.

It depends only on settings and the URL configuration, so each process serialises it on first use
and reuses the bytes (like the JWKS, keys.py); a deploy restarts the processes. Tests that change
settings clear it through Django's `setting_changed` signal.
"""

import functools
import json
import time
from typing import Any

from allauth.idp.oidc.adapter import get_adapter
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse

from eid.oidc.id_tokens import algorithm_metadata
from eid.oidc.keys import configured_ec_private_key_pem, jwks_document

ENDPOINTS = {
    "authorization_endpoint": "idp:oidc:authorization",
    "token_endpoint": "idp:oidc:token",
    "userinfo_endpoint": "idp:oidc:userinfo",
    "jwks_uri": "idp:oidc:jwks",
    "revocation_endpoint": "idp:oidc:revoke",
    "end_session_endpoint": "idp:oidc:logout",
    "pushed_authorization_request_endpoint": "idp:oidc:par",
    "introspection_endpoint": "idp:oidc:introspect",
}


def discovery_metadata() -> dict[str, Any]:
    """The provider's metadata, from the routed endpoints and the adapter."""
    adapter = get_adapter()
    issuer = adapter.get_issuer()
    # Under the configured issuer, like the issuer itself: never the request's Host.
    data: dict[str, Any] = {"issuer": issuer}
    data.update({key: f"{issuer}{reverse(name)}" for key, name in ENDPOINTS.items()})
    data.update(algorithm_metadata())
    adapter.populate_server_metadata(data)
    return data


@functools.cache
def discovery_document() -> bytes:
    """The serialised metadata, reused by every discovery response of this process."""
    return json.dumps(discovery_metadata()).encode()


# The JWKS changes only when a configured key starts or stops being active (allauth's `expires_at`),
# so each process rebuilds it at most once a minute: publishing or withdrawing a key by the clock
# may lag by that much, which verifiers' own caching (Cache-Control) exceeds anyway.
JWKS_REBUILD_SECONDS = 60
_jwks: tuple[float, bytes, str] | None = None


def jwks_published() -> tuple[bytes, str]:
    """The JWKS response body and its Cache-Control value."""
    global _jwks
    now = time.monotonic()
    if _jwks is None or now - _jwks[0] >= JWKS_REBUILD_SECONDS:
        adapter = get_adapter()
        # Published ahead of activation, as allauth does, so verifiers cache a new key in time.
        pems = tuple(key.pem for key in adapter.list_private_keys(is_active=True))
        body = jwks_document(pems, (configured_ec_private_key_pem(),))
        _jwks = (now, body, f"max-age={adapter.get_jwks_cache_control()}, must-revalidate")
    return _jwks[1], _jwks[2]


@receiver(setting_changed)
def _forget_document(**kwargs: Any) -> None:
    global _jwks
    discovery_document.cache_clear()
    _jwks = None
