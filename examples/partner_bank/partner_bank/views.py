"""Harbour Bank's "Login with eID": the whole relying-party side, top to bottom.

1. `login`: push the authorization request to the portal (PAR, RFC 9126), authenticated with
   private_key_jwt (RFC 7523) and carrying PKCE S256 and a DPoP proof, then send the browser to the
   portal with only `client_id` and the `request_uri` it got back.
2. The resident signs in at the portal and consents; the portal redirects to `callback`.
3. `callback`: check `state` and `iss` (RFC 9207), exchange the code (private_key_jwt, PKCE
   verifier, DPoP), verify the ID token with python-jose, call userinfo with the DPoP-bound token.
4. `account`: the verified claims. `logout`: RP-initiated logout at the portal.
5. `backchannel_logout`: the portal's logout token (OIDC Back-Channel Logout 1.0) ends the session.
"""

import hmac
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from jose import jwt
from jose.exceptions import JOSEError

from partner_bank.dpop import DPoPSession
from partner_bank.keys import keys_load

logger = logging.getLogger(__name__)

# python-jose verifies exactly these; never the token's own `alg` header. ES256 is what the portal
# signs with for FAPI clients (python-jose has no PS256).
ID_TOKEN_ALGORITHMS = ["ES256"]
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# The portal's assurance levels, weakest first (its discovery lists them as acr_values_supported).
ACR_ORDER = ["urn:eid:hk:loa:low", "urn:eid:hk:loa:substantial", "urn:eid:hk:loa:high"]
HTTP_TIMEOUT = 10
# The portal's latest DPoP nonce, shared by this process's requests (a stale one costs one retry).
DPOP_NONCES: dict[str, str] = {}


class LoginFailed(Exception):
    """Something the bank must not accept; the message is shown to the customer."""


# The portal: discovery, keys and the OAuth client ---------------------------------------------


def json_of(response: requests.Response, *, expected: int = 200) -> dict[str, Any]:
    """The JSON object the portal answered, or LoginFailed (the answer logged for the bank's staff)."""
    try:
        data = response.json() if response.status_code == expected else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        logger.warning("%s answered %s: %s", response.url, response.status_code, response.text[:500])
        raise LoginFailed("The eID service answered unexpectedly.")
    return data


def provider() -> dict[str, Any]:
    """The portal's discovery document (OpenID Connect Discovery 1.0), cached for an hour."""
    metadata = cache.get("eid:discovery")
    if metadata is None:
        url = f"{settings.EID_ISSUER}/.well-known/openid-configuration"
        metadata = json_of(requests.get(url, timeout=HTTP_TIMEOUT))
        if metadata.get("issuer") != settings.EID_ISSUER:  # Discovery §4.3: must be identical
            raise LoginFailed("The eID discovery document names another issuer.")
        cache.set("eid:discovery", metadata, 3600)
    return metadata


def portal_keys(*, refresh: bool = False) -> dict[str, Any]:
    """The portal's public JWK Set, cached; `refresh` after a key rotation (unknown key)."""
    keys = None if refresh else cache.get("eid:jwks")
    if keys is None:
        keys = json_of(requests.get(provider()["jwks_uri"], timeout=HTTP_TIMEOUT))
        cache.set("eid:jwks", keys, 300)
    return keys


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """Authlib's private_key_jwt, with assertions valid for 60 s (Authlib's default is an hour; the
    portal accepts at most five) and the key's `kid` in the header. Signed afresh for every request,
    so each carries a new `jti`."""

    def sign(self, auth: Any, token_endpoint: str) -> str:
        key = auth.client_secret
        return private_key_jwt_sign(
            key,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg=self.alg,
            header={"kid": key.kid},
            expires_in=60,
        )


def eid_client(metadata: dict[str, Any]) -> DPoPSession:
    """Authlib's OAuth client: private_key_jwt with the bank's ES256 key, PKCE S256, DPoP."""
    client_auth_key, dpop_key = keys_load(settings.PARTNER_JWKS_PRIVATE)
    return DPoPSession(
        client_id=settings.PARTNER_CLIENT_ID,
        client_secret=client_auth_key,  # Authlib's name; for private_key_jwt it is the private key
        # The assertion's `aud` is the portal's issuer, as FAPI 2.0 asks (the same for PAR and token).
        token_endpoint_auth_method=ShortLivedPrivateKeyJWT(metadata["issuer"], alg="ES256"),
        redirect_uri=f"{settings.PARTNER_BASE_URL}{reverse('callback')}",
        scope=settings.PARTNER_SCOPES,
        code_challenge_method="S256",
        dpop_key=dpop_key,
        dpop_nonces=DPOP_NONCES,
        default_timeout=HTTP_TIMEOUT,
    )


