"""The provider's RSA signing keys: loaded from configuration once, parsed once, published once.

allauth re-parses the PEM on every JWKS request and every signature (~ms each); the parsed key and
the JWKS document depend only on configuration, so each process caches them for its lifetime.
"""

import functools
import json
import os
from pathlib import Path
from typing import Any

import jwt
from allauth.core.internal.jwkkit import jwk_thumbprint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_FILE = "oidc-signing-key.pem"


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
def jwks_document(pems: tuple[str, ...]) -> bytes:
    """The serialised JWKS for a set of keys; the bytes are reused by every JWKS response."""
    return json.dumps({"keys": [parsed_key(pem)[0] for pem in pems]}).encode()


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


@functools.lru_cache(maxsize=4)
def _dev_private_key_pem(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
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
