"""private_key_jwt client authentication: RFC 7523 §3, RFC 7521 §4.2, OIDC Core §9.

Each test states one MUST; a refused assertion is always 401 `invalid_client` JSON (RFC 6749 §5.2).
"""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client as BrowserClient

from eid.oidc.clients import client_auth_method
from eid.oidc.models import SeenJwtId
from tests.eid.oidc.assertions import (
    JwksServer,
    assertion_params,
    client_assertion,
    ec_key,
    jwks_of,
    rsa_key,
)
from tests.eid.oidc.flow import TOKEN, Authorization, basic_auth, code_for, new_client

pytestmark = pytest.mark.django_db

REVOKE = "/identity/o/api/revoke"
PAR = "/identity/o/par"
TOKEN_URL = settings.SITE_URL + TOKEN


@pytest.fixture
def key():
    return ec_key()


@pytest.fixture
def partner(key):
    """A partner registered for private_key_jwt with an inline JWK Set (not FAPI: RS256 allowed)."""
    return new_client(
        name="Partner", auth_method="private_key_jwt", jwks=jwks_of(key, rsa_key("rs", "RS256"))
    )


def exchange(web: BrowserClient, authorization: Authorization, code: str, **params: str) -> object:
    return authorization.exchange(web, code, **params)


def assert_invalid_client(response: object) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "invalid_client"


@pytest.fixture
def code_request(web: BrowserClient, resident: object, partner: object):
    """A fresh code for the partner, and a function to redeem it with given assertion params."""
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    return lambda **params: exchange(web, authorization, code, **params)


def test_a_partner_registered_for_private_key_jwt_has_no_secret(partner) -> None:
    assert partner.secret is None
    assert client_auth_method(partner.client) == "private_key_jwt"


@pytest.mark.parametrize("alg", ["ES256", "PS256", "RS256"])
def test_a_valid_assertion_authenticates_the_client(web, resident, alg) -> None:
    """iss = sub = client_id, aud = token endpoint, exp near, jti fresh: tokens are issued."""
    key = ec_key() if alg == "ES256" else rsa_key(alg=alg)
    partner = new_client(auth_method="private_key_jwt", jwks=jwks_of(key))
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    response = exchange(
        web, authorization, code, **assertion_params(client_assertion(partner.client.id, key))
    )
    assert response.status_code == 200, response.content
    # An ID token although no client_id was sent (the client is named by the assertion alone).
    assert response.json()["access_token"] and response.json()["id_token"]


def test_client_id_parameter_may_accompany_the_assertion_but_must_match(code_request, partner, key) -> None:
    """RFC 7521 §4.2: client_id is optional; when sent it names the same client."""
    assertion = client_assertion(partner.client.id, key)
    assert_invalid_client(code_request(client_id="someone-else", **assertion_params(assertion)))
    assertion = client_assertion(partner.client.id, key)
    assert code_request(client_id=partner.client.id, **assertion_params(assertion)).status_code == 200


@pytest.mark.parametrize(
    "aud",
    [
        settings.SITE_URL,  # the issuer
        TOKEN_URL,  # the token endpoint
        [TOKEN_URL, "https://other.example"],  # a list containing one of ours
    ],
    ids=["issuer", "token-endpoint", "list"],
)
def test_aud_naming_this_server_is_accepted(code_request, partner, key, aud) -> None:
    assertion = client_assertion(partner.client.id, key, aud=aud)
    assert code_request(**assertion_params(assertion)).status_code == 200


@pytest.mark.parametrize(
    "aud",
    [
        "https://other-idp.example/token",
        settings.SITE_URL + "/",  # not the issuer string
        settings.SITE_URL + REVOKE,  # another endpoint than the one called
        ["https://other-idp.example"],
    ],
    ids=["foreign", "trailing-slash", "other-endpoint", "foreign-list"],
)
def test_wrong_aud_is_refused(code_request, partner, key, aud) -> None:
    assertion = client_assertion(partner.client.id, key, aud=aud)
    assert_invalid_client(code_request(**assertion_params(assertion)))


def test_alg_none_is_refused(code_request, partner) -> None:
    claims = {
        "iss": partner.client.id,
        "sub": partner.client.id,
        "aud": TOKEN_URL,
        "exp": int(time.time()) + 60,
        "jti": "none-1",
    }
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_invalid_client(code_request(**assertion_params(unsigned)))
    # Hand-made, with an empty signature and the kid of a registered key.
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "ec-1"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps({**claims, "jti": "none-2"}).encode()).rstrip(b"=")
    assert_invalid_client(code_request(**assertion_params(f"{header.decode()}.{body.decode()}.")))


