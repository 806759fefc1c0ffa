"""Registering relying parties (clients) of the provider."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Client
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from eid.oidc.client_secrets import client_secret_hash
from eid.public import SCOPES, audit_log

DEFAULT_SCOPES = ("openid", "profile", "email")


@dataclass(frozen=True)
class NewClient:
    client: Client
    secret: str | None  # shown once; only its keyed hash is stored


def client_create(
    *,
    name: str,
    redirect_uris: list[str],
    public: bool = False,
    scopes: list[str] | None = None,
    sector_identifier: str | None = None,
    skip_consent: bool = False,
    backchannel_logout_uri: str | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    profile: dict[str, Any] | None = None,
) -> NewClient:
    """A client for the code flow (PKCE S256 always), with a secret unless it is public.

    `profile` adds further registration data (see `client_profile`), e.g. from partner onboarding.
    """
    scopes = list(dict.fromkeys(scopes or DEFAULT_SCOPES))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValidationError(_("Unknown scopes: %(scopes)s") % {"scopes": " ".join(unknown)})
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    if not redirect_uris:
        raise ValidationError(_("At least one redirect URI is required."))
    for uri in [*redirect_uris, *(post_logout_redirect_uris or []), backchannel_logout_uri or ""]:
        if uri:
            client_uri_validate(uri)
    data: dict[str, Any] = dict(profile or {})
    if sector_identifier:
        data["sector_identifier"] = sector_identifier
    if backchannel_logout_uri:
        data["backchannel_logout_uri"] = backchannel_logout_uri
    client = Client(
        name=name,
        type=Client.Type.PUBLIC if public else Client.Type.CONFIDENTIAL,
        skip_consent=skip_consent,
        data=data or None,
    )
    client.set_redirect_uris(redirect_uris)
    if post_logout_redirect_uris:
        client.set_post_logout_redirect_uris(post_logout_redirect_uris)
    client.set_scopes(scopes)
    client.set_default_scopes(["openid"])
    client.set_grant_types([Client.GrantType.AUTHORIZATION_CODE, Client.GrantType.REFRESH_TOKEN])
    client.set_response_types([Client.ResponseType.CODE])
    secret = None if public else get_adapter().generate_client_secret()
    client.secret = client_secret_hash(secret) if secret else ""
    with transaction.atomic():
        client.full_clean(exclude=["secret", "cors_origins", "default_scopes", "owner"])
        client.save()
        audit_log(event_type="oidc.client_created", data={"client_id": client.id, "name": name})
    return NewClient(client=client, secret=secret)


def client_uri_validate(uri: str) -> None:
    """An absolute https URI without a fragment (http only for localhost, for development)."""
    URLValidator(schemes=["https", "http"])(uri)
    if "#" in uri:
        raise ValidationError(_("URIs registered for a client must not contain a fragment."))
    if uri.startswith("http://") and urlsplit(uri).hostname not in ("127.0.0.1", "localhost"):
        raise ValidationError(_("Redirect URIs must use https (http only for localhost)."))


def client_profile(client: Client) -> dict:
    """The portal's registration data kept in allauth's `Client.data` (JSON).

    Keys: `sector_identifier`; `fapi` (bool: FAPI 2.0 profile — PAR, DPoP, private_key_jwt, ES256/PS256
    required); `jwks` (inline JWK Set) or `jwks_uri` for private_key_jwt; `token_endpoint_auth_method`;
    `backchannel_logout_uri` (OIDC Back-Channel Logout); `environment` ("sandbox": demo residents only)
    and `department` (a department's code) from partner onboarding; `hkid_legal_basis`. allauth's own
    `client_metadata.post_logout_redirect_uris` sits here too.
    """
    return client.data if isinstance(client.data, dict) else {}


def client_is_fapi(client: Client) -> bool:
    return bool(client_profile(client).get("fapi"))
