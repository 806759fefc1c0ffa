"""The authorization code flow end to end, verified as a partner would (python-jose, JWKS)."""

import pytest
from django.conf import settings
from django.test import Client as BrowserClient

from eid.public import AssuranceLevel
from services.testing import record_second_factor
from tests.eid.oidc.flow import (
    DISCOVERY,
    JWKS,
    TOKEN,
    USERINFO,
    Authorization,
    basic_auth,
    code_for,
    new_client,
    verify_id_token,
)

pytestmark = pytest.mark.django_db


def test_discovery_names_the_configured_issuer_and_what_is_supported(web: BrowserClient) -> None:
    response = web.get(DISCOVERY, HTTP_HOST="localhost")
    assert response.status_code == 200
    metadata = response.json()
    # From SITE_URL, not from the Host header of the request.
    assert metadata["issuer"] == settings.SITE_URL
    assert metadata["token_endpoint"] == f"{settings.SITE_URL}/identity/o/api/token"
    assert metadata["jwks_uri"] == f"{settings.SITE_URL}{JWKS}"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["subject_types_supported"] == ["pairwise"]
    assert metadata["response_types_supported"] == ["code"]
    assert "device_authorization_endpoint" not in metadata
    assert "urn:eid:hk:loa:substantial" in metadata["acr_values_supported"]
    assert {"address", "birthdate", "eid.hkid", "eid.assurance"} <= set(metadata["scopes_supported"])


def test_jwks_publishes_the_rsa_signing_key_and_is_cached(web: BrowserClient, monkeypatch) -> None:
    from eid.oidc import discovery, keys

    first = web.get(JWKS)
    before = keys.jwks_document.cache_info()
    second = web.get(JWKS)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert keys.jwks_document.cache_info() == before  # the process's copy: keys not even listed
    # A minute later the keys are listed again (one may have expired), the serialisation reused.
    later = discovery.time.monotonic() + discovery.JWKS_REBUILD_SECONDS
    monkeypatch.setattr(discovery.time, "monotonic", lambda: later)
    assert web.get(JWKS).content == first.content
    assert keys.jwks_document.cache_info().hits == before.hits + 1
    rs256, ps256, es256 = first.json()["keys"]
    assert rs256["kty"] == "RSA" and rs256["alg"] == "RS256" and rs256["use"] == "sig" and rs256["kid"]
    # The same RSA key for PS256, under its own kid (a JWK names one algorithm); EC P-256 for ES256.
    assert ps256["n"] == rs256["n"] and ps256["alg"] == "PS256" and ps256["kid"] != rs256["kid"]
    assert es256["kty"] == "EC" and es256["crv"] == "P-256"
    assert es256["alg"] == "ES256" and es256["use"] == "sig"
    for key in (rs256, ps256, es256):
        assert "d" not in key  # the public half only
    assert "max-age=" in first["Cache-Control"]


def test_full_code_flow_with_pkce(web: BrowserClient, resident: object) -> None:
    """authorize → sign in → consent → code → token → userinfo, and the ID token as a partner sees it."""
    new = new_client()
    authorization = Authorization(new)
    code = code_for(web, authorization, email=resident.email)

    response = authorization.token(web, code)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"

    claims = verify_id_token(web, tokens["id_token"], new.client.id, tokens["access_token"])
    assert claims["nonce"] == authorization.nonce
    assert claims["acr"] == AssuranceLevel.LOW.acr  # a password alone proves LOW
    assert claims["amr"] == ["pwd"]
    assert isinstance(claims["auth_time"], int) and claims["auth_time"] > 0
    assert claims["name"] == "CHAN Tai Man"
    assert claims["name#zh-Hant"] == "陳大文"
    sub = claims["sub"]
    assert sub != str(resident.pk) and str(resident.public_id) not in sub

    userinfo = web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == 200
    info = userinfo.json()
    assert info["sub"] == sub
    assert info["email"] == resident.email and info["email_verified"] is True
    assert info["family_name"] == "CHAN" and info["given_name"] == "Tai Man"
    assert info["address"] == {
        "country": "HK",
        "street_address": "Flat 12A, 3/F\nHarbour Court\n1 Sha Tin Centre Street",
        "locality": "Sha Tin",
        "region": "New Territories",
        "formatted": "Flat 12A, 3/F\nHarbour Court\n1 Sha Tin Centre Street\n"
        "Sha Tin\nNew Territories\nHong Kong",
    }
    assert info["eid_assurance"] == AssuranceLevel.LOW.acr
    # Scopes not granted release nothing.
    assert "phone_number" not in info and "birthdate" not in info and "eid_hkid" not in info