def test_hs256_keyed_with_the_public_key_is_refused(code_request, partner, key) -> None:
    """Algorithm confusion: an HMAC over the client's public JWK (which anyone can fetch)."""
    claims = {"iss": partner.client.id, "sub": partner.client.id, "aud": TOKEN_URL, "jti": "hs"}
    claims["exp"] = int(time.time()) + 60

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    # Built by hand: PyJWT itself refuses to use a JWK as an HMAC secret.
    signing_input = (
        f"{b64(json.dumps({'alg': 'HS256', 'kid': 'ec-1'}).encode())}.{b64(json.dumps(claims).encode())}"
    )
    for secret in (json.dumps(key.public_jwk()).encode(), key.public_jwk()["x"].encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert_invalid_client(code_request(**assertion_params(f"{signing_input}.{b64(mac)}")))


def test_hs256_with_the_client_secret_is_refused(web, resident) -> None:
    """client_secret_jwt is not offered: a secret client's HS256 assertion does not authenticate."""
    department = new_client(name="Department")
    web.force_login(resident)
    authorization = Authorization(department)
    code = code_for(web, authorization)
    claims = {"iss": department.client.id, "sub": department.client.id, "aud": TOKEN_URL, "jti": "s1"}
    forged = jwt.encode({**claims, "exp": int(time.time()) + 60}, department.secret, algorithm="HS256")
    assert_invalid_client(exchange(web, authorization, code, **assertion_params(forged)))


def test_rs256_is_refused_for_a_fapi_client(code_request) -> None:
    key = rsa_key("fapi-rs", "RS256")
    fapi = new_client(name="FAPI bank", fapi=True, jwks=jwks_of(key, ec_key("fapi-ec")))
    assert client_auth_method(fapi.client) == "private_key_jwt"
    from eid.oidc.client_assertions import InvalidClientAssertion, verify_client_assertion

    with pytest.raises(InvalidClientAssertion, match="algorithm"):
        verify_client_assertion(
            client=fapi.client, assertion=client_assertion(fapi.client.id, key), audiences=[TOKEN_URL]
        )


def test_missing_exp_is_refused(code_request, partner, key) -> None:
    assertion = client_assertion(partner.client.id, key, exp=None)
    assert_invalid_client(code_request(**assertion_params(assertion)))


@pytest.mark.parametrize("claims", [{"exp": "soon"}, {"iat": "now"}, {"exp": True}], ids=str)
def test_non_numeric_times_are_refused_not_500(code_request, partner, key, claims) -> None:
    later = str(int(time.time()) + 60)
    for value in (claims, {name: later for name in claims}):  # a word, then a numeric string
        assertion = client_assertion(partner.client.id, key, **value)
        assert_invalid_client(code_request(**assertion_params(assertion)))


def test_expired_assertion_is_refused(code_request, partner, key) -> None:
    past = int(time.time()) - 120
    assertion = client_assertion(partner.client.id, key, iat=past - 60, exp=past)
    assert_invalid_client(code_request(**assertion_params(assertion)))


def test_a_lifetime_over_five_minutes_is_refused(code_request, partner, key) -> None:
    assertion = client_assertion(partner.client.id, key, lifetime=3600)
    assert_invalid_client(code_request(**assertion_params(assertion)))
    # Without iat, exp itself must be near.
    assertion = client_assertion(partner.client.id, key, iat=None, lifetime=900)
    assert_invalid_client(code_request(**assertion_params(assertion)))


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_an_assertion_from_the_future_is_refused(code_request, partner, key, claim) -> None:
    later = int(time.time()) + 240
    assertion = client_assertion(partner.client.id, key, **{claim: later}, exp=later + 30)
    assert_invalid_client(code_request(**assertion_params(assertion)))


def test_a_small_clock_skew_is_tolerated(code_request, partner, key) -> None:
    now = int(time.time())
    assertion = client_assertion(partner.client.id, key, iat=now + 10, nbf=now + 10)
    assert code_request(**assertion_params(assertion)).status_code == 200


def test_a_replayed_jti_is_refused(web, resident, partner, key) -> None:
    """RFC 7523 §3 item 7: the jti is one-time; the second use fails even at another endpoint."""
    web.force_login(resident)
    authorization = Authorization(partner)
    assertion = client_assertion(partner.client.id, key, aud=settings.SITE_URL)
    first = exchange(web, authorization, code_for(web, authorization), **assertion_params(assertion))
    assert first.status_code == 200
    assert SeenJwtId.objects.filter(purpose="client_assertion", issuer=partner.client.id).count() == 1
    second = exchange(web, authorization, code_for(web, authorization), **assertion_params(assertion))
    assert_invalid_client(second)
    revoke = web.post(REVOKE, {"token": first.json()["access_token"], **assertion_params(assertion)})
    assert_invalid_client(revoke)


def test_missing_jti_is_refused(code_request, partner, key) -> None:
    assertion = client_assertion(partner.client.id, key, jti=None)
    assert_invalid_client(code_request(**assertion_params(assertion)))


@pytest.mark.parametrize(
    "claims",
    [{"iss": "someone-else"}, {"sub": "someone-else"}, {"iss": None}],
    ids=["iss", "sub", "no-iss"],
)
def test_iss_and_sub_must_both_be_the_client_id(code_request, partner, key, claims) -> None:
    assertion = client_assertion(partner.client.id, key, **claims)
    assert_invalid_client(code_request(**assertion_params(assertion)))


def test_an_unknown_kid_is_refused(code_request, partner, key) -> None:
    assertion = client_assertion(partner.client.id, key, kid="not-registered")
    assert_invalid_client(code_request(**assertion_params(assertion)))


def test_a_signature_by_an_unregistered_key_is_refused(code_request, partner) -> None:
    impostor = ec_key("ec-1")  # same kid as the registered key, different key
    assertion = client_assertion(partner.client.id, impostor)
    assert_invalid_client(code_request(**assertion_params(assertion)))


def test_a_header_without_kid_is_tried_against_the_registered_keys(code_request, partner, key) -> None:
    assertion = client_assertion(partner.client.id, key, kid=None)
    assert code_request(**assertion_params(assertion)).status_code == 200


@pytest.mark.parametrize(
    "assertion",
    ["", "garbage", "a.b.c", "eyJhbGciOiJFUzI1NiJ9.e30.", "x" * 10000, "e30.e30.e30"],
    ids=["empty", "word", "dots", "empty-claims", "huge", "no-alg"],
)
def test_a_malformed_assertion_is_invalid_client_never_500(code_request, assertion) -> None:
    assert_invalid_client(code_request(**assertion_params(assertion)))


def test_a_private_key_jwt_client_cannot_use_a_secret(web, resident, partner) -> None:
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    response = authorization.exchange(
        web, code, headers={"HTTP_AUTHORIZATION": basic_auth(partner.client.id, "anything")}
    )
    assert_invalid_client(response)


def test_a_secret_client_cannot_use_an_assertion(web, resident) -> None:
    """Registered for client_secret_basic, with keys on file: the assertion still does not count."""
    key = ec_key()
    department = new_client(name="Department", jwks=jwks_of(key))
    assert department.secret and client_auth_method(department.client) == "client_secret_basic"
    web.force_login(resident)
    authorization = Authorization(department)
    code = code_for(web, authorization)
    response = exchange(
        web, authorization, code, **assertion_params(client_assertion(department.client.id, key))
    )
    assert_invalid_client(response)


def test_only_one_authentication_method_per_request(code_request, partner, key) -> None:
    """RFC 6749 §2.3: an assertion together with a secret is refused."""
    assertion = client_assertion(partner.client.id, key)
    assert_invalid_client(code_request(client_secret="x", **assertion_params(assertion)))


def test_revocation_accepts_an_assertion_addressed_to_it(web, resident, partner, key) -> None:
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    tokens = exchange(
        web, authorization, code, **assertion_params(client_assertion(partner.client.id, key))
    ).json()
    assertion = client_assertion(partner.client.id, key, aud=settings.SITE_URL + REVOKE)
    response = web.post(REVOKE, {"token": tokens["refresh_token"], **assertion_params(assertion)})
    assert response.status_code == 200, response.content
    # Without authentication, revocation is refused.
    assert_invalid_client(web.post(REVOKE, {"token": tokens["access_token"], "client_id": partner.client.id}))


def test_keys_from_a_jwks_uri_are_fetched_cached_and_refetched_on_an_unknown_kid(web, resident) -> None:
    first, rotated = ec_key("2026-a"), ec_key("2026-b")
    with JwksServer(jwks_of(first)) as server:
        partner = new_client(auth_method="private_key_jwt", jwks_uri=server.url)
        web.force_login(resident)
        authorization = Authorization(partner)

        def redeem(key: object) -> object:
            code = code_for(web, authorization)
            return exchange(
                web, authorization, code, **assertion_params(client_assertion(partner.client.id, key))
            )

        assert redeem(first).status_code == 200
        assert redeem(first).status_code == 200
        assert server.hits == 1  # cached
        # The partner rotates: the new kid is unknown to the cache, so the set is fetched again.
        server.jwks = jwks_of(rotated)
        assert redeem(rotated).status_code == 200
        assert server.hits == 2
        # An unknown kid right after a refetch does not fetch again (cooldown), and fails.
        assert_invalid_client(redeem(ec_key("2026-c")))
        assert server.hits == 2


def test_an_unreachable_jwks_uri_is_invalid_client(web, resident) -> None:
    with JwksServer({"keys": []}) as server:
        url = server.url
    partner = new_client(auth_method="private_key_jwt", jwks_uri=url)  # the server is gone
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    assertion = client_assertion(partner.client.id, ec_key())
    assert_invalid_client(exchange(web, authorization, code, **assertion_params(assertion)))
    # For a while, further requests fail fast instead of waiting on the partner's server again.
    from eid.oidc.client_keys import JwksFetchError, remote_jwks

    with pytest.raises(JwksFetchError, match="recently"):
        remote_jwks(url)


def test_an_oversized_jwks_document_is_refused() -> None:
    from eid.oidc.client_keys import JwksFetchError, fetch_jwks

    with (
        JwksServer({"keys": [{"kty": "oct", "k": "x" * 100_000}]}) as server,
        pytest.raises(JwksFetchError, match="too large"),
    ):
        fetch_jwks(server.url)


@pytest.mark.parametrize(
    "uri", ["http://partner.example/jwks.json", "ftp://partner.example/jwks", "jwks.json"], ids=str
)
def test_a_jwks_uri_must_be_https(uri) -> None:
    with pytest.raises(ValidationError):
        new_client(auth_method="private_key_jwt", jwks_uri=uri)


@pytest.mark.parametrize(
    "jwks,message",
    [
        (lambda: {"keys": [ec_key().private_jwk()]}, "public keys only"),
        (lambda: {"keys": [rsa_key().private_jwk()]}, "public keys only"),
        (lambda: {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "public keys only"),
        (lambda: {"keys": [rsa_key(bits=1024).public_jwk()]}, "2048"),
        (lambda: {"keys": []}, "non-empty"),
        (lambda: {"keys": [ec_key("a").public_jwk(), ec_key("a").public_jwk()]}, "unique"),
    ],
    ids=["ec-private", "rsa-private", "symmetric", "rsa-1024", "empty", "duplicate-kid"],
)
def test_a_registered_jwks_holds_acceptable_public_keys_only(jwks, message) -> None:
    with pytest.raises(ValidationError, match=message):
        new_client(auth_method="private_key_jwt", jwks=jwks())


def test_a_p384_key_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec as ec_curves

    from tests.eid.oidc.assertions import PartnerKey

    p384 = PartnerKey(ec_curves.generate_private_key(ec_curves.SECP384R1()), "ES256", "p384")
    with pytest.raises(ValidationError, match="P-256"):
        new_client(auth_method="private_key_jwt", jwks={"keys": [p384.public_jwk(with_alg=False)]})


def test_fapi_clients_must_use_private_key_jwt() -> None:
    with pytest.raises(ValidationError, match="private_key_jwt"):
        new_client(fapi=True, auth_method="client_secret_basic", jwks=jwks_of(ec_key()))
    with pytest.raises(ValidationError, match="public keys"):
        new_client(fapi=True)  # no keys
    fapi = new_client(fapi=True, jwks=jwks_of(ec_key()))
    assert fapi.secret is None and client_auth_method(fapi.client) == "private_key_jwt"


def test_expired_jti_records_are_purged(code_request, partner, key) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from eid.oidc.replay import seen_jwt_ids_purge

    assert code_request(**assertion_params(client_assertion(partner.client.id, key))).status_code == 200
    record = SeenJwtId.objects.get(purpose="client_assertion")
    # Remembered past exp by the leeway, then purged.
    assert record.expires_at > timezone.now() + timedelta(seconds=60)
    assert seen_jwt_ids_purge() == 0
    SeenJwtId.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert seen_jwt_ids_purge() == 1


def test_the_purge_runs_as_a_scheduled_task() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from eid.oidc.replay import jti_first_use
    from eid.oidc.tasks import purge_seen_jwt_ids_task

    jti_first_use(
        purpose="client_assertion", issuer="c", jti="old", expires_at=timezone.now() - timedelta(seconds=1)
    )
    jti_first_use(
        purpose="client_assertion", issuer="c", jti="new", expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert purge_seen_jwt_ids_task.delay().get() == 1
    assert list(SeenJwtId.objects.values_list("jti", flat=True)) == ["new"]
    schedule = settings.CELERY_BEAT_SCHEDULE["oidc-purge-seen-jwt-ids"]
    assert schedule["task"] == purge_seen_jwt_ids_task.name


def push(web: BrowserClient, params: dict) -> object:
    return web.post(PAR, urlencode(params), content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("aud", ["issuer", "par", "token"])
def test_the_par_endpoint_accepts_an_assertion(web, partner, key, aud) -> None:
    """RFC 9126 §2: the issuer, the token endpoint or the PAR endpoint URL as `aud`."""
    audiences = {"issuer": settings.SITE_URL, "par": settings.SITE_URL + PAR, "token": TOKEN_URL}
    authorization = Authorization(partner)
    params = dict(parse_qsl(urlsplit(authorization.url()).query))
    assertion = client_assertion(partner.client.id, key, aud=audiences[aud])
    response = push(web, {**params, **assertion_params(assertion)})
    assert response.status_code == 201, response.content
    assert response.json()["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    # Replayed, or addressed to another endpoint: refused.
    assert_invalid_client(push(web, {**params, **assertion_params(assertion)}))
    elsewhere = client_assertion(partner.client.id, key, aud=settings.SITE_URL + REVOKE)
    assert_invalid_client(push(web, {**params, **assertion_params(elsewhere)}))


def test_in_production_a_jwks_uri_must_be_public_https(settings, fake_dns) -> None:
    from eid.oidc.client_keys import JwksFetchError, fetch_jwks, jwks_uri_validate

    settings.OUTBOUND_ALLOW_LOOPBACK_HTTP = False  # as in production
    fake_dns["keys.partner.example"] = ["10.0.0.5"]
    with pytest.raises(ValidationError):
        jwks_uri_validate("http://127.0.0.1:8000/jwks.json")
    for internal in (
        "https://127.0.0.1/jwks.json",
        "https://10.0.0.5/jwks.json",
        "https://169.254.169.254/x",
        "https://keys.partner.example/jwks.json",  # a name for a private address
    ):
        with pytest.raises(JwksFetchError, match="refused"):
            fetch_jwks(internal)


def test_a_failed_refresh_keeps_the_keys_already_known() -> None:
    from eid.oidc.client_keys import remote_jwks

    key = ec_key("kept")
    with JwksServer(jwks_of(key)) as server:
        url = server.url
        assert remote_jwks(url)["keys"][0]["kid"] == "kept"
    # The server is gone; a refresh (an unknown kid) falls back to the cached set.
    assert remote_jwks(url, refresh=True)["keys"][0]["kid"] == "kept"


def test_the_refresh_grant_accepts_an_assertion_and_returns_an_id_token(web, resident, partner, key) -> None:
    web.force_login(resident)
    authorization = Authorization(partner)
    code = code_for(web, authorization)
    first = exchange(
        web, authorization, code, **assertion_params(client_assertion(partner.client.id, key))
    ).json()
    refreshed = web.post(
        TOKEN,
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            **assertion_params(client_assertion(partner.client.id, key)),
        },
    )
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["id_token"] and refreshed.json()["refresh_token"] != first["refresh_token"]
    # Another client's valid assertion does not redeem this client's refresh token.
    other_key = ec_key()
    other = new_client(name="Other", auth_method="private_key_jwt", jwks=jwks_of(other_key))
    stolen = web.post(
        TOKEN,
        {
            "grant_type": "refresh_token",
            "refresh_token": refreshed.json()["refresh_token"],
            **assertion_params(client_assertion(other.client.id, other_key)),
        },
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"


def test_another_clients_assertion_cannot_redeem_the_code(code_request) -> None:
    other_key = ec_key()
    other = new_client(name="Other", auth_method="private_key_jwt", jwks=jwks_of(other_key))
    response = code_request(**assertion_params(client_assertion(other.client.id, other_key)))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
