"""ID token algorithms: ES256 or PS256 for FAPI clients, RS256 for others unless registered otherwise;
verified as a partner would, with python-jose and the published JWKS."""

import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client as BrowserClient
from jose import jwk as jose_jwk
from jose import jwt as jose_jwt
from jose.utils import base64url_decode

from eid.oidc.clients import client_id_token_alg
from eid.oidc.id_tokens import id_token_sign
from tests.eid.oidc.assertions import assertion_params, client_assertion, ec_key, jwks_of
from tests.eid.oidc.flow import DISCOVERY, JWKS, USERINFO, Authorization, code_for, new_client

pytestmark = pytest.mark.django_db


def published_key(web: BrowserClient, kid: str) -> dict:
    (key,) = [key for key in web.get(JWKS).json()["keys"] if key["kid"] == kid]
    return key


def tokens_for(web: BrowserClient, resident: object, **registration: object) -> tuple[object, dict]:
    """A code flow for a partner registered with `registration`; (the client, the token response)."""
    partner_key = ec_key()
    partner = new_client(auth_method="private_key_jwt", jwks=jwks_of(partner_key), **registration)
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    response = authorization.exchange(
        web, code, **assertion_params(client_assertion(partner.client.id, partner_key))
    )
    assert response.status_code == 200, response.content
    return partner, response.json()


def verify_as_partner(web: BrowserClient, id_token: str, alg: str, client_id: str, access_token: str) -> dict:
    """python-jose for ES256 and RS256, with the key the header's `kid` names (python-jose tries every
    key of a set and gives up on the first of another type); it has no PS256, so PyJWT there."""
    kid = jose_jwt.get_unverified_header(id_token)["kid"]
    if alg != "PS256":
        return jose_jwt.decode(
            id_token,
            published_key(web, kid),
            algorithms=[alg],  # never the token's own say-so
            audience=client_id,
            issuer=settings.SITE_URL,
            access_token=access_token,  # checks at_hash
        )
    key = pyjwt.PyJWK(published_key(web, pyjwt.get_unverified_header(id_token)["kid"]))
    return pyjwt.decode(id_token, key, algorithms=["PS256"], audience=client_id, issuer=settings.SITE_URL)


@pytest.mark.parametrize("alg", ["ES256", "PS256", "RS256"])
def test_id_token_in_the_registered_algorithm_verifies_with_the_published_jwks(web, resident, alg) -> None:
    partner, tokens = tokens_for(web, resident, id_token_alg=alg)
    header = jose_jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == alg
    key = published_key(web, header["kid"])
    assert key["alg"] == alg and key["use"] == "sig"
    claims = verify_as_partner(web, tokens["id_token"], alg, partner.client.id, tokens["access_token"])
    assert isinstance(claims["auth_time"], int) and claims["acr"] and claims["sub"]
    # A verifier expecting another algorithm refuses it (no confusion between published keys).
    with pytest.raises(jose_jwt.JWTError):
        jose_jwt.decode(
            tokens["id_token"],
            key,
            algorithms=[other for other in ("ES256", "RS256") if other != alg],
            audience=partner.client.id,
            access_token=tokens["access_token"],
        )


def test_rsa_keys_come_first_so_whole_set_rs256_verification_keeps_working(web, resident) -> None:
    """Existing partners hand python-jose the whole JWKS; it stops at the first key of another
    type, so the RSA keys stay ahead of the EC key."""
    partner, tokens = tokens_for(web, resident)
    claims = jose_jwt.decode(
        tokens["id_token"],
        web.get(JWKS).json(),
        algorithms=["RS256"],
        audience=partner.client.id,
        access_token=tokens["access_token"],
    )
    assert claims["sub"]


