"""Callback signing secrets at rest: Fernet-encrypted, like the TOTP secrets (eid.adapters).

The key is `NOTIFICATIONS_ENCRYPTION_KEY` (by default the MFA encryption key), derived under its
own label so the two stores never share a Fernet key. No model imports: the migration uses it.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(
        f"notifications-callback-secrets:{settings.NOTIFICATIONS_ENCRYPTION_KEY}".encode()
    )
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def secret_decrypt(stored: str) -> str:
    """The secret, or "" when it does not decrypt (written under another key: unusable either way)."""
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        return ""
