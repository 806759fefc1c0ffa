"""A partner's side of private_key_jwt: its own keys, its JWK Set, and signed client assertions."""

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings

from eid.oidc.client_assertions import JWT_BEARER
from tests.receivers import Receiver

TOKEN_URL_PATH = "/identity/o/api/token"


@dataclass
class PartnerKey:
    """One of the partner's signing keys (the private half stays with the partner)."""

    private: Any
    alg: str
    kid: str

    def public_jwk(self, *, with_alg: bool = True) -> dict[str, Any]:
        algorithm = jwt.algorithms.ECAlgorithm if self.alg == "ES256" else jwt.algorithms.RSAAlgorithm
        jwk = json.loads(algorithm.to_jwk(self.private.public_key()))
        jwk.update({"kid": self.kid, "use": "sig"})
        if with_alg:
            jwk["alg"] = self.alg
        return jwk

    def private_jwk(self) -> dict[str, Any]:
        algorithm = jwt.algorithms.ECAlgorithm if self.alg == "ES256" else jwt.algorithms.RSAAlgorithm
        return {**json.loads(algorithm.to_jwk(self.private)), "kid": self.kid}


def ec_key(kid: str = "ec-1") -> PartnerKey:
    return PartnerKey(ec.generate_private_key(ec.SECP256R1()), "ES256", kid)


def rsa_key(kid: str = "rsa-1", alg: str = "PS256", bits: int = 2048) -> PartnerKey:
    return PartnerKey(rsa.generate_private_key(public_exponent=65537, key_size=bits), alg, kid)


def jwks_of(*keys: PartnerKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in keys]}


def claims_for(client_id: str, *, aud: Any = None, lifetime: int = 60, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud if aud is not None else settings.SITE_URL + TOKEN_URL_PATH,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    return {name: value for name, value in claims.items() if value is not None}


def client_assertion(
    client_id: str, key: PartnerKey, *, alg: str | None = None, kid: str | None = "", **claims: Any
) -> str:
    """A signed assertion; `kid=None` leaves the header's kid out, "" uses the key's."""
    headers = {} if kid is None else {"kid": kid or key.kid}
    return jwt.encode(claims_for(client_id, **claims), key.private, algorithm=alg or key.alg, headers=headers)


def assertion_params(assertion: str) -> dict[str, str]:
    return {"client_assertion_type": JWT_BEARER, "client_assertion": assertion}


class JwksServer(Receiver):
    """A partner's jwks_uri: a real HTTP server on a free loopback port, in a thread."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        super().__init__(headers={"Content-Type": "application/json"}, path="/jwks.json")
        self.jwks = jwks

    @property
    def jwks(self) -> dict[str, Any]:
        return json.loads(self.body)

    @jwks.setter
    def jwks(self, jwks: dict[str, Any]) -> None:
        self.body = json.dumps(jwks).encode()

    @property
    def hits(self) -> int:
        return len(self.requests)
