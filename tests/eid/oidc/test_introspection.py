"""Token introspection (RFC 7662) for resource servers, through the portal's validator.

allauth's rules, kept: the caller authenticates as a confidential client (client_secret_basic,
client_secret_post, or here also private_key_jwt); it learns about its own tokens only, unless
IDP_OIDC_INTROSPECTION_CROSS_CLIENT_ALLOWED is set; anything else is `{"active": false}` (§2.2).
"""

import pytest
from django.conf import settings
from django.test import override_settings

from tests.eid.oidc.assertions import assertion_params, client_assertion, ec_key, jwks_of
from tests.eid.oidc.flow import Authorization, basic_auth, code_for, new_client

pytestmark = pytest.mark.django_db

INTROSPECT = "/identity/o/api/introspect"
REVOKE = "/identity/o/api/revoke"


@pytest.fixture
def issued(web, resident):
    """A department client and the tokens it obtained for the resident."""
    web.force_login(resident)
    department = new_client(name="Housing Department")
    authorization = Authorization(department)
    tokens = authorization.token(web, code_for(web, authorization)).json()
    return department, tokens


def introspect(web, token: str, new: object, **extra: str) -> object:
    return web.post(
        INTROSPECT, {"token": token, **extra}, HTTP_AUTHORIZATION=basic_auth(new.client.id, new.secret)
    )


def test_an_active_access_token_is_described(web, issued) -> None:
    department, tokens = issued
    response = introspect(web, tokens["access_token"], department)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    info = response.json()
    assert info["active"] is True
    assert info["client_id"] == department.client.id
    assert info["token_type"] == "access_token"
    assert set(info["scope"].split()) == set(Authorization(department).scope.split())
    assert info["iss"] == settings.SITE_URL
    assert info["exp"] > info["iat"]
    assert info["sub"]  # the pairwise sub this client knows, not the database key


def test_a_refresh_token_is_described_with_its_type(web, issued) -> None:
    department, tokens = issued
    info = introspect(web, tokens["refresh_token"], department, token_type_hint="access_token").json()
    # A wrong hint still finds the token (RFC 7662 §2.1: search all types).
    assert info["active"] is True and info["token_type"] == "refresh_token"


@pytest.mark.parametrize("token", ["garbage", "", "x" * 500], ids=["garbage", "empty", "long"])
def test_unknown_tokens_are_inactive_not_errors(web, issued, token) -> None:
    department, _tokens = issued
    response = introspect(web, token, department)
    if token == "":
        assert response.status_code == 400  # `token` is REQUIRED (§2.1)
        assert response.json()["error"] == "invalid_request"
    else:
        assert response.status_code == 200
        assert response.json() == {"active": False}


def test_a_revoked_token_is_inactive(web, issued) -> None:
    department, tokens = issued
    revoked = web.post(
        REVOKE,
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic_auth(department.client.id, department.secret),
    )
    assert revoked.status_code == 200
    assert introspect(web, tokens["access_token"], department).json() == {"active": False}


def test_an_expired_token_is_inactive(web, issued) -> None:
    from datetime import timedelta

    from allauth.idp.oidc.models import Token
    from django.utils import timezone

    department, tokens = issued
    Token.objects.filter(client=department.client).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert introspect(web, tokens["access_token"], department).json() == {"active": False}


def test_client_authentication_is_required(web, issued) -> None:
    department, tokens = issued
    anonymous = web.post(INTROSPECT, {"token": tokens["access_token"]})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"
    wrong_secret = web.post(
        INTROSPECT,
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic_auth(department.client.id, "nope"),
    )
    assert wrong_secret.status_code == 401
    # A client_id alone (as a public client would send) is no authentication here.
    public = web.post(INTROSPECT, {"token": tokens["access_token"], "client_id": department.client.id})
    assert public.status_code == 401


def test_a_public_client_cannot_introspect(web, issued) -> None:
    _department, tokens = issued
    app = new_client(name="Mobile app", redirect_uri="http://127.0.0.1:9000/cb", public=True)
    response = web.post(INTROSPECT, {"token": tokens["access_token"], "client_id": app.client.id})
    assert response.status_code == 401


def test_another_client_learns_nothing_about_the_token(web, issued) -> None:
    """allauth's default: a client introspects only its own tokens (no cross-client correlation)."""
    _department, tokens = issued
    other = new_client(name="Another Department", redirect_uri="https://other.gov.example/cb")
    assert introspect(web, tokens["access_token"], other).json() == {"active": False}


@override_settings(IDP_OIDC_INTROSPECTION_CROSS_CLIENT_ALLOWED=True)
def test_a_resource_server_may_introspect_others_tokens_when_allowed(web, issued) -> None:
    department, tokens = issued
    resource_server = new_client(name="Records API", redirect_uri="https://records.gov.example/cb")
    info = introspect(web, tokens["access_token"], resource_server).json()
    assert info["active"] is True and info["client_id"] == department.client.id


def test_a_private_key_jwt_client_introspects_with_an_assertion(web, resident) -> None:
    key = ec_key()
    partner = new_client(auth_method="private_key_jwt", jwks=jwks_of(key))
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    tokens = authorization.exchange(
        web, code, **assertion_params(client_assertion(partner.client.id, key))
    ).json()
    assertion = client_assertion(partner.client.id, key, aud=settings.SITE_URL + INTROSPECT)
    response = web.post(INTROSPECT, {"token": tokens["access_token"], **assertion_params(assertion)})
    assert response.status_code == 200, response.content
    assert response.json()["active"] is True
    # The same assertion again is a replay.
    replay = web.post(INTROSPECT, {"token": tokens["access_token"], **assertion_params(assertion)})
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
