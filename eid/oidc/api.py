"""The portal's REST API authenticated by the provider's access tokens (RFC 6750)."""

from typing import Any

from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.internal.oauthlib.utils import extract_params, get_validator_context
from allauth.idp.oidc.models import Token
from django.urls import path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eid.oidc import dpop
from eid.oidc.validator import get_server
from eid.public import User

REALM = "eid"


class BearerTokenAuthentication(BaseAuthentication):
    """An access token in `Authorization: Bearer`, or `Authorization: DPoP` with a DPoP proof (RFC
    9449 §7); 401 with `WWW-Authenticate` when absent or bad.

    allauth's DRF class answers 403 without the header; DRF sends 401 only when the first
    authentication class names a challenge, which `authenticate_header` does here.
    """

    # A department system's token (client credentials: no resident behind it) only where a
    # subclass says so (eid.oidc.client_api).
    accepts_client_tokens = False

    def authenticate(self, request: Request) -> tuple[User, Token] | None:
        scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() not in ("bearer", "dpop"):
            return None  # no token: the permission check answers 401 with the challenge
        if not value.strip():
            raise exceptions.AuthenticationFailed("invalid_token")
        django_request = request._request
        try:
            params = dpop.resource_params(django_request, extract_params(django_request))
        except dpop.ResourceError as error:
            django_request.eid_dpop_error = error
            django_request.eid_dpop_nonce = error.error == "use_dpop_nonce"  # see dpop.NonceMiddleware
            raise exceptions.AuthenticationFailed(error.error) from error
        valid, orequest = get_server().verify_request(*params, scopes=[])
        token = get_validator_context().access_token
        if not valid or token is None or (orequest.user is None and not self.accepts_client_tokens):
            raise exceptions.AuthenticationFailed("invalid_token")
        return orequest.user, token

    def authenticate_header(self, request: Request) -> str:
        django_request = request._request
        error = getattr(django_request, "eid_dpop_error", None)
        if error is not None:
            return dpop.challenge(error.error, error.description)
        if dpop.wants_dpop_challenge(django_request):
            return dpop.challenge("invalid_token")
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer"):
            return f'Bearer realm="{REALM}", error="invalid_token"'
        return f'Bearer realm="{REALM}"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Names the scheme in the OpenAPI schema (/api/schema/)."""

    target_class = "eid.oidc.api.BearerTokenAuthentication"
    name = "eidBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An access token from the eID OpenID Connect provider (/identity/o/api/token); "
                "DPoP-bound tokens are sent as `Authorization: DPoP` with a `DPoP` proof (RFC 9449)."
            ),
        }


class MeSerializer(serializers.Serializer):
    """The claims of the granted scopes (eid.constants.SCOPES); only `sub` and `scope` always."""

    sub = serializers.CharField(help_text="The resident's pairwise identifier for the token's client.")
    scope = serializers.CharField(help_text="The scopes granted to the token, space-separated.")
    name = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    phone_number = serializers.CharField(required=False)
    birthdate = serializers.DateField(required=False)
    address = serializers.DictField(required=False)
    eid_assurance = serializers.CharField(required=False)


class MeView(APIView):
    """The resident behind the token: their `sub` for the token's client and the granted scopes."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer}, summary="The resident behind the access token")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token: Token = request.auth
        adapter = get_adapter()
        claims = adapter.get_claims("userinfo", request.user, token.client, token.get_scopes())
        # The resident's personal data: no cache may keep it.
        return Response(
            {**claims, "scope": " ".join(token.get_scopes())}, headers={"Cache-Control": "no-store"}
        )


app_name = "api_v1"
urlpatterns = [path("me", MeView.as_view(), name="me")]
