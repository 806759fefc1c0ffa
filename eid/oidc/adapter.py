"""The portal's extension of allauth's OIDC provider (settings.IDP_OIDC_ADAPTER)."""

import secrets
from collections.abc import Iterable
from typing import Any, Literal

from allauth.idp.oidc.adapter import DefaultOIDCAdapter
from allauth.idp.oidc.models import Client, PrivateKey
from django.conf import settings

from eid.oidc.claims import resident_claims
from eid.oidc.dpop import SIGNING_ALGS as DPOP_SIGNING_ALGS
from eid.oidc.dpop import token_jkt as dpop_token_jkt
from eid.oidc.keys import configured_private_key_pem
from eid.oidc.session import SessionAuthentication
from eid.oidc.subjects import client_sector, pairwise_sub, subject_user
from eid.public import SCOPE_DESCRIPTIONS, SCOPES, AssuranceLevel, User


class EidOIDCAdapter(DefaultOIDCAdapter):
    # The consent screen's wording for each scope is the portal's, shared with the e-services.
    scope_display = dict(SCOPE_DESCRIPTIONS)

    def generate_client_secret(self) -> str:
        # URL-safe alphabet: the secret reads the same whether or not a client form-encodes it.
        return secrets.token_urlsafe(48)

    def get_issuer(self) -> str:
        # From configuration, never from the request's Host header.
        return settings.SITE_URL

    def get_user_sub(self, client: Client, user: User) -> str:
        return pairwise_sub(sector=client_sector(client), user=user)

    def get_user_by_sub(self, client: Client, sub: str) -> User | None:
        return subject_user(client=client, sub=sub)

    def get_claims(
        self,
        purpose: Literal["id_token", "userinfo"],
        user: User,
        client: Client,
        scopes: Iterable[str],
        email: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        granted = set(scopes) & set(client.get_scopes())
        return {
            "sub": self.get_user_sub(client, user),
            **resident_claims(user=user, scopes=granted, email=email, client=client, purpose=purpose),
        }

    def populate_id_token(
        self,
        id_token: dict[str, Any],
        client: Client,
        scopes: Iterable[str],
        session: SessionAuthentication | None = None,
        **kwargs: Any,
    ) -> None:
        # What the sign-in behind this code proved, recorded when the code was issued (the token
        # request itself carries no resident session).
        if session is not None:
            id_token.update(session)

    def populate_server_metadata(self, data: dict[str, Any]) -> None:
        """Advertise what this provider does, and nothing it does not (RFC 8414)."""
        for unsupported in ("device_authorization_endpoint",):
            data.pop(unsupported, None)
        data.update(
            {
                "scopes_supported": list(SCOPES),
                "claims_supported": sorted(
                    {claim for claims in SCOPES.values() for claim in claims}
                    | {"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr"}
                ),
                "subject_types_supported": ["pairwise"],
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                # client_credentials: for registered department systems (eid.oidc.service_clients);
                # their scopes (CLIENT_SCOPES) are not advertised, being no resident's to grant.
                "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
                "code_challenge_methods_supported": ["S256"],
                "authorization_response_iss_parameter_supported": True,
                # OIDC Back-Channel Logout (backchannel.py); logout tokens carry no `sid`.
                "backchannel_logout_supported": True,
                "backchannel_logout_session_supported": False,
                "acr_values_supported": [level.acr for level in AssuranceLevel],
                "claims_parameter_supported": False,
                "request_parameter_supported": False,
                "request_uri_parameter_supported": False,
                # RFC 9126 §5: PAR is required per client (FAPI ones), not for all; a pushed request_uri
                # works whatever request_uri_parameter_supported (request objects by reference) says.
                "require_pushed_authorization_requests": False,
                "dpop_signing_alg_values_supported": list(DPOP_SIGNING_ALGS),
                "ui_locales_supported": [code for code, _name in settings.LANGUAGES],
            }
        )

    def populate_introspection_response(self, *, response: dict[str, Any], token: Any) -> None:
        # RFC 9449 §6.2: a resource server learns which key a DPoP-bound token needs.
        if jkt := dpop_token_jkt(token.data):
            response["cnf"] = {"jkt": jkt}
        super().populate_introspection_response(response=response, token=token)

    def list_private_keys(
        self,
        *,
        did_activate: Literal[True] | None = None,
        is_active: Literal[True] | None = None,
    ) -> list[PrivateKey]:
        # IDP_OIDC_PRIVATE_KEYS (rotation) still works; otherwise the configured or dev key.
        keys = super().list_private_keys(did_activate=did_activate, is_active=is_active)
        return keys or [PrivateKey(pem=configured_private_key_pem())]