def push_authorization_request(client: DPoPSession, metadata: dict[str, Any], params: dict) -> str:
    """RFC 9126: POST the request; the portal keeps it and answers with a one-time `request_uri`."""
    auth = client.client_auth(client.token_endpoint_auth_method)
    response = client.post(
        metadata["pushed_authorization_request_endpoint"], data=params, auth=auth, withhold_token=True
    )
    return json_of(response, expected=201)["request_uri"]


def portal_key_for(token: str) -> dict[str, Any]:
    """The portal's public key that signed `token`, by the header's `kid` (refetched once, in case
    the portal rotated its keys). python-jose stops at the first key of a set whose type differs
    from the token's, and the portal publishes RSA and EC keys, so the key is picked here."""
    header = jwt.get_unverified_header(token)
    if header.get("alg") not in ID_TOKEN_ALGORITHMS:
        raise LoginFailed(f"The eID token is signed with {header.get('alg')!r}, not {ID_TOKEN_ALGORITHMS}.")
    kty = {"ES": "EC", "RS": "RSA", "PS": "RSA"}[header["alg"][:2]]
    # An unknown kid refetches the keys at most once a minute: tokens posted to the back-channel
    # endpoint come from anyone, and must not make the bank hammer the portal.
    for refresh in (False, True):
        if refresh and not cache.add("eid:jwks-refetched", 1, 60):
            break
        for key in portal_keys(refresh=refresh).get("keys", []):
            if key.get("kid") == header.get("kid") and key.get("kty") == kty:
                return key
    raise LoginFailed("The eID token is signed with a key the portal does not publish.")


def verify_id_token(id_token: str, *, nonce: str, access_token: str) -> dict[str, Any]:
    """OIDC Core §3.1.3.7 with python-jose: signature, `alg`, `iss`, `aud`, `exp`, `iat`, `nonce`,
    `azp`, and `at_hash` when present."""
    try:
        claims = jwt.decode(
            id_token,
            portal_key_for(id_token),
            algorithms=ID_TOKEN_ALGORITHMS,
            audience=settings.PARTNER_CLIENT_ID,
            issuer=settings.EID_ISSUER,
            access_token=access_token,  # checks at_hash if the token carries one
            options={"require_iat": True, "require_exp": True, "require_aud": True, "leeway": 30},
        )
    except JOSEError as error:
        raise LoginFailed(f"The eID ID token did not verify: {error}") from error
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise LoginFailed("The eID ID token is not for this sign-in (nonce).")
    if isinstance(claims["aud"], list) and claims.get("azp") != settings.PARTNER_CLIENT_ID:
        raise LoginFailed("The eID ID token was issued to another party (azp).")
    if not acr_sufficient(claims.get("acr"), settings.PARTNER_ACR_VALUES):
        raise LoginFailed("This sign-in did not reach the assurance level Harbour Bank needs.")
    return claims


def acr_sufficient(acr: Any, requested: str) -> bool:
    """The level reached is at least the weakest one asked for: the portal should never answer with
    less, and the bank checks rather than trusts that (OIDC Core §3.1.2.1 makes acr_values a wish)."""
    wanted = [ACR_ORDER.index(value) for value in requested.split() if value in ACR_ORDER]
    if not wanted:
        return True
    return acr in ACR_ORDER and ACR_ORDER.index(acr) >= min(wanted)


# Views -----------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "partner_bank/home.html", {"signed_in": "eid" in request.session})


@require_GET
def signed_out(request: HttpRequest) -> HttpResponse:
    """The `post_logout_redirect_uri`: the portal sends the customer here after its logout."""
    return render(request, "partner_bank/home.html", {"signed_out": True})


