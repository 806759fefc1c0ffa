"""The provider's signing keys: loaded from configuration once, parsed once, published once.

An RSA key (RS256, and PS256 for FAPI clients that ask for it) and an EC P-256 key (ES256, the FAPI
default). allauth re-parses the PEM on every JWKS request and every signature (~ms each); the parsed
keys and the JWKS document depend only on configuration, so each process caches them for its
lifetime.
"""

import functools
import json
import os
from pathlib import Path
from typing import Any

import jwt
from allauth.core.internal.jwkkit import jwk_thumbprint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_FILE = "oidc-signing-key.pem"
DEV_EC_KEY_FILE = "oidc-signing-key-ec.pem"


@functools.lru_cache(maxsize=16)
def parsed_key(pem: str) -> tuple[dict[str, Any], rsa.RSAPrivateKey]:
    """(public JWK with its RFC 7638 thumbprint as `kid`, private key) for a PEM, parsed once."""
    private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured("IDP_OIDC_PRIVATE_KEY must be an RSA private key (RS256).")
    jwk_dict = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk_dict["kid"] = jwk_thumbprint(jwk_dict)
    jwk_dict["use"] = "sig"
    jwk_dict["alg"] = "RS256"
    return jwk_dict, private_key


@functools.lru_cache(maxsize=16)
def pss_jwk(pem: str) -> dict[str, Any]:
    """The RSA key's public JWK for PS256: the same key as RS256, published under its own `kid`
    because a JWK names one algorithm."""
    jwk_dict = dict(parsed_key(pem)[0])
    jwk_dict["kid"] = f"{jwk_dict['kid']}-ps256"
    jwk_dict["alg"] = "PS256"
    return jwk_dict


@functools.lru_cache(maxsize=16)
def parsed_ec_key(pem: str) -> tuple[dict[str, Any], ec.EllipticCurvePrivateKey]:
    """(public JWK with its RFC 7638 thumbprint as `kid`, private key) of an EC P-256 PEM, parsed once."""
    private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or private_key.curve.name != "secp256r1":
        raise ImproperlyConfigured("IDP_OIDC_EC_PRIVATE_KEY must be an EC P-256 private key (ES256).")
    jwk_dict = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
    jwk_dict["kid"] = jwk_thumbprint(jwk_dict)
    jwk_dict["use"] = "sig"
    jwk_dict["alg"] = "ES256"
    return jwk_dict, private_key


@functools.lru_cache(maxsize=16)
def jwks_document(pems: tuple[str, ...], ec_pems: tuple[str, ...] = ()) -> bytes:
    """The serialised JWKS for a set of keys; the bytes are reused by every JWKS response.

    Each RSA key appears twice (RS256 and PS256 `kid`s), each EC key once (ES256).
    """
    keys = [jwk for pem in pems for jwk in (parsed_key(pem)[0], pss_jwk(pem))]
    keys += [parsed_ec_key(pem)[0] for pem in ec_pems]
    return json.dumps({"keys": keys}).encode()


def configured_private_key_pem() -> str:
    """The PEM from `IDP_OIDC_PRIVATE_KEY`, or outside production a dev key kept under var/.

    The dev key is generated once per machine (never committed) so that `make run` and the tests
    work with no setup; production settings refuse to start without the environment variable.
    """
    pem = getattr(settings, "IDP_OIDC_PRIVATE_KEY", "")
    if pem:
        return pem
    if getattr(settings, "PORTAL_ENVIRONMENT", "") == "production":
        raise ImproperlyConfigured("Set the IDP_OIDC_PRIVATE_KEY environment variable.")
    return _dev_private_key_pem(Path(settings.VAR_DIR) / DEV_KEY_FILE)


def configured_ec_private_key_pem() -> str:
    """The EC P-256 PEM from `IDP_OIDC_EC_PRIVATE_KEY`, or outside production a dev key under var/
    (generated once, like the RSA one)."""
    pem = getattr(settings, "IDP_OIDC_EC_PRIVATE_KEY", "")
    if pem:
        return pem
    if getattr(settings, "PORTAL_ENVIRONMENT", "") == "production":
        raise ImproperlyConfigured("Set the IDP_OIDC_EC_PRIVATE_KEY environment variable.")
    return _dev_private_key_pem(Path(settings.VAR_DIR) / DEV_EC_KEY_FILE, kind="ec")


@functools.lru_cache(maxsize=4)
def _dev_private_key_pem(path: Path, kind: str = "rsa") -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "ec":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written aside, then linked into place: link fails if another process won the race, and
        # a reader never sees a half-written file.
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text()
