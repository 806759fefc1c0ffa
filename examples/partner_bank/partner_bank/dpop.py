"""DPoP (RFC 9449) for Authlib's requests client, which has none as of Authlib 1.9.

`DPoPSession` is Authlib's `OAuth2Session` that adds a DPoP proof to every request it sends (PAR,
token, userinfo), sends a DPoP-bound access token as `Authorization: DPoP <token>` with the proof's
`ath`, and when the server asks for a nonce (`use_dpop_nonce`, §8 and §9) retries once with it.
"""

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.auth import TokenAuth
from joserfc import jwt
from joserfc.jwk import ECKey
from requests import Response


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def dpop_proof(
    key: ECKey, *, method: str, url: str, nonce: str | None = None, access_token: str | None = None
) -> str:
    """A DPoP proof JWT (§4.2): the public key in the header, `htu` without query and fragment."""
    parts = urlsplit(url)
    claims: dict[str, Any] = {
        "jti": secrets.token_urlsafe(24),
        "htm": method.upper(),
        "htu": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        "iat": int(time.time()),
    }
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["ath"] = _b64url(hashlib.sha256(access_token.encode("ascii")).digest())
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def _asks_for_nonce(response: Response) -> bool:
    """The authorization server answers 400 `use_dpop_nonce` in JSON (§8); a resource server 401
    with it in `WWW-Authenticate` (§9)."""
    if response.status_code == 401:
        return "use_dpop_nonce" in response.headers.get("WWW-Authenticate", "")
    if response.status_code == 400:
        try:
            return response.json().get("error") == "use_dpop_nonce"
        except ValueError:
            return False
    return False


def _add_dpop_token(token: str, uri: str, headers: dict, body: Any, placement: str = "header") -> tuple:
    headers["Authorization"] = f"DPoP {token}"
    return uri, headers, body


class DPoPSession(OAuth2Session):
    def __init__(
        self, *args: Any, dpop_key: ECKey, dpop_nonces: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.dpop_key = dpop_key
        # The last nonce each server (origin) gave; pass a shared dict to reuse it across sessions
        # and save the round trip that asks for a fresh one.
        self.dpop_nonces = {} if dpop_nonces is None else dpop_nonces
        # Authlib signs with the method named by the token's `token_type`: teach it "DPoP".
        self.token_auth.SIGN_METHODS = {**TokenAuth.SIGN_METHODS, "dpop": _add_dpop_token}

    def request(self, method: str, url: str, withhold_token: bool = False, auth: Any = None, **kwargs: Any):
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        access_token = None
        if not withhold_token and auth is None and self.token:
            access_token = self.token["access_token"]
        response = None
        for _attempt in range(2):
            proof = dpop_proof(
                self.dpop_key,
                method=method,
                url=url,
                nonce=self.dpop_nonces.get(origin),
                access_token=access_token,
            )
            # A copy: Authlib passes its module-wide default headers dict.
            headers = {**(kwargs.get("headers") or {}), "DPoP": proof}
            # Sent again in full: Authlib re-signs the client assertion too (a fresh `jti`).
            response = super().request(
                method, url, withhold_token=withhold_token, auth=auth, **{**kwargs, "headers": headers}
            )
            nonce = response.headers.get("DPoP-Nonce")
            if nonce:
                self.dpop_nonces[origin] = nonce
            if not (nonce and _asks_for_nonce(response)):
                break
        return response
