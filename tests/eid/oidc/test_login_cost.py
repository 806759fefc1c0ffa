"""What a sign-in costs (bench/README.md, OIDC section): the slow password hash runs once."""

import pytest
from django.contrib.auth import hashers
from django.test import Client as BrowserClient

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash computed (the test settings' hasher), with the password it was for."""
    computed: list[str] = []
    encode = hashers.MD5PasswordHasher.encode

    def counting(self: hashers.MD5PasswordHasher, password: str, salt: str) -> str:
        computed.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(hashers.MD5PasswordHasher, "encode", counting)
    return computed


def test_a_successful_sign_in_hashes_the_password_once(hashes: list[str]) -> None:
    user = UserFactory()
    hashes.clear()  # the factory set the password
    response = BrowserClient().post(LOGIN, {"login": user.email.upper(), "password": TEST_PASSWORD})
    assert response.status_code == 302
    # No second backend, rehash or password validator on the way (PBKDF2 at 1,000,000 iterations in
    # production: each extra hash would cost three times the rest of the login flow).
    assert hashes == [TEST_PASSWORD]


def test_a_failed_sign_in_hashes_at_most_twice(hashes: list[str]) -> None:
    user = UserFactory()
    hashes.clear()  # the factory set the password
    response = BrowserClient().post(LOGIN, {"login": user.email, "password": "not-the-password-1"})
    assert response.status_code == 200
    # ModelBackend, then allauth's backend (bench/README.md: why both remain for now).
    assert len(hashes) <= 2