def _second_factor_sign_in(web: BrowserClient, user_factory: type) -> tuple:
    """A SUBSTANTIAL resident signed in with password and TOTP: (client, tokens, ID token claims)."""
    resident = user_factory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    web.force_login(resident)
    record_second_factor(web, resident)
    new = new_client()
    authorization = Authorization(new)
    tokens = authorization.token(web, code_for(web, authorization)).json()
    return new, tokens, verify_id_token(web, tokens["id_token"], new.client.id, tokens["access_token"])


def test_second_factor_session_reports_its_level(web: BrowserClient, user_factory: type) -> None:
    """A SUBSTANTIAL resident who confirmed with TOTP gets acr substantial and amr pwd+otp."""
    _client, _tokens, claims = _second_factor_sign_in(web, user_factory)
    assert claims["acr"] == AssuranceLevel.SUBSTANTIAL.acr
    assert claims["amr"] == ["pwd", "otp"]


def test_pairwise_sub_differs_between_sectors_and_is_stable_within_one(
    web: BrowserClient, resident: object
) -> None:
    bank = new_client(name="Bank", redirect_uri="https://bank.example/cb")
    shop = new_client(name="Shop", redirect_uri="https://shop.example/cb")
    web.force_login(resident)

    def sub_for(new: object) -> str:
        authorization = Authorization(new)
        tokens = authorization.token(web, code_for(web, authorization)).json()
        return verify_id_token(web, tokens["id_token"], new.client.id, tokens["access_token"])["sub"]

    bank_sub = sub_for(bank)
    assert sub_for(bank) == bank_sub
    assert sub_for(shop) != bank_sub
    # Two departments given one sector identifier see the same resident as the same `sub`.
    dept_a = new_client(name="A", redirect_uri="https://a.gov.example/cb", sector_identifier="gov.hk")
    dept_b = new_client(name="B", redirect_uri="https://b.gov.example/cb", sector_identifier="gov.hk")
    assert sub_for(dept_a) == sub_for(dept_b) != bank_sub


def test_a_refreshed_id_token_keeps_the_sign_in_it_came_from(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    new = new_client()
    authorization = Authorization(new)
    first = authorization.token(web, code_for(web, authorization)).json()
    original = verify_id_token(web, first["id_token"], new.client.id, first["access_token"])
    refreshed = web.post(
        TOKEN,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        HTTP_AUTHORIZATION=basic_auth(new.client.id, new.secret),
    )
    assert refreshed.status_code == 200, refreshed.content
    tokens = refreshed.json()
    assert tokens["refresh_token"] != first["refresh_token"]  # rotated
    claims = verify_id_token(web, tokens["id_token"], new.client.id, tokens["access_token"])
    assert (claims["acr"], claims["amr"], claims["auth_time"]) == (
        original["acr"],
        original["amr"],
        original["auth_time"],
    )
    assert claims["sub"] == original["sub"]


def test_a_public_client_uses_pkce_without_a_secret(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    new = new_client(name="Mobile app", redirect_uri="http://127.0.0.1:9000/cb", public=True)
    assert new.secret is None
    authorization = Authorization(new)
    code = code_for(web, authorization)
    response = authorization.exchange(web, code, client_id=new.client.id)
    assert response.status_code == 200, response.content
    verify_id_token(web, response.json()["id_token"], new.client.id, response.json()["access_token"])


def test_client_secret_post_is_accepted(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    new = new_client()
    authorization = Authorization(new)
    code = code_for(web, authorization)
    response = authorization.exchange(web, code, client_id=new.client.id, client_secret=new.secret)
    assert response.status_code == 200, response.content


def test_userinfo_reports_the_sign_in_behind_the_token_like_the_id_token(
    web: BrowserClient, user_factory: type
) -> None:
    """acr (the level this sign-in reached), amr and auth_time at userinfo, also after a refresh."""
    new, tokens, claims = _second_factor_sign_in(web, user_factory)
    signed_in = (claims["acr"], claims["amr"], claims["auth_time"])
    assert signed_in[0] == AssuranceLevel.SUBSTANTIAL.acr and "otp" in signed_in[1]
    info = web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert (info["acr"], info["amr"], info["auth_time"]) == signed_in
    refreshed = web.post(
        TOKEN,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic_auth(new.client.id, new.secret),
    ).json()
    info = web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {refreshed['access_token']}").json()
    assert (info["acr"], info["amr"], info["auth_time"]) == signed_in


def test_userinfo_and_the_me_api_are_never_cached(web: BrowserClient, resident: object) -> None:
    """They answer with the resident's personal data (name, email, HKID): no cache may keep it
    (RFC 6750 §5.3, FAPI), as the token endpoint's answer is not kept."""
    authorization = Authorization(new_client())
    tokens = authorization.token(web, code_for(web, authorization, email=resident.email)).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    for response in (
        web.get(USERINFO, **bearer),
        web.post(USERINFO, **bearer),
        web.get("/api/v1/me", **bearer),
    ):
        assert response.status_code == 200, response.content
        assert "no-store" in response["Cache-Control"]
