"""DPoP (RFC 9449): proofs at the token endpoint, sender-constrained access and refresh tokens at the
userinfo endpoint and the REST API, server nonces, and the refusals, one per MUST."""

import base64
import hashlib
import json
import time
import uuid
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote_plus, urlencode

import jwt
import pytest
from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Token
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.test import Client as BrowserClient
from django.urls import NoReverseMatch, reverse
from jose import jwt as jose_jwt
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2.rfc6749 import errors

from eid.oidc import dpop
from tests.eid.oidc.flow import (
    AUTHORIZE,
    DISCOVERY,
    JWKS,
    TOKEN,
    USERINFO,
    Authorization,
    basic_auth,
    code_for,
    consent,
    new_client,
    redirect_params,
    verify_id_token,
)

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
PAR = "/identity/o/par"
TOKEN_URL = f"{settings.SITE_URL}{TOKEN}"
USERINFO_URL = f"{settings.SITE_URL}{USERINFO}"
ME_URL = f"{settings.SITE_URL}{ME}"


class DPoPKey:
    """A client's DPoP key pair and the proofs it signs (as a partner's code would build them)."""

    def __init__(self, alg: str = "ES256", bits: int = 2048) -> None:
        self.alg = alg
        if alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.public_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            self.public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))

    @property
    def jkt(self) -> str:
        members = ("crv", "kty", "x", "y") if self.public_jwk["kty"] == "EC" else ("e", "kty", "n")
        canonical = json.dumps({k: self.public_jwk[k] for k in members}, separators=(",", ":"))
        return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()

    def proof(
        self,
        htm: str,
        htu: str,
        *,
        nonce: str | None = "fresh",
        access_token: str | None = None,
        iat: float | None = None,
        headers: dict[str, Any] | None = None,
        replace: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        payload: dict[str, Any] = {
            "jti": uuid.uuid4().hex,
            "htm": htm,
            "htu": htu,
            "iat": int(time.time() if iat is None else iat),
        }
        if nonce == "fresh":
            nonce = dpop.nonce_issue()
        if nonce is not None:
            payload["nonce"] = nonce
        if access_token is not None:
            payload["ath"] = dpop.access_token_hash(access_token)
        payload.update(claims)
        payload.update(replace or {})
        header = {"typ": "dpop+jwt", "jwk": self.public_jwk, **(headers or {})}
        return jwt.encode(payload, self.private, algorithm=self.alg, headers=header)


def exchange(
    web: BrowserClient,
    authorization: Authorization,
    code: str,
    key: DPoPKey | None,
    htu: str = TOKEN_URL,
    **kw: Any,
):
    headers = {"HTTP_AUTHORIZATION": basic_auth(authorization.new.client.id, authorization.new.secret)}
    if key is not None:
        headers["HTTP_DPOP"] = key.proof("POST", htu, **kw)
    return authorization.exchange(web, code, headers=headers)


def refresh(web: BrowserClient, authorization: Authorization, refresh_token: str, key: DPoPKey | None):
    headers = {"HTTP_AUTHORIZATION": basic_auth(authorization.new.client.id, authorization.new.secret)}
    if key is not None:
        headers["HTTP_DPOP"] = key.proof("POST", TOKEN_URL)
    return web.post(TOKEN, {"grant_type": "refresh_token", "refresh_token": refresh_token}, **headers)


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


@pytest.fixture
def flow(web: BrowserClient, resident: object) -> tuple[Authorization, str]:
    """A signed-in resident who consented; returns the authorization and its fresh code."""
    web.force_login(resident)
    authorization = Authorization(new_client())
    return authorization, code_for(web, authorization)


@pytest.fixture
def bound(web: BrowserClient, flow: tuple[Authorization, str], key: DPoPKey) -> dict[str, Any]:
    """Tokens bound to `key`."""
    authorization, code = flow
    response = exchange(web, authorization, code, key)
    assert response.status_code == 200, response.content
    return {"authorization": authorization, **response.json()}


def dpop_get(web: BrowserClient, path: str, url: str, key: DPoPKey, token: str, **kw: Any):
    return web.get(
        path, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=key.proof("GET", url, access_token=token, **kw)
    )


def oauth_request(client: Any) -> OAuthRequest:
    request = OAuthRequest(TOKEN_URL, "POST")
    request.client = client
    return request


def error_of(response: Any) -> str:
    return response.json()["error"]


def test_discovery_names_the_proof_algorithms(web: BrowserClient) -> None:
    metadata = web.get(DISCOVERY).json()
    assert metadata["dpop_signing_alg_values_supported"] == ["ES256", "PS256", "RS256"]


class TestTokenEndpoint:
    def test_nonce_challenge_then_bound_tokens(
        self, web: BrowserClient, flow: tuple[Authorization, str], key: DPoPKey
    ) -> None:
        authorization, code = flow
        first = exchange(web, authorization, code, key, nonce=None)
        assert first.status_code == 400
        assert error_of(first) == "use_dpop_nonce"
        nonce = first["DPoP-Nonce"]
        assert dpop.nonce_valid(nonce)

        response = exchange(web, authorization, code, key, nonce=nonce)
        assert response.status_code == 200, response.content
        assert response["DPoP-Nonce"]
        tokens = response.json()
        assert tokens["token_type"] == "DPoP"
        stored = Token.objects.filter(client=authorization.new.client)
        assert {token.type for token in stored} == {Token.Type.ACCESS_TOKEN, Token.Type.REFRESH_TOKEN}
        assert all(token.data["cnf"] == {"jkt": key.jkt} for token in stored)
        # The ID token is unchanged by DPoP and verifies as a partner would.
        claims = verify_id_token(web, tokens["id_token"], authorization.new.client.id, tokens["access_token"])
        assert claims["nonce"] == authorization.nonce

    @pytest.mark.parametrize("alg", ["PS256", "RS256"])
    def test_rsa_proofs_are_accepted(
        self, web: BrowserClient, flow: tuple[Authorization, str], alg: str
    ) -> None:
        authorization, code = flow
        response = exchange(web, authorization, code, DPoPKey(alg))
        assert response.status_code == 200, response.content
        assert response.json()["token_type"] == "DPoP"

    def test_without_a_proof_tokens_stay_bearer(
        self, web: BrowserClient, flow: tuple[Authorization, str]
    ) -> None:
        authorization, code = flow
        tokens = exchange(web, authorization, code, None).json()
        assert tokens["token_type"] == "Bearer"
        assert all(not (token.data or {}).get("cnf") for token in Token.objects.all())

    @pytest.mark.parametrize(
        "bad",
        [
            pytest.param({"htm": "GET"}, id="wrong htm"),
            pytest.param({"htu": f"{settings.SITE_URL}/identity/o/api/userinfo"}, id="wrong htu"),
            pytest.param({"htu": "https://evil.example/identity/o/api/token"}, id="other host htu"),
            pytest.param({"headers": {"typ": "JWT"}}, id="wrong typ"),
            pytest.param({"iat": time.time() - 600}, id="stale iat"),
            pytest.param({"iat": time.time() + 600}, id="future iat"),
            pytest.param({"nonce": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, id="forged nonce"),
        ],
    )
    def test_a_bad_proof_is_refused(
        self, web: BrowserClient, flow: tuple[Authorization, str], key: DPoPKey, bad: dict
    ) -> None:
        authorization, code = flow
        bad = dict(bad)
        htm, htu = bad.pop("htm", "POST"), bad.pop("htu", TOKEN_URL)
        headers = {"HTTP_AUTHORIZATION": basic_auth(authorization.new.client.id, authorization.new.secret)}
        headers["HTTP_DPOP"] = key.proof(htm, htu, **bad)
        response = authorization.exchange(web, code, headers=headers)
        assert response.status_code == 400
        assert error_of(response) in ("invalid_dpop_proof", "use_dpop_nonce")
        # The code was not spent by the refused request.
        assert exchange(web, authorization, code, key).status_code == 200

    def test_htu_is_compared_without_query_and_fragment(
        self, web: BrowserClient, flow: tuple[Authorization, str], key: DPoPKey
    ) -> None:
        authorization, code = flow
        response = exchange(web, authorization, code, key, htu=f"{TOKEN_URL}?x=1#frag")
        assert response.status_code == 200, response.content

    def test_a_replayed_proof_is_refused(
        self, web: BrowserClient, flow: tuple[Authorization, str], key: DPoPKey
    ) -> None:
        authorization, code = flow
        proof = key.proof("POST", TOKEN_URL)
        body = authorization.grant(code)
        auth = basic_auth(authorization.new.client.id, authorization.new.secret)
        assert web.post(TOKEN, body, HTTP_AUTHORIZATION=auth, HTTP_DPOP=proof).status_code == 200
        tokens = Token.objects.count()
        again = web.post(TOKEN, body, HTTP_AUTHORIZATION=auth, HTTP_DPOP=proof)
        assert again.status_code == 400
        assert error_of(again) == "invalid_dpop_proof"
        assert Token.objects.count() == tokens

    @pytest.mark.parametrize(
        "proof",
        [
            pytest.param("garbage", id="not a JWT"),
            pytest.param("a.b.c", id="bad segments"),
            pytest.param("", id="empty"),
            pytest.param("x" * 20000, id="huge"),
        ],
    )
    def test_malformed_proofs_are_400_not_500(
        self, web: BrowserClient, flow: tuple[Authorization, str], proof: str
    ) -> None:
        authorization, code = flow
        auth = basic_auth(authorization.new.client.id, authorization.new.secret)
        response = web.post(
            TOKEN,
            {"grant_type": "authorization_code", "code": code},
            HTTP_AUTHORIZATION=auth,
            HTTP_DPOP=proof,
        )
        assert response.status_code == 400
        assert error_of(response) == "invalid_dpop_proof"

    def test_two_proofs_in_one_request_are_refused(
        self, web: BrowserClient, flow: tuple[Authorization, str], key: DPoPKey
    ) -> None:
        authorization, code = flow
        two = f"{key.proof('POST', TOKEN_URL)}, {key.proof('POST', TOKEN_URL)}"
        auth = basic_auth(authorization.new.client.id, authorization.new.secret)
        response = web.post(
            TOKEN, {"grant_type": "authorization_code", "code": code}, HTTP_AUTHORIZATION=auth, HTTP_DPOP=two
        )
        assert error_of(response) == "invalid_dpop_proof"


class TestProofValidation:
    """`dpop.validate_proof` directly, for the header rules a client library would never break."""

    def check(self, proof: str, **kw: Any) -> str:
        with pytest.raises(dpop.InvalidDPoPProof) as raised:
            dpop.validate_proof(proof, method="POST", uri=TOKEN_URL, **kw)
        return raised.value.description

    def test_alg_none_is_refused(self, key: DPoPKey) -> None:
        claims = {
            "jti": "1",
            "htm": "POST",
            "htu": TOKEN_URL,
            "iat": int(time.time()),
            "nonce": dpop.nonce_issue(),
        }
        unsigned = jwt.encode(
            claims, None, algorithm="none", headers={"typ": "dpop+jwt", "jwk": key.public_jwk}
        )
        assert "alg" in self.check(unsigned)

    def test_hs256_is_refused(self, key: DPoPKey) -> None:
        claims = {"jti": "1", "htm": "POST", "htu": TOKEN_URL, "iat": int(time.time())}
        headers = {"typ": "dpop+jwt", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}
        assert "alg" in self.check(jwt.encode(claims, "secret" * 6, algorithm="HS256", headers=headers))

    def test_a_private_key_in_the_header_is_refused(self, key: DPoPKey) -> None:
        private = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.private))
        assert "public" in self.check(key.proof("POST", TOKEN_URL, headers={"jwk": private}))

    def test_a_key_that_did_not_sign_is_refused(self, key: DPoPKey) -> None:
        other = DPoPKey()
        assert "signature" in self.check(key.proof("POST", TOKEN_URL, headers={"jwk": other.public_jwk}))

    def test_missing_jwk_and_wrong_key_types_are_refused(self, key: DPoPKey) -> None:
        self.check(key.proof("POST", TOKEN_URL, headers={"jwk": None}))
        self.check(key.proof("POST", TOKEN_URL, headers={"jwk": "a string"}))
        rsa_key = DPoPKey("RS256")
        self.check(key.proof("POST", TOKEN_URL, headers={"jwk": rsa_key.public_jwk}))  # ES256 with RSA key

    @pytest.mark.parametrize(
        "claims",
        [
            {"htu": "https://\u00fc.example/identity/o/api/token"},
            {"htu": "http://[::1"},
            {"htu": "http://127.0.0.1:99999/identity/o/api/token"},
            {"htu": 5},
            {"htm": ["POST"]},
            {"ath": "\u00fc"},
            {"jti": "j" * 300},
            {"iat": "now"},
            {"iat": True},
        ],
    )
    def test_odd_claims_are_refused_cleanly(self, key: DPoPKey, claims: dict) -> None:
        self.check(key.proof("POST", TOKEN_URL, replace=claims), access_token="tok")

    @pytest.mark.parametrize(
        "jwk",
        [
            {"kty": "EC", "crv": "P-256", "x": "AAA", "y": "BBB"},
            {"kty": "EC", "crv": "P-384", "x": "AAA", "y": "BBB"},
            {"kty": "EC"},
            {"kty": "OKP", "crv": "Ed25519", "x": "AAA"},
            {},
        ],
    )
    def test_unusable_keys_are_refused_cleanly(self, key: DPoPKey, jwk: dict) -> None:
        self.check(key.proof("POST", TOKEN_URL, headers={"jwk": jwk}))

    def test_small_rsa_keys_are_refused(self) -> None:
        small = DPoPKey("RS256", bits=1024)
        assert "2048" in self.check(small.proof("POST", TOKEN_URL))

    @pytest.mark.parametrize("missing", ["jti", "htm", "htu", "iat"])
    def test_required_claims(self, key: DPoPKey, missing: str) -> None:
        claims = {
            "jti": "j",
            "htm": "POST",
            "htu": TOKEN_URL,
            "iat": int(time.time()),
            "nonce": dpop.nonce_issue(),
        }
        del claims[missing]
        proof = jwt.encode(
            claims, key.private, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": key.public_jwk}
        )
        self.check(proof)

    def test_a_proof_without_a_nonce_asks_for_one(self, key: DPoPKey) -> None:
        with pytest.raises(dpop.UseDPoPNonce):
            dpop.validate_proof(key.proof("POST", TOKEN_URL, nonce=None), method="POST", uri=TOKEN_URL)

    def test_nonces_rotate_and_expire(self) -> None:
        now = time.time()
        nonce = dpop.nonce_issue(now)
        assert dpop.nonce_valid(nonce, now)
        assert dpop.nonce_valid(nonce, now + dpop.NONCE_PERIOD)  # the previous window still counts
        assert not dpop.nonce_valid(nonce, now + 2 * dpop.NONCE_PERIOD + 1)
        assert dpop.nonce_issue(now + dpop.NONCE_PERIOD) != nonce
        assert not dpop.nonce_valid(nonce[:-2] + ("AA" if nonce[-2:] != "AA" else "BA"), now)
        for garbage in (None, 5, "", "!" * 32, "A" * 31):
            assert not dpop.nonce_valid(garbage, now)

    def test_ath_is_checked_when_a_token_is_presented(self, key: DPoPKey) -> None:
        assert "ath" in self.check(key.proof("POST", TOKEN_URL), access_token="tok")
        assert "ath" in self.check(key.proof("POST", TOKEN_URL, ath="wrong"), access_token="tok")
        proof = dpop.validate_proof(
            key.proof("POST", TOKEN_URL, access_token="tok"), method="POST", uri=TOKEN_URL, access_token="tok"
        )
        assert proof.jkt == key.jkt


