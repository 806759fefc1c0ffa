"""private_key_jwt: a client authenticates with a JWT signed by its own key (RFC 7523 §3, RFC 7521
§4.2, OIDC Core §9).

The client's public keys come from its registration: an inline JWK Set (`jwks`) or a `jwks_uri` the
portal fetches (https only, bounded in time and size, cached, fetched again once when an assertion
names a key id the cached set lacks). Every refusal raises `InvalidClientAssertion` with the reason
for the log; the client is only ever told `invalid_client` (RFC 6749 §5.2).
"""

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import jwt
from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Client
from django.core.exceptions import ValidationError
from django.urls import reverse

from eid.oidc.client_keys import JwksFetchError, public_key, remote_jwks
from eid.oidc.clients import client_auth_method, client_is_fapi, client_profile
from eid.oidc.replay import jti_first_use

logger = logging.getLogger(__name__)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PRIVATE_KEY_JWT = "private_key_jwt"
# Asymmetric only: HS256 would make the client's secret (or a public key's bytes) the MAC key.
FAPI_ALGORITHMS = ("ES256", "PS256")
ALGORITHMS = ("ES256", "PS256", "RS256")
ASSERTION_MAX_BYTES = 8 * 1024
# A client assertion is single-use and short-lived; a long `exp` would make the jti table the
# only defence for hours.
MAX_LIFETIME_SECONDS = 5 * 60
LEEWAY_SECONDS = 30


class InvalidClientAssertion(Exception):
    """Why an assertion was refused (for the log; the response is always `invalid_client`)."""


def assertion_algorithms(client: Client) -> tuple[str, ...]:
    """The JWS algorithms this client may sign assertions with."""
    allowed = FAPI_ALGORITHMS if client_is_fapi(client) else ALGORITHMS
    registered = client_profile(client).get("token_endpoint_auth_signing_alg")
    if registered:
        return tuple(alg for alg in allowed if alg == registered)
    return allowed


def presented_assertion(params: Any) -> str | None:
    """The `client_assertion` of a request that chose this method (its type names jwt-bearer)."""
    if getattr(params, "client_assertion_type", None) != JWT_BEARER:
        return None
    assertion = getattr(params, "client_assertion", None)
    return assertion if isinstance(assertion, str) else ""


def assertion_subject(assertion: str) -> str:
    """The client the (not yet verified) assertion claims to come from: its `sub`."""
    if not assertion or len(assertion) > ASSERTION_MAX_BYTES:
        raise InvalidClientAssertion("missing or oversized assertion")
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise InvalidClientAssertion(f"malformed assertion: {error}") from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidClientAssertion("no sub")
    return sub


