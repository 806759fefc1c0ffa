"""Clients' public keys for private_key_jwt: checked at registration, fetched from a jwks_uri.

A registered JWK Set holds public signing keys only (EC P-256, or RSA of 2048 bits or more). A
jwks_uri is fetched over https (plain http only for a loopback host), without redirects, with a
timeout and a size cap, and cached in the shared cache.
"""

import hashlib
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

JWKS_MAX_BYTES = 64 * 1024
JWKS_CACHE_SECONDS = 10 * 60
# An unknown `kid` refetches the jwks_uri at most this often, so garbage kids cannot make the
# portal hammer a partner's server.
JWKS_REFETCH_COOLDOWN_SECONDS = 10
# After a failed fetch, requests naming that jwks_uri fail fast for this long.
JWKS_FAILURE_SECONDS = 30
JWKS_FETCH_TIMEOUT = (3.05, 5)  # (connect, read) seconds
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MIN_RSA_BITS = 2048
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class JwksFetchError(Exception):
    """The jwks_uri could not be used (unreachable, not https, too large, not a JWK Set)."""


def public_key(jwk: dict[str, Any], *, alg: str | None = None) -> Any:
    """The cryptography public key of one JWK; ValidationError if it is not an acceptable public
    signing key (EC P-256, or RSA of 2048 bits or more), or does not fit `alg`."""
    if PRIVATE_MEMBERS & set(jwk):
        raise ValidationError(_("The JWK Set must contain public keys only."))
    kty = jwk.get("kty")
    if kty == "EC":
        if jwk.get("crv") != "P-256" or alg not in (None, "ES256"):
            raise ValidationError(_("EC keys must be on curve P-256 (ES256)."))
    elif kty == "RSA":
        if alg not in (None, "PS256", "RS256"):
            raise ValidationError(_("RSA keys sign with PS256 or RS256."))
    else:
        raise ValidationError(_("Only EC (P-256) and RSA keys are accepted."))
    try:
        key = jwt.PyJWK({k: v for k, v in jwk.items() if k != "alg"}).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
        raise ValidationError(_("A key in the JWK Set could not be read.")) from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValidationError(_("RSA keys must have at least 2048 bits."))
    elif not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValidationError(_("The JWK Set must contain public keys only."))
    return key


def jwks_validate(jwks: Any) -> dict[str, Any]:
    """A client's JWK Set checked for registration: public EC P-256 / RSA ≥ 2048 keys only."""
    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks)
        except ValueError:
            raise ValidationError(_("The JWK Set is not valid JSON.")) from None
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise ValidationError(_('A JWK Set is a JSON object with a non-empty "keys" list.'))
    kids = []
    for jwk in keys:
        if not isinstance(jwk, dict):
            raise ValidationError(_("Each key of the JWK Set must be a JSON object."))
        public_key(jwk, alg=jwk.get("alg"))
        if jwk.get("use", "sig") != "sig":
            raise ValidationError(_('Keys for client authentication must have "use": "sig".'))
        kids.append(jwk.get("kid"))
    named = [kid for kid in kids if kid is not None]
    if len(named) != len(set(named)):
        raise ValidationError(_("Key ids (kid) in the JWK Set must be unique."))
    return {"keys": keys}


def jwks_uri_validate(uri: str) -> str:
    """https only (plain http only for a loopback address outside production: development, tests)."""
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return uri
    production = getattr(settings, "PORTAL_ENVIRONMENT", "") == "production"
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and not production:
        return uri
    raise ValidationError(_("The jwks_uri must use https."))


def _jwks_cache_key(uri: str) -> str:
    return "eid.oidc.jwks_uri:" + hashlib.sha256(uri.encode()).hexdigest()


def remote_jwks(uri: str, *, refresh: bool = False) -> dict[str, Any]:
    """The JWK Set at `uri`, cached for JWKS_CACHE_SECONDS in the shared cache.

    `refresh` fetches again (after a key rotation), at most once per cooldown per URI.
    """
    key = _jwks_cache_key(uri)
    cached = cache.get(key)
    if cached is not None and not refresh:
        return cached
    if cached is not None and not cache.add(f"{key}:cooldown", 1, JWKS_REFETCH_COOLDOWN_SECONDS):
        return cached
    if cached is None and cache.get(f"{key}:failed"):
        # A partner's server that is down must not cost every token request a timeout.
        raise JwksFetchError("jwks_uri failed recently")
    try:
        jwks = fetch_jwks(uri)
    except JwksFetchError:
        if cached is not None:
            return cached  # a failed refresh keeps the keys already known
        cache.set(f"{key}:failed", 1, JWKS_FAILURE_SECONDS)
        raise
    cache.set(key, jwks, JWKS_CACHE_SECONDS)
    return jwks


def fetch_jwks(uri: str) -> dict[str, Any]:
    """GET the JWK Set: no redirects, a timeout, and at most JWKS_MAX_BYTES read."""
    from eid.oidc.backchannel import target_refusal  # imported here: backchannel imports this module

    try:
        jwks_uri_validate(uri)
    except ValidationError:
        raise JwksFetchError("jwks_uri is not https") from None
    # In production a partner's jwks_uri must not make the portal reach its own network.
    if refusal := target_refusal(uri):
        raise JwksFetchError(f"jwks_uri refused: {refusal}")
    try:
        with requests.get(
            uri,
            timeout=JWKS_FETCH_TIMEOUT,
            stream=True,
            allow_redirects=False,
            headers={"Accept": "application/jwk-set+json, application/json"},
        ) as response:
            if response.status_code != 200:
                raise JwksFetchError(f"jwks_uri answered {response.status_code}")
            body = b""
            for chunk in response.iter_content(chunk_size=8192):
                body += chunk
                if len(body) > JWKS_MAX_BYTES:
                    raise JwksFetchError("jwks_uri document too large")
        document = json.loads(body)
    except (requests.RequestException, ValueError) as error:
        logger.warning("Fetching a client's jwks_uri failed: %s", error)
        raise JwksFetchError(f"jwks_uri fetch failed: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksFetchError("jwks_uri document is not a JWK Set")
    return {"keys": document["keys"]}
