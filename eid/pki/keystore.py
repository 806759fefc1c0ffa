"""Where private keys live. A small interface so an HSM (PKCS#11) can replace the database store.

The database store keeps each key as PKCS#8 PEM encrypted with `BestAvailableEncryption` under a
passphrase: `PKI_KEY_PASSPHRASE` for the portal's own keys (CAs, OCSP responder, department seals),
and a key-encryption key derived from it for residents' remote-signing keys, so the two can be
separated (and the KEK moved to an HSM) without touching the callers.
"""

import hashlib
from typing import Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from eid.errors import ApplicationError
from eid.pki.models import PrivateKeyRecord


class KeyStoreError(ApplicationError):
    pass


class KeyStore(Protocol):
    def load_private_key(self, name: str) -> PrivateKeyTypes: ...

    def store_private_key(self, name: str, key: PrivateKeyTypes) -> None: ...


# Decrypted keys by (passphrase digest, encrypted PEM digest): PBKDF2 costs ~25 ms per load, and the
# CA and OCSP keys are used on every OCSP answer. Keyed by the ciphertext, so a replaced key (or a
# test database rebuilt with new keys under the same names) is never served stale.
_decrypted: dict[tuple[bytes, bytes], PrivateKeyTypes] = {}
_CACHE_LIMIT = 64


class DatabaseKeyStore:
    """Encrypted PEM in the `pki_privatekeyrecord` table."""

    def __init__(self, passphrase: bytes, *, cache: bool) -> None:
        self._passphrase = passphrase
        self._cache = cache

    def store_private_key(self, name: str, key: PrivateKeyTypes) -> None:
        if PrivateKeyRecord.objects.filter(name=name).exists():
            # Never overwrite a key: certificates that name it would silently stop matching.
            raise KeyStoreError(f"A key named {name!r} already exists.", code="key_exists")
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        PrivateKeyRecord.objects.create(name=name, encrypted_pem=pem.decode("ascii"))

    def load_private_key(self, name: str) -> PrivateKeyTypes:
        record = PrivateKeyRecord.objects.filter(name=name).first()
        if record is None:
            raise KeyStoreError(f"No key named {name!r}.", code="key_missing")
        pem = record.encrypted_pem.encode("ascii")
        cache_key = (hashlib.sha256(self._passphrase).digest(), hashlib.sha256(pem).digest())
        if self._cache and cache_key in _decrypted:
            return _decrypted[cache_key]
        key = serialization.load_pem_private_key(pem, password=self._passphrase)
        if self._cache:
            if len(_decrypted) >= _CACHE_LIMIT:
                _decrypted.clear()
            _decrypted[cache_key] = key
        return key


def _derive(info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        settings.PKI_KEY_PASSPHRASE.encode()
    )


def ca_keystore() -> KeyStore:
    """The portal's own keys: CAs, OCSP responders, department seals."""
    return DatabaseKeyStore(settings.PKI_KEY_PASSPHRASE.encode(), cache=True)


def resident_keystore() -> KeyStore:
    """Residents' remote-signing keys, under a separate key-encryption key; never cached in memory."""
    return DatabaseKeyStore(_derive(b"eid-pki resident key-encryption key").hex().encode(), cache=False)


def pairwise_key() -> bytes:
    """HMAC key for residents' pairwise certificate serialNumbers."""
    return _derive(b"eid-pki pairwise subject serial")
