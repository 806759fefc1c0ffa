"""The discovery document (OIDC Discovery §3, RFC 8414), built once per process.

It depends only on settings and the URL configuration, so each process serialises it on first use
and reuses the bytes (like the JWKS, keys.py); a deploy restarts the processes. Tests that change
settings clear it through Django's `setting_changed` signal.
"""

import functools
import json
from typing import Any

from allauth.idp.oidc.adapter import get_adapter
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse

from eid.oidc.id_tokens import algorithm_metadata

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


@receiver(setting_changed)
def _forget_document(**kwargs: Any) -> None:
    discovery_document.cache_clear()
