"""Clients' public keys for private_key_jwt: checked at registration, fetched from a jwks_uri.

A registered JWK Set holds public signing keys only (EC P-256, or RSA of 2048 bits or more). A
jwks_uri is fetched through eid/outbound.py (https, public addresses only and pinned to the checked
one, no redirects, a deadline, at most JWKS_MAX_BYTES) and cached in the shared cache.
"""

import hashlib
import json
import logging
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eid.outbound import OutboundError, outbound_request, outbound_url_validate

logger = logging.getLogger(__name__)

JWKS_MAX_BYTES = 64 * 1024
JWKS_CACHE_SECONDS = 10 * 60
# An unknown `kid` refetches the jwks_uri at most this often, so garbage kids cannot make the
# portal hammer a partner's server.
JWKS_REFETCH_COOLDOWN_SECONDS = 10
# After a failed fetch, requests naming that jwks_uri fail fast for this long.
JWKS_FAILURE_SECONDS = 30
JWKS_FETCH_TIMEOUT = 5.0  # seconds for the whole exchange
# Members of a JWK that belong to a private (or symmetric) key (RFC 7518 §6): never taken from a
# client, whether registered, fetched from a jwks_uri or sent in a DPoP proof.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MIN_RSA_BITS = 2048


class JwksFetchError(Exception):
    """The jwks_uri could not be used (unreachable, not https, too large, not a JWK Set)."""


def jwk_has_private_material(jwk: dict[str, Any]) -> bool:
    return bool(PRIVATE_MEMBERS & set(jwk))


def public_key(jwk: dict[str, Any], *, alg: str | None = None) -> Any:
    """The cryptography public key of one JWK; ValidationError if it is not an acceptable public
    signing key (EC P-256, or RSA of 2048 bits or more), or does not fit `alg`."""
    if jwk_has_private_material(jwk):
        raise ValidationError(
            _(
                "The JWK Set contains private key material. Register public keys only, and replace "
                "the key pair: the private key has left your systems."
            )
        )
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
    """https only (plain http only to a loopback host where OUTBOUND_ALLOW_LOOPBACK_HTTP: dev, tests).
    Its addresses are checked at each fetch."""
    try:
        outbound_url_validate(uri)
    except OutboundError:
        raise ValidationError(_("The jwks_uri must use https.")) from None
    return uri


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
    """GET the JWK Set along the SSRF-safe outbound path, at most JWKS_MAX_BYTES."""
    try:
        jwks_uri_validate(uri)
    except ValidationError:
        raise JwksFetchError("jwks_uri is not https") from None
    try:
        response = outbound_request(
            "GET",
            uri,
            headers={"Accept": "application/jwk-set+json, application/json"},
            timeout=JWKS_FETCH_TIMEOUT,
            max_bytes=JWKS_MAX_BYTES,
        )
    except OutboundError as error:
        logger.warning("Fetching a client's jwks_uri failed: %s", error)
        # "refused": the URI points inside the portal's network (or no longer resolves).
        raise JwksFetchError(f"jwks_uri {'refused' if error.refused else 'fetch failed'}: {error}") from None
    if response.status != 200:
        raise JwksFetchError(f"jwks_uri answered {response.status}")
    if response.truncated:
        raise JwksFetchError("jwks_uri document too large")
    try:
        document = json.loads(response.body)
    except ValueError:
        raise JwksFetchError("jwks_uri document is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksFetchError("jwks_uri document is not a JWK Set")
    return {"keys": document["keys"]}
