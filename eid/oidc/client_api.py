"""DRF authentication for department systems: a client-credentials access token (RFC 6749 §4.4).

The same token check as the residents' API (eid.oidc.api: the validator, DPoP binding, expiry,
revocation), then the client's department from its registration. `request.user` is the
ServiceClient, `request.auth` the allauth Token.
"""

from allauth.idp.oidc.models import Token
from rest_framework import exceptions
from rest_framework.request import Request

from eid.oidc.api import BearerTokenAuthentication
from eid.oidc.service_clients import ServiceClient, service_client_for_token


class ClientCredentialsAuthentication(BearerTokenAuthentication):
    """Only a token of a client-credentials client linked to a department; a resident's token, an
    unknown, expired or revoked one is a 401 with `WWW-Authenticate`."""

    accepts_client_tokens = True

    def authenticate(self, request: Request) -> tuple[ServiceClient, Token] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        service = service_client_for_token(token)
        if user is not None or service is None:
            raise exceptions.AuthenticationFailed("invalid_token")
        return service, token
