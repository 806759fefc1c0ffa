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


def test_a_failed_sign_in_hashes_the_password_once(hashes: list[str]) -> None:
    """The bug: ModelBackend, then allauth's backend, each hashed a wrong password (eid/backends.py)."""
    user = UserFactory()
    hashes.clear()  # the factory set the password
    response = BrowserClient().post(LOGIN, {"login": user.email, "password": "not-the-password-1"})
    assert response.status_code == 200
    assert hashes == ["not-the-password-1"]


def test_an_unknown_account_costs_one_hash_too(hashes: list[str]) -> None:
    """As long as a wrong password for a real account: the timing does not tell them apart."""
    response = BrowserClient().post(LOGIN, {"login": "nobody@example.org", "password": "a-guess-12345"})
    assert response.status_code == 200
    assert hashes == ["a-guess-12345"]


def test_a_failed_sign_in_is_still_signalled_and_audited(hashes: list[str]) -> None:
    from django.contrib.auth.signals import user_login_failed

    failures: list[dict] = []

    def record(sender: object, credentials: dict, **kwargs: object) -> None:
        failures.append(credentials)

    user_login_failed.connect(record)
    try:
        BrowserClient().post(LOGIN, {"login": "someone@example.org", "password": "wrong-password-1"})
    finally:
        user_login_failed.disconnect(record)
    assert len(failures) == 1
    assert failures[0]["password"] != "wrong-password-1"  # Django masks it


def test_a_session_begun_through_model_backend_stays_signed_in() -> None:
    """Sessions keep their backend's path: those from before PasswordBackend still load."""
    from django.contrib.auth import BACKEND_SESSION_KEY

    user = UserFactory()
    browser = BrowserClient()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert browser.session[BACKEND_SESSION_KEY] == "django.contrib.auth.backends.ModelBackend"
    response = browser.get("/en/my/")
    assert response.status_code == 200
    assert response.wsgi_request.user == user
