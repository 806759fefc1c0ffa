"""Registering relying parties (clients) of the provider."""

from dataclasses import dataclass

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
) -> NewClient:
    """A client for the code flow (PKCE S256 always), with a secret unless it is public."""
    scopes = list(dict.fromkeys(scopes or DEFAULT_SCOPES))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValidationError(_("Unknown scopes: %(scopes)s") % {"scopes": " ".join(unknown)})
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    if not redirect_uris:
        raise ValidationError(_("At least one redirect URI is required."))
    validate = URLValidator(schemes=["https", "http"])
    for uri in redirect_uris:
        validate(uri)
        if uri.startswith("http://") and not uri.startswith(("http://127.0.0.1", "http://localhost")):
            raise ValidationError(_("Redirect URIs must use https (http only for localhost)."))
    client = Client(
        name=name,
        type=Client.Type.PUBLIC if public else Client.Type.CONFIDENTIAL,
        skip_consent=skip_consent,
        data={"sector_identifier": sector_identifier} if sector_identifier else None,
    )
    client.set_redirect_uris(redirect_uris)
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


def client_profile(client: Client) -> dict:
    """The portal's registration data kept in allauth's `Client.data` (JSON).

    Keys: `sector_identifier`; `fapi` (bool: FAPI 2.0 profile — PAR, DPoP, private_key_jwt, ES256/PS256
    required); `jwks` (inline JWK Set) or `jwks_uri` for private_key_jwt; `token_endpoint_auth_method`.
    """
    return client.data if isinstance(client.data, dict) else {}


def client_is_fapi(client: Client) -> bool:
    return bool(client_profile(client).get("fapi"))
