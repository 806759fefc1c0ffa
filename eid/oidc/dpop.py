"""DPoP (RFC 9449): proofs of possession that bind access and refresh tokens to a client's key.

A client sends `DPoP: <proof JWT>` signed with a key whose public half is in the proof's header.
The token endpoint binds the tokens it issues to that key's JWK thumbprint (RFC 7638, kept in
allauth's `Token.data` as `cnf.jkt`); resource servers then want `Authorization: DPoP <token>` and a
fresh proof by the same key carrying `ath`, the hash of the token. A stolen token alone is useless.

Server nonces (§8, §9) are HMACs of a time window: every worker can check them, nothing is stored.
"""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt
from allauth.core.internal.jwkkit import jwk_thumbprint
from allauth.idp.oidc.internal.oauthlib.utils import get_validator_context
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from oauthlib.oauth2.rfc6749 import errors

from eid.oidc.client_keys import jwk_has_private_material
from eid.oidc.clients import client_is_fapi
from eid.oidc.replay import jti_first_use

# Asymmetric algorithms only: `none` and HS* would let anyone forge a proof (RFC 9449 §4.3 item 5).
SIGNING_ALGS = ("ES256", "PS256", "RS256")
HEADER = "HTTP_DPOP"
NONCE_HEADER = "DPoP-Nonce"
# A proof is for "now": issued at most this long ago, or this far ahead of our clock (§4.3 item 11).
PROOF_MAX_AGE = 60
CLOCK_SKEW = 10
# Nonces rotate every NONCE_PERIOD; the current and the previous window are accepted.
NONCE_PERIOD = 180
_NONCE_SALT = "eid.oidc.dpop.nonce"
_MAX_PROOF_LENGTH = 8192
_MIN_RSA_BITS = 2048


class InvalidDPoPProof(errors.OAuth2Error):
    error = "invalid_dpop_proof"
    status_code = 400


class UseDPoPNonce(errors.OAuth2Error):
    error = "use_dpop_nonce"
    status_code = 400
    description = "Resend the request with a DPoP proof carrying the nonce in the DPoP-Nonce header."


@dataclass(frozen=True)
class Proof:
    jkt: str  # RFC 7638 thumbprint of the proof's public key
    claims: dict[str, Any]


