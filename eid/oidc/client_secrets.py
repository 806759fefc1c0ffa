"""Client secrets: a keyed SHA-256, and HTTP Basic credentials decoded as RFC 6749 §2.3.1 says.

allauth stores client secrets with Django's password hasher (PBKDF2, ~230 ms per check on the token
endpoint). Client secrets are long random strings, not passwords: they need no key stretching, and
an HMAC under a server-side key (so a database dump alone cannot test guesses) checks in microseconds.
"""

import base64
import binascii
import hashlib
import hmac
from urllib.parse import unquote

from django.conf import settings

HASH_PREFIX = "hmac-sha256$"


def _key() -> bytes:
    return f"oidc-client-secret:{settings.OIDC_CLIENT_SECRET_KEY}".encode()


def client_secret_hash(secret: str) -> str:
    """The stored form of a client secret."""
    return HASH_PREFIX + hmac.new(_key(), secret.encode(), hashlib.sha256).hexdigest()


def client_secret_matches(secret: str, stored: str) -> bool:
    """Constant-time comparison with the stored hash; False for anything not stored by us."""
    if not stored.startswith(HASH_PREFIX):
        return False
    return hmac.compare_digest(client_secret_hash(secret), stored)


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(client_id, client_secret) from an `Authorization: Basic` header, each URL-decoded.

    RFC 6749 §2.3.1: the client identifier and secret are encoded with
    application/x-www-form-urlencoded before being joined with ":" and base64-encoded, so a
    spec-following client sends "-" as "%2D" and a space as "+".
    """
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    client_id, separator, client_secret = decoded.partition(":")
    if not separator or not client_id or not client_secret:
        return None
    return _form_decode(client_id), _form_decode(client_secret)


def _form_decode(value: str) -> str:
    return unquote(value.replace("+", " "))