class TestResourceServers:
    @pytest.mark.parametrize(("path", "url"), [(USERINFO, USERINFO_URL), (ME, ME_URL)])
    def test_a_bound_token_with_its_proof_is_accepted(
        self, web: BrowserClient, bound: dict, key: DPoPKey, path: str, url: str
    ) -> None:
        response = dpop_get(web, path, url, key, bound["access_token"])
        assert response.status_code == 200, response.content
        assert response.json()["sub"]

    @pytest.mark.parametrize(("path", "url"), [(USERINFO, USERINFO_URL), (ME, ME_URL)])
    def test_a_bound_token_as_bearer_is_invalid_token(
        self, web: BrowserClient, bound: dict, path: str, url: str
    ) -> None:
        response = web.get(path, HTTP_AUTHORIZATION=f"Bearer {bound['access_token']}")
        assert response.status_code == 401
        challenge = response["WWW-Authenticate"]
        assert challenge.startswith("DPoP ") and 'error="invalid_token"' in challenge
        assert 'algs="ES256 PS256 RS256"' in challenge

    @pytest.mark.parametrize(("path", "url"), [(USERINFO, USERINFO_URL), (ME, ME_URL)])
    def test_a_proof_by_another_key_is_refused(
        self, web: BrowserClient, bound: dict, path: str, url: str
    ) -> None:
        response = dpop_get(web, path, url, DPoPKey(), bound["access_token"])
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]

    @pytest.mark.parametrize(("path", "url"), [(USERINFO, USERINFO_URL), (ME, ME_URL)])
    def test_missing_or_wrong_ath_is_invalid_dpop_proof(
        self, web: BrowserClient, bound: dict, key: DPoPKey, path: str, url: str
    ) -> None:
        token = bound["access_token"]
        for proof in (key.proof("GET", url), key.proof("GET", url, access_token=token + "x")):
            response = web.get(path, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
            assert response.status_code == 401
            assert response["WWW-Authenticate"].startswith("DPoP ")
            assert 'error="invalid_dpop_proof"' in response["WWW-Authenticate"]

    @pytest.mark.parametrize(("path", "url"), [(USERINFO, USERINFO_URL), (ME, ME_URL)])
    def test_wrong_htu_or_htm_or_missing_proof(
        self, web: BrowserClient, bound: dict, key: DPoPKey, path: str, url: str
    ) -> None:
        token = bound["access_token"]
        for proof in (
            key.proof("GET", TOKEN_URL, access_token=token),
            key.proof("POST", url, access_token=token),
            None,
        ):
            extra = {"HTTP_DPOP": proof} if proof else {}
            response = web.get(path, HTTP_AUTHORIZATION=f"DPoP {token}", **extra)
            assert response.status_code == 401
            assert 'error="invalid_dpop_proof"' in response["WWW-Authenticate"]

    @pytest.mark.parametrize(("path", "url"), [(USERINFO, USERINFO_URL), (ME, ME_URL)])
    def test_a_replayed_proof_is_refused(
        self, web: BrowserClient, bound: dict, key: DPoPKey, path: str, url: str
    ) -> None:
        token = bound["access_token"]
        proof = key.proof("GET", url, access_token=token)
        assert web.get(path, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof).status_code == 200
        again = web.get(path, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
        assert again.status_code == 401
        assert 'error="invalid_dpop_proof"' in again["WWW-Authenticate"]

    @pytest.mark.parametrize(("path", "url"), [(USERINFO, USERINFO_URL), (ME, ME_URL)])
    def test_nonce_challenge_then_success(
        self, web: BrowserClient, bound: dict, key: DPoPKey, path: str, url: str
    ) -> None:
        token = bound["access_token"]
        response = dpop_get(web, path, url, key, token, nonce=None)
        assert response.status_code == 401
        assert "DPoP " in response["WWW-Authenticate"]
        assert 'error="use_dpop_nonce"' in response["WWW-Authenticate"]
        nonce = response["DPoP-Nonce"]
        assert dpop_get(web, path, url, key, token, nonce=nonce).status_code == 200

    @pytest.mark.parametrize(("path", "url"), [(USERINFO, USERINFO_URL), (ME, ME_URL)])
    def test_an_unbound_token_is_not_accepted_as_dpop(
        self, web: BrowserClient, flow: tuple[Authorization, str], key: DPoPKey, path: str, url: str
    ) -> None:
        authorization, code = flow
        token = exchange(web, authorization, code, None).json()["access_token"]
        assert web.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
        response = dpop_get(web, path, url, key, token)
        assert response.status_code == 401

    @pytest.mark.parametrize("header", ["DPoP ", "DPoP a b", "dpop"])
    def test_malformed_dpop_authorization_is_401(self, web: BrowserClient, header: str) -> None:
        for path in (USERINFO, ME):
            response = web.get(path, HTTP_AUTHORIZATION=header, HTTP_DPOP="x")
            assert response.status_code == 401


class TestRefresh:
    def test_refresh_with_the_same_key_stays_bound(
        self, web: BrowserClient, bound: dict, key: DPoPKey
    ) -> None:
        response = refresh(web, bound["authorization"], bound["refresh_token"], key)
        assert response.status_code == 200, response.content
        tokens = response.json()
        assert tokens["token_type"] == "DPoP"
        new_access = Token.objects.lookup(Token.Type.ACCESS_TOKEN, tokens["access_token"])
        assert new_access.data["cnf"] == {"jkt": key.jkt}

    def test_refresh_with_another_key_is_invalid_grant(self, web: BrowserClient, bound: dict) -> None:
        response = refresh(web, bound["authorization"], bound["refresh_token"], DPoPKey())
        assert response.status_code == 400
        assert error_of(response) == "invalid_grant"

    def test_refresh_without_a_proof_is_refused(self, web: BrowserClient, bound: dict) -> None:
        response = refresh(web, bound["authorization"], bound["refresh_token"], None)
        assert response.status_code == 400
        assert error_of(response) == "invalid_dpop_proof"


class TestCodeBinding:
    """`dpop_jkt` (RFC 9449 §10) at /authorize or a DPoP proof at PAR binds the code to a key."""

    def test_dpop_jkt_at_authorize(self, web: BrowserClient, resident: object, key: DPoPKey) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        url = authorization.url(dpop_jkt=key.jkt)
        code = redirect_params(consent(web, url), authorization.redirect_uri)["code"]
        assert error_of(exchange(web, authorization, code, None)) == "invalid_dpop_proof"
        assert error_of(exchange(web, authorization, code, DPoPKey())) == "invalid_grant"
        assert exchange(web, authorization, code, key).status_code == 200

    def test_a_malformed_dpop_jkt_is_an_error(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        response = web.get(authorization.url(dpop_jkt="nope"))
        assert response.status_code == 302
        assert "error=invalid_request" in response["Location"]

    def test_par_asks_for_a_nonce_before_authenticating_the_client(
        self, web: BrowserClient, key: DPoPKey
    ) -> None:
        authorization = Authorization(new_client())
        body = {
            k: unquote_plus(v)
            for k, v in (x.split("=", 1) for x in authorization.url().split("?", 1)[1].split("&"))
        }
        response = web.post(
            PAR,
            urlencode(body),
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=basic_auth(authorization.new.client.id, "wrong secret"),
            HTTP_DPOP=key.proof("POST", f"{settings.SITE_URL}{PAR}", nonce=None),
        )
        assert response.status_code == 400
        assert error_of(response) == "use_dpop_nonce"
        assert dpop.nonce_valid(response["DPoP-Nonce"])

    def test_a_proof_at_par_binds_the_code(self, web: BrowserClient, resident: object, key: DPoPKey) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        body = dict(x.split("=", 1) for x in authorization.url().split("?", 1)[1].split("&"))
        body = {k: unquote_plus(v) for k, v in body.items()}
        response = web.post(
            PAR,
            urlencode(body),
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=basic_auth(authorization.new.client.id, authorization.new.secret),
            HTTP_DPOP=key.proof("POST", f"{settings.SITE_URL}{PAR}"),
        )
        assert response.status_code == 201, response.content
        reference = {"client_id": authorization.new.client.id, "request_uri": response.json()["request_uri"]}
        url = f"{AUTHORIZE}?{urlencode(reference)}"
        code = redirect_params(consent(web, url), authorization.redirect_uri)["code"]
        assert error_of(exchange(web, authorization, code, DPoPKey())) == "invalid_grant"
        assert exchange(web, authorization, code, key).json()["token_type"] == "DPoP"


class TestFapiAndIntrospection:
    def test_fapi_clients_must_send_dpop(self, key: DPoPKey, rf: Any) -> None:
        from allauth.core.context import request_context
        from allauth.idp.oidc.internal.oauthlib.utils import get_validator_context

        with request_context(rf.post(TOKEN)):
            self._check_fapi(key, get_validator_context)

    def _check_fapi(self, key: DPoPKey, get_validator_context: Any) -> None:
        fapi = SimpleNamespace(data={"fapi": True}, id="c")
        with pytest.raises(errors.InvalidRequestError):
            dpop.check_token_request(oauth_request(fapi), bound_jkt=None)
        get_validator_context().eid_dpop_jkt = key.jkt
        dpop.check_token_request(oauth_request(fapi), bound_jkt=None)
        other = SimpleNamespace(data={}, id="d")
        get_validator_context().eid_dpop_jkt = None
        dpop.check_token_request(oauth_request(other), bound_jkt=None)

    def test_introspection_names_the_key(self, bound: dict, key: DPoPKey) -> None:
        token = Token.objects.lookup(Token.Type.ACCESS_TOKEN, bound["access_token"])
        response: dict[str, Any] = {}
        get_adapter().populate_introspection_response(response=response, token=token)
        assert response["cnf"] == {"jkt": key.jkt}
        unbound: dict[str, Any] = {}
        get_adapter().populate_introspection_response(response=unbound, token=Token(data={"email": "x"}))
        assert "cnf" not in unbound

    def test_the_introspection_endpoint_returns_cnf(
        self, web: BrowserClient, bound: dict, key: DPoPKey
    ) -> None:
        try:
            introspect = reverse("idp:oidc:introspect")
        except NoReverseMatch:
            pytest.skip("introspection is not routed")
        new = bound["authorization"].new
        response = web.post(
            introspect,
            {"token": bound["access_token"]},
            HTTP_AUTHORIZATION=basic_auth(new.client.id, new.secret),
        )
        assert response.status_code == 200, response.content
        assert response.json()["active"] is True
        assert response.json()["cnf"] == {"jkt": key.jkt}


class TestFapiPartnerEndToEnd:
    """A FAPI 2.0 partner as the issue describes it: PAR, private_key_jwt, PKCE, DPoP."""

    def test_par_private_key_jwt_dpop_and_the_id_token(self, web: BrowserClient, resident: object) -> None:
        from tests.eid.oidc.assertions import assertion_params, client_assertion, ec_key, jwks_of

        auth_key, dpop_key = ec_key("bank-auth"), DPoPKey()
        new = new_client(name="FAPI bank", fapi=True, jwks=jwks_of(auth_key))
        authorization = Authorization(new)
        web.force_login(resident)
        assert web.get(authorization.url()).status_code == 400  # must push

        def assertion() -> dict[str, str]:
            return assertion_params(client_assertion(new.client.id, auth_key, aud=settings.SITE_URL))

        query = authorization.url().split("?", 1)[1]
        body = {**{k: unquote_plus(v) for k, v in (x.split("=", 1) for x in query.split("&"))}, **assertion()}
        pushed = web.post(
            PAR,
            urlencode(body),
            content_type="application/x-www-form-urlencoded",
            HTTP_DPOP=dpop_key.proof("POST", f"{settings.SITE_URL}{PAR}"),
        )
        assert pushed.status_code == 201, pushed.content
        reference = {"client_id": new.client.id, "request_uri": pushed.json()["request_uri"]}
        code = redirect_params(
            consent(web, f"{AUTHORIZE}?{urlencode(reference)}"), authorization.redirect_uri
        )["code"]

        grant = authorization.grant(code)
        without = web.post(TOKEN, {**grant, **assertion()})
        assert without.status_code == 400
        assert error_of(without) == "invalid_request"  # FAPI: DPoP required

        response = web.post(TOKEN, {**grant, **assertion()}, HTTP_DPOP=dpop_key.proof("POST", TOKEN_URL))
        assert response.status_code == 200, response.content
        tokens = response.json()
        assert tokens["token_type"] == "DPoP"
        header = jose_jwt.get_unverified_header(tokens["id_token"])
        (key,) = [key for key in web.get(JWKS).json()["keys"] if key["kid"] == header["kid"]]
        assert header["alg"] in ("ES256", "PS256")
        claims = jose_jwt.decode(
            tokens["id_token"],
            key,
            algorithms=[header["alg"]],
            audience=new.client.id,
            issuer=settings.SITE_URL,
            access_token=tokens["access_token"],
        )
        assert claims["nonce"] == authorization.nonce
        userinfo = dpop_get(web, USERINFO, USERINFO_URL, dpop_key, tokens["access_token"])
        assert userinfo.status_code == 200
        assert userinfo.json()["sub"] == claims["sub"]