def verify_client_assertion(*, client: Client, assertion: str, audiences: Iterable[str]) -> dict[str, Any]:
    """The verified claims of `assertion` for `client`, its `jti` recorded as used.

    RFC 7523 §3: iss and sub are the client_id; aud names this server (its issuer, its token
    endpoint or the endpoint called); exp is present and near; the jti is not replayed.
    """
    if client.type != Client.Type.CONFIDENTIAL or client_auth_method(client) != PRIVATE_KEY_JWT:
        raise InvalidClientAssertion("client not registered for private_key_jwt")
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as error:
        raise InvalidClientAssertion(f"malformed header: {error}") from None
    alg = header.get("alg")
    if alg not in assertion_algorithms(client):
        raise InvalidClientAssertion(f"algorithm not allowed: {alg!r}")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise InvalidClientAssertion("kid is not a string")
    claims = _decode_with_client_keys(
        client=client, assertion=assertion, alg=alg, kid=kid, audiences=audiences
    )
    if claims["iss"] != client.id or claims["sub"] != client.id:
        raise InvalidClientAssertion("iss and sub must both be the client_id")
    now = time.time()
    exp, iat = claims["exp"], claims.get("iat")
    # PyJWT accepts numeric strings for these; arithmetic below needs numbers.
    if not _is_number(exp) or not (iat is None or _is_number(iat)):
        raise InvalidClientAssertion("exp and iat must be numbers")
    if exp - now > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise InvalidClientAssertion("exp too far in the future")
    if iat is not None and exp - iat > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise InvalidClientAssertion("lifetime too long")
    jti = claims["jti"]
    if not isinstance(jti, str):
        raise InvalidClientAssertion("jti is not a string")
    # Remembered past exp by the leeway, since the leeway still accepts it until then.
    expires_at = datetime.fromtimestamp(exp + LEEWAY_SECONDS, tz=UTC)
    if not jti_first_use(purpose="client_assertion", issuer=client.id, jti=jti, expires_at=expires_at):
        raise InvalidClientAssertion("jti replayed")
    return claims


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decode_with_client_keys(
    *, client: Client, assertion: str, alg: str, kid: str | None, audiences: Iterable[str]
) -> dict[str, Any]:
    keys = signing_keys(client_jwks(client), alg=alg, kid=kid)
    profile = client_profile(client)
    if not keys and kid and "jwks" not in profile and profile.get("jwks_uri"):
        # The partner may have rotated its keys since they were cached.
        keys = signing_keys(client_jwks(client, refresh=True), alg=alg, kid=kid)
    if not keys:
        raise InvalidClientAssertion(f"no registered key for kid={kid!r} alg={alg}")
    audiences = list(audiences)
    last_error: Exception | None = None
    for key in keys:
        try:
            return jwt.decode(
                assertion,
                key=key,
                algorithms=[alg],
                audience=audiences,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except jwt.InvalidSignatureError as error:
            last_error = error  # another key of the set may have signed it
        except jwt.PyJWTError as error:
            raise InvalidClientAssertion(f"invalid assertion: {error}") from None
    raise InvalidClientAssertion(f"invalid assertion: {last_error}")


def client_jwks(client: Client, *, refresh: bool = False) -> dict[str, Any]:
    """The client's registered JWK Set: inline, or fetched (and cached) from its jwks_uri."""
    profile = client_profile(client)
    if isinstance(profile.get("jwks"), dict):
        return profile["jwks"]
    if isinstance(profile.get("jwks_uri"), str):
        try:
            return remote_jwks(profile["jwks_uri"], refresh=refresh)
        except JwksFetchError as error:
            raise InvalidClientAssertion(str(error)) from None
    raise InvalidClientAssertion("client has no registered keys")


def signing_keys(jwks: dict[str, Any], *, alg: str, kid: str | None) -> list[Any]:
    """Public keys of the set usable to verify `alg` (and named `kid`, if given)."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    found = []
    for jwk in keys if isinstance(keys, list) else []:
        if not isinstance(jwk, dict) or (kid is not None and jwk.get("kid") != kid):
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
            continue
        try:
            found.append(public_key(jwk, alg=alg))
        except ValidationError:
            continue  # unusable for this algorithm (wrong type, private, too small)
    return found


def assertion_audiences(path: str) -> list[str]:
    """What `aud` may name: the issuer, the token endpoint, or the endpoint being called (RFC 7523
    §3 item 3; RFC 9126 §2 lists the same three for the PAR endpoint)."""
    issuer = get_adapter().get_issuer()
    return list(dict.fromkeys([issuer, f"{issuer}{reverse('idp:oidc:token')}", f"{issuer}{path}"]))


def assertion_client(*, params: Any, path: str, lookup: Callable[[str], Client | None]) -> Client:
    """The client a request authenticates as with its `client_assertion` (RFC 7521 §4.2).

    `params` is the oauthlib request (form parameters as attributes), `path` the URL path called.
    """
    assertion = presented_assertion(params) or ""
    sub = assertion_subject(assertion)
    client_id = getattr(params, "client_id", None)
    if client_id is not None and client_id != sub:
        raise InvalidClientAssertion("client_id parameter differs from the assertion's sub")
    client = lookup(sub)
    if client is None:
        raise InvalidClientAssertion("unknown client")
    verify_client_assertion(client=client, assertion=assertion, audiences=assertion_audiences(path))
    return client


def client_from_assertion(request: Any, *, lookup: Callable[[str], Client | None]) -> Client | None:
    """The client an oauthlib request authenticates as by private_key_jwt, or None (logged)."""
    try:
        return assertion_client(params=request, path=urlsplit(request.uri).path, lookup=lookup)
    except InvalidClientAssertion as error:
        logger.info("Client assertion refused: %s", error)
        return None


def claimed_client_id(request: Any) -> str | None:
    """The client_id a request names, from its parameter or else its assertion's (unverified) sub.

    Only for lookups that precede client authentication (oauthlib picks the OIDC or plain OAuth
    grant from the code's scopes first); authentication itself verifies the assertion.
    """
    client_id = getattr(request, "client_id", None)
    if client_id or presented_assertion(request) is None:
        return client_id
    try:
        return assertion_subject(presented_assertion(request) or "")
    except InvalidClientAssertion:
        return None