def nonce_required() -> bool:
    return bool(getattr(settings, "EID_DPOP_NONCE_REQUIRED", True))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two strings, any characters (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def _nonce_mac(window: int) -> bytes:
    return salted_hmac(_NONCE_SALT, str(window), algorithm="sha256").digest()[:16]


def nonce_issue(now: float | None = None) -> str:
    """A server nonce for the current time window (valid for NONCE_PERIOD to twice NONCE_PERIOD)."""
    window = int((time.time() if now is None else now) // NONCE_PERIOD)
    return _b64url(window.to_bytes(8, "big") + _nonce_mac(window))


def nonce_valid(nonce: Any, now: float | None = None) -> bool:
    if not isinstance(nonce, str) or len(nonce) != 32:
        return False
    try:
        raw = _b64url_decode(nonce)
    except ValueError:
        return False
    if len(raw) != 24:
        return False
    window = int.from_bytes(raw[:8], "big")
    current = int((time.time() if now is None else now) // NONCE_PERIOD)
    if window not in (current, current - 1):
        return False
    return hmac.compare_digest(raw[8:], _nonce_mac(window))


def access_token_hash(access_token: str) -> str:
    """`ath` (§4.2): base64url of the SHA-256 of the token's ASCII."""
    return _b64url(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def normalized_uri(uri: str) -> str:
    """Scheme and host lower-cased, default port dropped, query and fragment removed (§4.3 item 9)."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "https" and port == 443) or (scheme == "http" and port == 80)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", "", ""))


def endpoint_uri(path: str) -> str:
    """The URL a proof's `htu` must name: under the configured SITE_URL, never the Host header."""
    return normalized_uri(f"{settings.SITE_URL}{path}")


def _public_key(header: dict[str, Any]) -> tuple[Any, str]:
    jwk_dict = header.get("jwk")
    if not isinstance(jwk_dict, dict):
        raise InvalidDPoPProof(description="The proof's header has no `jwk`.")
    if jwk_has_private_material(jwk_dict):
        raise InvalidDPoPProof(description="The proof's `jwk` must be a public key.")
    alg = header["alg"]
    expected_kty = "EC" if alg.startswith("ES") else "RSA"
    if jwk_dict.get("kty") != expected_kty:
        raise InvalidDPoPProof(description="The proof's `jwk` does not fit its `alg`.")
    if expected_kty == "EC" and jwk_dict.get("crv") != "P-256":
        raise InvalidDPoPProof(description="ES256 proofs need a P-256 key.")
    try:
        key = jwt.PyJWK(jwk_dict, algorithm=alg).key
        thumbprint = jwk_thumbprint(jwk_dict)
    except (jwt.PyJWKError, jwt.InvalidKeyError, KeyError, TypeError, ValueError) as exc:
        raise InvalidDPoPProof(description="The proof's `jwk` is not a usable public key.") from exc
    if expected_kty == "RSA" and key.key_size < _MIN_RSA_BITS:
        raise InvalidDPoPProof(description="RSA keys must have at least 2048 bits.")
    return key, thumbprint


def validate_proof(
    proof: Any,
    *,
    method: str,
    uri: str,
    access_token: str | None = None,
    require_nonce: bool | None = None,
    now: float | None = None,
) -> Proof:
    """Check a DPoP proof JWT per RFC 9449 §4.3; raises InvalidDPoPProof or UseDPoPNonce.

    `uri` is the endpoint's URL (see `endpoint_uri`); `access_token` is given at resource servers,
    where the proof must carry its `ath`. The `jti` is recorded last, so a rejected proof costs no
    write and cannot burn a client's identifier.
    """
    if not isinstance(proof, str) or not proof or len(proof) > _MAX_PROOF_LENGTH or "," in proof:
        raise InvalidDPoPProof(description="Send exactly one DPoP proof.")
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError as exc:
        raise InvalidDPoPProof(description="The DPoP proof is not a JWT.") from exc
    if header.get("typ") != "dpop+jwt":
        raise InvalidDPoPProof(description="The proof's `typ` must be dpop+jwt.")
    if header.get("alg") not in SIGNING_ALGS:
        raise InvalidDPoPProof(description=f"The proof's `alg` must be one of {' '.join(SIGNING_ALGS)}.")
    key, thumbprint = _public_key(header)
    try:
        claims = jwt.decode(
            proof,
            key=key,
            algorithms=[header["alg"]],
            options={"verify_aud": False, "verify_iat": False, "verify_exp": False, "verify_nbf": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidDPoPProof(description="The DPoP proof's signature does not verify.") from exc
    now = time.time() if now is None else now
    for name in ("jti", "htm", "htu"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise InvalidDPoPProof(description=f"The DPoP proof lacks `{name}`.")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise InvalidDPoPProof(description="The DPoP proof lacks `iat`.")
    if not (now - PROOF_MAX_AGE - CLOCK_SKEW <= iat <= now + CLOCK_SKEW):
        raise InvalidDPoPProof(description="The DPoP proof's `iat` is not recent.")
    if claims["htm"] != method.upper():
        raise InvalidDPoPProof(description="The DPoP proof's `htm` does not match the request method.")
    try:
        htu = normalized_uri(claims["htu"])
    except ValueError as exc:
        raise InvalidDPoPProof(description="The DPoP proof's `htu` is not a URL.") from exc
    if not _same(htu, normalized_uri(uri)):
        raise InvalidDPoPProof(description="The DPoP proof's `htu` does not match this endpoint.")
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not _same(ath, access_token_hash(access_token)):
            raise InvalidDPoPProof(description="The DPoP proof's `ath` does not match the access token.")
    if (nonce_required() if require_nonce is None else require_nonce) and not nonce_valid(
        claims.get("nonce")
    ):
        raise UseDPoPNonce()
    expires_at = datetime.fromtimestamp(iat + PROOF_MAX_AGE + 2 * CLOCK_SKEW, tz=UTC)
    if not jti_first_use(purpose="dpop", issuer=thumbprint, jti=claims["jti"], expires_at=expires_at):
        raise InvalidDPoPProof(description="This DPoP proof was used before.")
    return Proof(jkt=thumbprint, claims=claims)


def request_proof(request: HttpRequest, *, path: str, access_token: str | None = None) -> Proof | None:
    """The request's valid DPoP proof for the endpoint at `path`, or None when none was sent."""
    value = request.META.get(HEADER)
    if value is None:
        return None
    return validate_proof(
        value, method=request.method or "", uri=endpoint_uri(path), access_token=access_token
    )


def is_jkt(value: Any) -> bool:
    """A base64url SHA-256 thumbprint (the `dpop_jkt` parameter, §10)."""
    if not isinstance(value, str) or len(value) != 43:
        return False
    try:
        return len(_b64url_decode(value)) == 32
    except ValueError:
        return False


def token_jkt(data: Any) -> str | None:
    """The thumbprint a stored token (allauth `Token.data`) is bound to, if any."""
    cnf = data.get("cnf") if isinstance(data, dict) else None
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


def bind(data: Any, jkt: str | None) -> Any:
    """`Token.data` with the key binding added (unchanged when there is no key)."""
    if not jkt:
        return data
    return {**(data if isinstance(data, dict) else {}), "cnf": {"jkt": jkt}}


def check_token_request(request: Any, *, bound_jkt: str | None, refresh: bool = False) -> None:
    """At the token endpoint, once the client is known: FAPI clients must use DPoP, and a code or
    refresh token bound to a key needs a proof by that key (RFC 9449 §5, §10)."""
    presented = getattr(get_validator_context(), "eid_dpop_jkt", None)
    if presented is None and client_is_fapi(request.client):
        raise errors.InvalidRequestError(description="This client must send a DPoP proof.", request=request)
    if bound_jkt is None:
        return
    if presented is None:
        grant = "refresh token" if refresh else "authorization code"
        raise InvalidDPoPProof(
            description=f"The {grant} is bound to a key: send a DPoP proof.", request=request
        )
    if not _same(bound_jkt, presented):
        raise errors.InvalidGrantError(
            description="The DPoP proof's key is not the key this grant is bound to.", request=request
        )


def json_error_response(error: errors.OAuth2Error) -> HttpResponse:
    """A token/PAR endpoint error (RFC 6749 §5.2) with a fresh nonce when one is asked for."""
    response = HttpResponse(error.json, status=error.status_code, content_type="application/json")
    response["Cache-Control"] = "no-store"
    if isinstance(error, UseDPoPNonce):
        response[NONCE_HEADER] = nonce_issue()
    return response


def challenge(error: str | None = None, description: str | None = None) -> str:
    """`WWW-Authenticate: DPoP ...` for a resource server (§7.1), naming the accepted algorithms."""
    parts = ['realm="eid"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append("error_description=" + json.dumps(description.replace('"', "'")))
    parts.append(f'algs="{" ".join(SIGNING_ALGS)}"')
    return "DPoP " + ", ".join(parts)


def resource_error_response(error: str, description: str | None = None, *, status: int = 401) -> HttpResponse:
    """A resource server's refusal (RFC 9449 §7.1, RFC 6750 §3): JSON body, DPoP challenge."""
    body = {"error": error, **({"error_description": description} if description else {})}
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["WWW-Authenticate"] = challenge(error, description)
    if error == "use_dpop_nonce":
        response[NONCE_HEADER] = nonce_issue()
    return response


class ResourceError(Exception):
    """A resource server's refusal before the token is looked at (RFC 9449 §7.1)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(description or error)
        self.error = error
        self.description = description


def resource_params(
    request: HttpRequest, params: tuple[str, str, str, dict[str, str]]
) -> tuple[str, str, str, dict[str, str]]:
    """oauthlib's view of a resource request, with `Authorization: DPoP <token>` checked and passed on
    as a bearer token; the proof's key is left in the validator context for `sender_constraint_met`.

    Raises ResourceError for a DPoP request whose proof is missing, invalid or lacks the nonce.
    """
    ctx = get_validator_context()
    ctx.eid_dpop_jkt = None
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "dpop":
        return params
    request.eid_dpop_scheme = True
    token = token.strip()
    if not token or " " in token:
        raise ResourceError("invalid_token", "The DPoP access token is missing.")
    try:
        proof = request_proof(request, path=request.path, access_token=token)
    except errors.OAuth2Error as exc:
        raise ResourceError(exc.error, exc.description) from exc
    if proof is None:
        raise ResourceError("invalid_dpop_proof", "A DPoP proof is required with a DPoP token.")
    ctx.eid_dpop_jkt = proof.jkt
    uri, method, body, headers = params
    headers = {**headers, "Authorization": f"Bearer {token}", "HTTP_AUTHORIZATION": f"Bearer {token}"}
    return uri, method, body, headers


def sender_constraint_met(ctx: Any) -> bool:
    """RFC 9449 §7: a DPoP-bound token only with a proof by its key; a Bearer token not as DPoP."""
    token = ctx.access_token
    bound = token_jkt(token.data if token is not None else None)
    presented = getattr(ctx, "eid_dpop_jkt", None)
    if bound is None and presented is None:
        return True
    if bound is not None and presented is not None and _same(bound, presented):
        return True
    ctx.eid_dpop_misuse = True
    return False


def wants_dpop_challenge(request: HttpRequest) -> bool:
    """Answer with a DPoP challenge: the client used DPoP, or sent a DPoP-bound token as Bearer."""
    ctx = get_validator_context()
    return bool(getattr(request, "eid_dpop_scheme", False) or getattr(ctx, "eid_dpop_misuse", False))


def resource_failure(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A 401 from the userinfo endpoint, with the DPoP challenge where the client used DPoP."""
    if response.status_code == 401 and wants_dpop_challenge(request):
        response["WWW-Authenticate"] = challenge("invalid_token")
    return response


class NonceMiddleware:
    """Adds `DPoP-Nonce` to responses that asked the client for one (DRF views cannot set headers
    from an authentication class)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "eid_dpop_nonce", False) and NONCE_HEADER not in response:
            response[NONCE_HEADER] = nonce_issue()
        return response