def test_python_jose_has_no_ps256_so_fapi_defaults_to_es256() -> None:
    """Partners on python-jose (STACK.md) can verify ES256 but not PS256: the FAPI default is ES256."""
    with pytest.raises(jose_jwk.JWKError):
        jose_jwk.construct({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "PS256")


def test_userinfo_stays_json_whatever_the_id_token_algorithm(web, resident) -> None:
    _partner, tokens = tokens_for(web, resident, id_token_alg="ES256")
    response = web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["sub"]


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_a_fapi_id_token_verifies_with_the_published_jwks(web, alg) -> None:
    """A FAPI client's ID token (signed as the token endpoint signs it) against the JWKS endpoint;
    python-jose for ES256 (PyJWT for PS256, which python-jose lacks)."""
    fapi = new_client(fapi=True, jwks=jwks_of(ec_key()), id_token_alg=alg)
    now = int(time.time())
    claims = {"iss": settings.SITE_URL, "sub": "s", "aud": fapi.client.id, "iat": now, "exp": now + 60}
    token = id_token_sign(claims, fapi.client)
    assert jose_jwt.get_unverified_header(token)["alg"] == alg
    if alg == "ES256":
        verified = jose_jwt.decode(
            token,
            published_key(web, jose_jwt.get_unverified_header(token)["kid"]),
            algorithms=["ES256"],
            audience=fapi.client.id,
            issuer=settings.SITE_URL,
        )
    else:
        key = pyjwt.PyJWK(published_key(web, pyjwt.get_unverified_header(token)["kid"]))
        verified = pyjwt.decode(
            token, key, algorithms=["PS256"], audience=fapi.client.id, issuer=settings.SITE_URL
        )
    assert verified["sub"] == "s"


def test_a_fapi_client_defaults_to_es256_and_cannot_register_rs256() -> None:
    fapi = new_client(fapi=True, jwks=jwks_of(ec_key()))
    assert client_id_token_alg(fapi.client) == "ES256"
    with pytest.raises(ValidationError, match="ES256, PS256"):
        new_client(fapi=True, jwks=jwks_of(ec_key()), id_token_alg="RS256")
    assert client_id_token_alg(new_client().client) == "RS256"
    with pytest.raises(ValidationError):
        new_client(id_token_alg="HS256")


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_signatures_check_out_without_any_jose_library(web, alg) -> None:
    """The raw JWS checked with cryptography alone: ES256 is r||s (64 bytes), PS256 is RSASSA-PSS."""
    fapi = new_client(fapi=True, jwks=jwks_of(ec_key()), id_token_alg=alg)
    token = id_token_sign({"iss": settings.SITE_URL, "aud": fapi.client.id, "exp": 2**31}, fapi.client)
    signing_input, _, signature_b64 = token.rpartition(".")
    signature = base64url_decode(signature_b64.encode())
    public_key = pyjwt.PyJWK(published_key(web, jose_jwt.get_unverified_header(token)["kid"])).key
    if alg == "ES256":
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        assert len(signature) == 64
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        public_key.verify(der, signing_input.encode(), ec.ECDSA(SHA256()))
    else:
        assert isinstance(public_key, rsa.RSAPublicKey)
        public_key.verify(
            signature,
            signing_input.encode(),
            padding.PSS(mgf=padding.MGF1(SHA256()), salt_length=32),
            SHA256(),
        )


def test_discovery_advertises_algorithms_and_client_authentication(web) -> None:
    metadata = web.get(DISCOVERY).json()
    assert metadata["id_token_signing_alg_values_supported"] == ["ES256", "PS256", "RS256"]
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    assert "client_secret_basic" in metadata["token_endpoint_auth_methods_supported"]
    assert metadata["token_endpoint_auth_signing_alg_values_supported"] == ["ES256", "PS256", "RS256"]
    assert "HS256" not in str(metadata) and '"none"' not in str(
        metadata["token_endpoint_auth_signing_alg_values_supported"]
    )
    assert metadata["introspection_endpoint"] == f"{settings.SITE_URL}/identity/o/api/introspect"
    assert "private_key_jwt" in metadata["introspection_endpoint_auth_methods_supported"]
    assert "none" not in metadata["introspection_endpoint_auth_methods_supported"]
    assert "private_key_jwt" in metadata["revocation_endpoint_auth_methods_supported"]
    assert "userinfo_signing_alg_values_supported" not in metadata  # userinfo is plain JSON


LOGOUT = "/identity/o/logout"


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_rp_initiated_logout_accepts_an_id_token_hint_in_each_algorithm(web, resident, alg) -> None:
    """allauth reads RS256 hints only; an ES256/PS256 hint must still name the client, so its
    post_logout_redirect_uri is honoured."""
    partner_key = ec_key()
    partner = new_client(
        auth_method="private_key_jwt",
        jwks=jwks_of(partner_key),
        id_token_alg=alg,
        post_logout_redirect_uris=["https://bank.example/signed-out"],
    )
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    tokens = authorization.exchange(
        web, code, **assertion_params(client_assertion(partner.client.id, partner_key))
    ).json()
    hint = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": "https://bank.example/signed-out",
    }
    assert web.get(LOGOUT, hint).status_code == 200  # asks the resident
    response = web.post(LOGOUT, {**hint, "action": "logout", "csrfmiddlewaretoken": "x"})
    assert response.status_code == 302
    assert response["Location"] == "https://bank.example/signed-out"
    # A hint whose signature does not verify names no client: no redirect to the URI given.
    web.force_login(resident)
    tampered = {**hint, "id_token_hint": tokens["id_token"][:-4] + "AAAA"}
    response = web.post(LOGOUT, {**tampered, "action": "logout", "csrfmiddlewaretoken": "x"})
    assert response.status_code == 302
    assert response["Location"] != "https://bank.example/signed-out"


def test_prompt_none_checks_an_es256_id_token_hint_against_the_session(web, resident, user_factory) -> None:
    _partner, tokens = tokens_for(web, resident, id_token_alg="ES256")
    authorization = Authorization(_partner)
    silent = web.get(authorization.url(prompt="none", id_token_hint=tokens["id_token"]))
    assert "code=" in silent["Location"]
    web.force_login(user_factory())  # another resident's session: the hint does not match
    mismatch = web.get(authorization.url(prompt="none", id_token_hint=tokens["id_token"]))
    assert "code=" not in mismatch["Location"] and "error=" in mismatch["Location"]
