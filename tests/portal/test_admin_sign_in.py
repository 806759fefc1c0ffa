"""The admin site has no sign-in of its own: Django's password-only form would skip the second
factor, the rate limits and the lockout (portal/urls.py)."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/en/admin/login/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def administrator() -> tuple[object, str]:
    user = UserFactory(is_staff=True, is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def test_the_admin_password_form_signs_no_one_in(administrator: tuple[object, str]) -> None:
    """The bug: the password alone opened the admin site to an administrator with an authenticator."""
    user, _ = administrator
    browser = Client()
    response = browser.post(
        ADMIN_LOGIN, {"username": user.email, "password": TEST_PASSWORD, "next": "/en/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/?next=")
    assert SESSION_KEY not in browser.session
    assert browser.get("/en/admin/").status_code == 302


def test_the_admin_login_page_sends_to_the_portals_sign_in() -> None:
    response = Client().get(ADMIN_LOGIN + "?next=/en/admin/eid/user/")
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/?next=%2Fen%2Fadmin%2Feid%2Fuser%2F"


def test_an_administrator_reaches_the_admin_after_password_and_code(
    administrator: tuple[object, str],
) -> None:
    user, secret = administrator
    browser = Client()
    response = browser.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response["Location"].startswith("/en/accounts/2fa/authenticate/")
    assert browser.get("/en/admin/").status_code == 302  # the password alone is not a sign-in

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = browser.post("/en/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert browser.get("/en/admin/").status_code == 200


def test_a_signed_in_resident_who_is_not_staff_is_refused() -> None:
    browser = Client()
    browser.force_login(UserFactory())
    assert browser.get(ADMIN_LOGIN).status_code == 403
