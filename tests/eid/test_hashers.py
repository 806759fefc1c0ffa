"""The cryptography-backed PBKDF2 hasher is a drop-in for Django's: same hashes both ways."""

import pytest
from django.contrib.auth.hashers import (
    PBKDF2PasswordHasher,
    check_password,
    get_hasher,
    identify_hasher,
    make_password,
)
from django.test import override_settings

from eid.hashers import CryptographyPBKDF2PasswordHasher

PRODUCTION_HASHERS = [
    "eid.hashers.CryptographyPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]


def test_same_hash_as_djangos_hasher_for_the_same_salt_and_iterations() -> None:
    ours, djangos = CryptographyPBKDF2PasswordHasher(), PBKDF2PasswordHasher()
    for password in ("portal-demo-2026", "密碼 with spaces & ünïcödé", ""):
        assert ours.encode(password, "0123456789abcdefghij", 1_000) == djangos.encode(
            password, "0123456789abcdefghij", 1_000
        )


def test_verifies_djangos_hashes_and_django_verifies_ours() -> None:
    ours, djangos = CryptographyPBKDF2PasswordHasher(), PBKDF2PasswordHasher()
    stored_by_django = djangos.encode("correct horse", djangos.salt(), 2_000)
    stored_by_us = ours.encode("correct horse", ours.salt(), 2_000)
    assert ours.verify("correct horse", stored_by_django)
    assert djangos.verify("correct horse", stored_by_us)
    assert not ours.verify("wrong horse", stored_by_django)


def test_production_settings_use_it_at_djangos_iterations() -> None:
    from portal.settings import base

    assert base.PASSWORD_HASHERS[0] == "eid.hashers.CryptographyPBKDF2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" not in base.PASSWORD_HASHERS
    assert CryptographyPBKDF2PasswordHasher.iterations == PBKDF2PasswordHasher.iterations == 1_000_000


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_make_and_check_password_round_trip_without_upgrade() -> None:
    encoded = make_password("portal-demo-2026")
    assert encoded.startswith("pbkdf2_sha256$1000000$")
    assert isinstance(identify_hasher(encoded), CryptographyPBKDF2PasswordHasher)
    upgraded: list[str] = []
    assert check_password("portal-demo-2026", encoded, setter=upgraded.append)
    assert upgraded == []  # same algorithm and iterations: nothing to rehash
    assert not check_password("portal-demo-2025", encoded)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_the_hash_is_still_the_slow_one() -> None:
    # Guard against a "speed-up" that lowers the work factor instead of the implementation's cost.
    assert get_hasher().iterations >= 1_000_000


@pytest.mark.parametrize("bad_salt", ["", "has$dollar"])
def test_refuses_bad_salts_like_django(bad_salt: str) -> None:
    with pytest.raises(ValueError):
        CryptographyPBKDF2PasswordHasher().encode("pw", bad_salt, 1_000)
