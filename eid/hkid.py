"""Hong Kong Identity Card numbers: check digit validation, keyed hashing, masking and sealing.

The number is never stored in clear: an HMAC under HKID_HASH_KEY (to find a duplicate or match a
document), a masked display form, and, once an officer has verified it on the card, a Fernet token
under HKID_ENCRYPTION_KEY (`EID_HKID_ENCRYPTION_KEY`) that only the claims for a department with a
recorded legal basis open (eid/oidc/claims.py).
"""

import base64
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

HKID_PATTERN = re.compile(r"\A([A-Z]{1,2})([0-9]{6})(?:\(([0-9A])\)|([0-9A]))\Z")


def hkid_normalise(raw: str) -> str:
    """Upper-case the number and drop spaces, keeping the shape `A1234567` (no brackets)."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    match = HKID_PATTERN.match(compact)
    if not match:
        raise ValidationError(_("Enter an HKID number like A123456(3)."), code="hkid_format")
    prefix, digits, bracketed, bare = match.groups()
    return f"{prefix}{digits}{bracketed or bare}"


def hkid_check_digit(prefix: str, digits: str) -> str:
    """The check digit of an HKID: weights 9..2 over (space-padded) prefix and digits, mod 11."""
    padded = prefix.rjust(2)
    values = [36 if ch == " " else ord(ch) - ord("A") + 10 for ch in padded]
    values += [int(d) for d in digits]
    total = sum(value * weight for value, weight in zip(values, range(9, 1, -1), strict=True))
    remainder = (11 - total % 11) % 11
    return "A" if remainder == 10 else str(remainder)


def hkid_validate(raw: str) -> str:
    """Return the normalised HKID or raise ValidationError when the format or check digit is wrong."""
    normalised = hkid_normalise(raw)
    prefix, digits, check = normalised[:-7], normalised[-7:-1], normalised[-1]
    if hkid_check_digit(prefix, digits) != check:
        raise ValidationError(
            _("This HKID number is not valid: check the digit in brackets."), code="hkid_check_digit"
        )
    return normalised


def hkid_hash(normalised: str) -> str:
    """Keyed hash of a normalised HKID (HMAC-SHA256): no rainbow table recovers it without the key."""
    key = settings.HKID_HASH_KEY.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def hkid_mask(normalised: str) -> str:
    """Masked display form, e.g. `A123***(3)`: the prefix, three digits and the check digit."""
    prefix, digits, check = normalised[:-7], normalised[-7:-1], normalised[-1]
    return f"{prefix}{digits[:3]}***({check})"


# Sealing (encryption at rest) ------------------------------------------------------------------


def hkid_encryption_keys() -> list[str]:
    """The configured Fernet keys, newest first (comma-separated, for rotation); empty when unset."""
    raw = getattr(settings, "HKID_ENCRYPTION_KEY", "") or ""
    return [key.strip() for key in raw.split(",") if key.strip()]


def hkid_dev_encryption_key() -> str:
    """Dev and test only: a Fernet key derived from SECRET_KEY, like the other dev keys."""
    digest = hashlib.sha256(f"hkid-dev-only:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _hkid_fernet() -> MultiFernet:
    keys = hkid_encryption_keys()
    if not keys:
        if getattr(settings, "PORTAL_ENVIRONMENT", "") == "production":
            raise ImproperlyConfigured("Set EID_HKID_ENCRYPTION_KEY: HKID numbers cannot be sealed.")
        keys = [hkid_dev_encryption_key()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def hkid_seal(normalised: str) -> str:
    """A Fernet token of a normalised (validated) HKID."""
    return _hkid_fernet().encrypt(normalised.encode()).decode()


def hkid_unseal(sealed: str) -> str:
    """The HKID in a token, or "" when there is none or it does not open (another key): the caller
    then releases the mask, never a wrong number."""
    if not sealed:
        return ""
    try:
        return _hkid_fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return ""
