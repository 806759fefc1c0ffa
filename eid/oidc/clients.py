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

from eid.oidc.client_keys import jwks_uri_validate, jwks_validate
from eid.oidc.client_secrets import client_secret_hash
from eid.oidc.service_clients import service_client_create
from eid.public import SCOPES, audit_log

DEFAULT_SCOPES = ("openid", "profile", "email")
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
AUTH_METHODS = (*SECRET_AUTH_METHODS, "private_key_jwt", "none")
ID_TOKEN_ALGORITHMS = ("ES256", "PS256", "RS256")
FAPI_ID_TOKEN_ALGORITHMS = ("ES256", "PS256")


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
    fapi: bool | None = None,
    auth_method: str | None = None,
    jwks: dict | str | None = None,
    jwks_uri: str | None = None,
    id_token_alg: str | None = None,
    grant: str = "authorization-code",
    department: str | None = None,
    sandbox: bool = False,
) -> NewClient:
    """A client for the code flow (PKCE S256 always), with a secret only if it authenticates
    with one (not public, not private_key_jwt; FAPI clients use private_key_jwt and ES256/PS256).

    `grant="client-credentials"`: a department system instead (eid.oidc.service_clients), linked to
    `department` (its code), with only client scopes such as `notifications.send`.

    `profile` adds further registration data (see `client_profile`), e.g. from partner onboarding;
    its authentication keys (fapi, jwks, ...) are checked like the keyword arguments.
    """
    if grant == "client-credentials":
        client, secret = service_client_create(
            name=name, department=department or "", scopes=list(scopes or []), sandbox=sandbox
        )
        return NewClient(client=client, secret=secret)
    given = profile or {}
    auth_profile = client_auth_profile(
        public=public,
        fapi=bool(given.get("fapi")) if fapi is None else fapi,
        auth_method=auth_method or given.get("token_endpoint_auth_method"),
        jwks=jwks if jwks is not None else given.get("jwks"),
        jwks_uri=jwks_uri or given.get("jwks_uri"),
        id_token_alg=id_token_alg or given.get("id_token_signed_response_alg"),
    )
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
    data: dict[str, Any] = {**given, **auth_profile}
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
    uses_secret = auth_profile["token_endpoint_auth_method"] in SECRET_AUTH_METHODS
    secret = get_adapter().generate_client_secret() if uses_secret else None
    client.secret = client_secret_hash(secret) if secret else ""
    with transaction.atomic():
        client.full_clean(exclude=["secret", "cors_origins", "default_scopes", "owner"])
        client.save()
        audit_log(
            event_type="oidc.client_created",
            data={
                "client_id": client.id,
                "name": name,
                "fapi": client_is_fapi(client),
                "auth_method": client_auth_method(client),
            },
        )
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


def client_auth_profile(
    *,
    public: bool = False,
    fapi: bool = False,
    auth_method: str | None = None,
    jwks: dict | str | None = None,
    jwks_uri: str | None = None,
    id_token_alg: str | None = None,
) -> dict:
    """The authentication part of a client's registration (`Client.data`), checked.

    FAPI clients: private_key_jwt and ES256 (or PS256) ID tokens, no secret. A private_key_jwt
    client registers public keys (inline JWK Set or jwks_uri), never both.
    """
    if public and fapi:
        raise ValidationError(_("A FAPI client must be confidential."))
    method = auth_method or ("none" if public else "private_key_jwt" if fapi else "client_secret_basic")
    if method not in AUTH_METHODS:
        raise ValidationError(_("Unknown client authentication method: %(method)s") % {"method": method})
    if public != (method == "none"):
        raise ValidationError(_("Only a public client authenticates with no credentials (none)."))
    if fapi and method != "private_key_jwt":
        raise ValidationError(_("A FAPI client must authenticate with private_key_jwt."))
    profile: dict = {"token_endpoint_auth_method": method}
    if fapi:
        profile["fapi"] = True
    if jwks is not None and jwks_uri:
        raise ValidationError(_("Register either a JWK Set or a jwks_uri, not both."))
    if jwks is not None:
        profile["jwks"] = jwks_validate(jwks)
    elif jwks_uri:
        profile["jwks_uri"] = jwks_uri_validate(jwks_uri)
    if method == "private_key_jwt" and "jwks" not in profile and "jwks_uri" not in profile:
        raise ValidationError(_("private_key_jwt needs the client's public keys (a JWK Set or a jwks_uri)."))
    allowed = FAPI_ID_TOKEN_ALGORITHMS if fapi else ID_TOKEN_ALGORITHMS
    alg = id_token_alg or ("ES256" if fapi else "RS256")
    if alg not in allowed:
        raise ValidationError(_("ID token algorithm must be one of: %(algs)s") % {"algs": ", ".join(allowed)})
    profile["id_token_signed_response_alg"] = alg
    return profile


def client_auth_method(client: Client) -> str:
    """How the client authenticates at the token, PAR, revocation and introspection endpoints."""
    if client.type == Client.Type.PUBLIC:
        return "none"
    if client_is_fapi(client):
        return "private_key_jwt"
    method = client_profile(client).get("token_endpoint_auth_method")
    # Clients registered before the method was recorded (or through allauth's admin) use a secret.
    return method if method in AUTH_METHODS else "client_secret_basic"


def client_accepts_secret(client: Client) -> bool:
    return client_auth_method(client) in SECRET_AUTH_METHODS


def client_id_token_alg(client: Client) -> str:
    """The JWS algorithm of this client's ID tokens (`id_token_signed_response_alg`)."""
    alg = client_profile(client).get("id_token_signed_response_alg")
    if client_is_fapi(client):
        return alg if alg in FAPI_ID_TOKEN_ALGORITHMS else "ES256"
    return alg if alg in ID_TOKEN_ALGORITHMS else "RS256"