@require_GET
def login(request: HttpRequest) -> HttpResponse:
    try:
        metadata = provider()
        client = eid_client(metadata)
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        params = {
            "response_type": "code",
            "client_id": settings.PARTNER_CLIENT_ID,
            "redirect_uri": client.redirect_uri,
            "scope": settings.PARTNER_SCOPES,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if settings.PARTNER_ACR_VALUES:
            params["acr_values"] = settings.PARTNER_ACR_VALUES
        request_uri = push_authorization_request(client, metadata, params)
    except (LoginFailed, requests.RequestException) as error:
        return failed(request, error)
    request.session["eid_login"] = {"state": state, "nonce": nonce, "verifier": verifier}
    query = urlencode({"client_id": settings.PARTNER_CLIENT_ID, "request_uri": request_uri})
    return HttpResponseRedirect(f"{metadata['authorization_endpoint']}?{query}")


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    pending = request.session.pop("eid_login", None)
    try:
        if pending is None:
            raise LoginFailed("No sign-in was in progress. Please start again.")
        if not hmac.compare_digest(request.GET.get("state", ""), pending["state"]):
            raise LoginFailed("The answer from eID does not match this sign-in (state).")
        if request.GET.get("iss") != settings.EID_ISSUER:  # RFC 9207: no mix-up with another provider
            raise LoginFailed("The answer did not come from the eID service (iss).")
        if "error" in request.GET:
            raise LoginFailed(request.GET.get("error_description") or request.GET["error"])
        metadata = provider()
        client = eid_client(metadata)
        token = client.fetch_token(
            metadata["token_endpoint"],
            grant_type="authorization_code",
            code=request.GET.get("code", ""),
            code_verifier=pending["verifier"],
        )
        if str(token.get("token_type", "")).lower() != "dpop":  # RFC 9449 §5: sender-constrained
            raise LoginFailed("The eID service issued an access token that is not DPoP-bound.")
        claims = verify_id_token(
            token["id_token"], nonce=pending["nonce"], access_token=token["access_token"]
        )
        profile = json_of(client.get(metadata["userinfo_endpoint"]))
        if profile.get("sub") != claims["sub"]:  # OIDC Core §5.3.4
            raise LoginFailed("The eID userinfo is about someone else.")
    except (LoginFailed, OAuthError, requests.RequestException, KeyError, ValueError) as error:
        return failed(request, error)
    request.session.cycle_key()
    request.session["eid"] = {
        "claims": {**profile, **claims},
        "id_token": token["id_token"],
        "signed_in_at": time.time(),
    }
    return redirect("account")


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    signed_in = request.session.get("eid")
    if signed_in is None or _logged_out_by_portal(signed_in):
        request.session.flush()
        return redirect("home")
    claims = signed_in["claims"]
    return render(
        request,
        "partner_bank/account.html",
        {
            "claims": claims,
            "name_zh": claims.get("name#zh-Hant", ""),
            "auth_time": (
                time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(claims["auth_time"]))
                if isinstance(claims.get("auth_time"), int)
                else ""
            ),
        },
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """RP-initiated logout 1.0: end the bank's session, then the portal's."""
    signed_in = request.session.get("eid") or {}
    request.session.flush()
    try:
        end_session = provider()["end_session_endpoint"]
    except (LoginFailed, requests.RequestException, KeyError):
        return redirect("home")
    query = {
        "client_id": settings.PARTNER_CLIENT_ID,
        "post_logout_redirect_uri": f"{settings.PARTNER_BASE_URL}{reverse('signed_out')}",
    }
    if signed_in.get("id_token"):
        query["id_token_hint"] = signed_in["id_token"]
    return HttpResponseRedirect(f"{end_session}?{urlencode(query)}")


@csrf_exempt  # called by the portal's server, authenticated by the signed logout token
@require_POST
def backchannel_logout(request: HttpRequest) -> HttpResponse:
    """OIDC Back-Channel Logout 1.0 §2.6: verify the logout token, then end the matching sessions."""
    try:
        logout_token = request.POST.get("logout_token", "")
        claims = jwt.decode(
            logout_token,
            portal_key_for(logout_token),
            algorithms=ID_TOKEN_ALGORITHMS,
            audience=settings.PARTNER_CLIENT_ID,
            issuer=settings.EID_ISSUER,
            options={"require_iat": True, "require_aud": True, "leeway": 30},
        )
    except (JOSEError, LoginFailed, requests.RequestException):
        return HttpResponse(status=400)
    events = claims.get("events")
    if (
        not isinstance(events, dict)
        or BACKCHANNEL_LOGOUT_EVENT not in events
        or "nonce" in claims
        or not (claims.get("sub") or claims.get("sid"))
        or not isinstance(claims.get("jti"), str)
        or not cache.add(f"eid:logout-jti:{claims['jti']}", 1, 600)  # a replay is refused
    ):
        return HttpResponse(status=400)
    remember_logout(claims)
    response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response


def remember_logout(claims: dict[str, Any]) -> None:
    """Signed-cookie sessions cannot be deleted here: remember when the logout arrived; `account`
    ends every session signed in before it.

    The time is this server's own clock, to the microsecond, not the token's `iat`: `iat` is in
    whole seconds, so a customer who signed in again within the second of the logout was thrown
    out too (and the portal's clock need not agree with ours)."""
    for key in ("sub", "sid"):
        if claims.get(key):
            cache.set(f"eid:logged-out:{key}:{claims[key]}", time.time(), 24 * 3600)


def _logged_out_by_portal(signed_in: dict[str, Any]) -> bool:
    claims = signed_in["claims"]
    for key in ("sub", "sid"):
        logged_out_at = cache.get(f"eid:logged-out:{key}:{claims.get(key)}") if claims.get(key) else None
        if logged_out_at is not None and logged_out_at >= signed_in["signed_in_at"]:
            return True
    return False


def failed(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.warning("eID sign-in failed: %s", error)
    if isinstance(error, LoginFailed | OAuthError):
        message = str(error)
    else:
        message = "The eID service could not be reached or answered unexpectedly."
    return render(request, "partner_bank/failed.html", {"message": message}, status=400)
