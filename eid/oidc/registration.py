"""What a partner registers for an application, checked before any client is created."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eid.oidc.client_keys import jwks_validate
from eid.oidc.clients import client_uri_validate
from eid.public import SCOPES


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
        # Public EC P-256 / RSA >= 2048 signing keys only, no private key material.
        check("jwks", lambda: jwks_validate(registration.jwks))
    unknown = [scope for scope in registration.scopes if scope not in SCOPES]
    if unknown:
        errors["scopes"] = [_("Unknown scopes: %(scopes)s") % {"scopes": " ".join(unknown)}]
    if registration.fapi and registration.uses_secret:
        errors.setdefault("jwks", []).append(
            _("A FAPI application authenticates with private_key_jwt: register a JWK Set or a jwks_uri.")
        )
    if errors:
        raise ValidationError(errors)
