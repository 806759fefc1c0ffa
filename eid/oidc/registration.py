"""What a partner registers for an application, checked before any client is created."""

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eid.oidc.client_keys import jwks_validate
from eid.oidc.clients import client_uri_validate
from eid.public import SCOPES

# Members of a JWK that belong to a private (or symmetric) key (RFC 7518 §6): never registered.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def jwks_public_validate(value: dict | str) -> dict:
    """A JWK Set of public keys only: JSON with a non-empty `keys` list, each key with a `kty`."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValidationError(_("The JWK Set is not valid JSON.")) from error
    keys = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(keys, list) or not keys:
        raise ValidationError(_('A JWK Set needs a non-empty "keys" list.'))
    for key in keys:
        if not isinstance(key, dict) or not isinstance(key.get("kty"), str):
            raise ValidationError(_('Each key needs a "kty".'))
        if PRIVATE_JWK_MEMBERS & set(key):
            raise ValidationError(
                _(
                    "The JWK Set contains private key material. Register public keys only, and replace "
                    "the key pair: the private key has left your systems."
                )
            )
    # The provider's own rules for client keys (EC P-256 or RSA >= 2048, use "sig", unique kids).
    return jwks_validate(value)


@dataclass(frozen=True)
class Registration:
    """What a partner registers for an application (the same for its sandbox and production clients)."""

    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str
    scopes: list[str]
    fapi: bool
    jwks: dict | None
    jwks_uri: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris,
            "backchannel_logout_uri": self.backchannel_logout_uri,
            "scopes": self.scopes,
            "fapi": self.fapi,
            "jwks": self.jwks,
            "jwks_uri": self.jwks_uri,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Registration":
        return cls(**{field: data.get(field) for field in cls.__dataclass_fields__})

    @property
    def uses_secret(self) -> bool:
        return self.jwks is None and not self.jwks_uri


def registration_validate(registration: Registration) -> None:
    """Raises ValidationError (a dict keyed by field) for anything the provider would not accept."""
    errors: dict[str, list[str]] = {}

    def check(field: str, test: Any) -> None:
        try:
            test()
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)

    if not registration.redirect_uris:
        errors["redirect_uris"] = [_("Enter at least one redirect URI.")]
    for uri in registration.redirect_uris:
        check("redirect_uris", lambda uri=uri: client_uri_validate(uri))
    for uri in registration.post_logout_redirect_uris:
        check("post_logout_redirect_uris", lambda uri=uri: client_uri_validate(uri))
    if registration.backchannel_logout_uri:
        check("backchannel_logout_uri", lambda: client_uri_validate(registration.backchannel_logout_uri))
    if registration.jwks_uri:
        check("jwks_uri", lambda: client_uri_validate(registration.jwks_uri))
    if registration.jwks is not None:
        check("jwks", lambda: jwks_public_validate(registration.jwks))
    unknown = [scope for scope in registration.scopes if scope not in SCOPES]
    if unknown:
        errors["scopes"] = [_("Unknown scopes: %(scopes)s") % {"scopes": " ".join(unknown)}]
    if registration.fapi and registration.uses_secret:
        errors.setdefault("jwks", []).append(
            _("A FAPI application authenticates with private_key_jwt: register a JWK Set or a jwks_uri.")
        )
    if errors:
        raise ValidationError(errors)
