"""Password hashing: Django's PBKDF2-SHA256, computed by `cryptography` instead of `hashlib`.

Same algorithm, iterations (Django 5.2's 1,000,000), salt and stored format (`pbkdf2_sha256$…`) as
`django.contrib.auth.hashers.PBKDF2PasswordHasher`: every stored hash verifies with either class, so
switching needs no migration and an attacker's cost is unchanged. Only our own cost falls: the
`cryptography` wheel's OpenSSL derives a 1,000,000-iteration key in about half the time of the
interpreter's `hashlib` on the same core (bench/README.md, "Password hashing"), and a sign-in is
mostly this one hash. Both release the GIL, so threaded workers keep serving while one hashes.
"""

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.contrib.auth.hashers import PBKDF2PasswordHasher


class CryptographyPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """`pbkdf2_sha256`, derived through `cryptography`; a drop-in for Django's own hasher."""

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        self._check_encode_args(password, salt)
        iterations = iterations or self.iterations
        derived = PBKDF2HMAC(
            algorithm=hashes.SHA256(), length=32, salt=salt.encode(), iterations=iterations
        ).derive(password.encode())
        encoded_hash = base64.b64encode(derived).decode("ascii").strip()
        return f"{self.algorithm}${iterations}${salt}${encoded_hash}"
