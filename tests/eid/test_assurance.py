"""A session's assurance level and authentication methods (eid/assurance.py)."""

import pytest
from allauth.account.internal.flows.login import record_authentication
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest
from django.test import Client, RequestFactory

from eid.assurance import authentication_methods, session_assurance_level
from eid.constants import AssuranceLevel
from eid.models import User
from services.testing import record_second_factor
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _request(user: User | AnonymousUser) -> HttpRequest:
    """A GET request with an empty session and the given user."""
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = user
    return request


def _request_from_client(client: Client, user: User) -> HttpRequest:
    """A request carrying the test client's session (as the session middleware would load it)."""
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = user
    return request


def test_anonymous_visitor_has_no_level() -> None:
    """An anonymous visitor has no assurance level and no authentication methods."""
    request = _request(AnonymousUser())
    assert session_assurance_level(request) is None
    assert authentication_methods(request) == []


def test_request_without_user_has_no_level() -> None:
    """A request the authentication middleware never saw (no user) has no level either."""
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    assert session_assurance_level(request) is None


@pytest.mark.parametrize("level", list(AssuranceLevel))
def test_password_alone_proves_low(level: AssuranceLevel) -> None:
    """Whatever the account's level, a password-only sign-in gives a LOW session."""
    user = UserFactory(assurance_level=level)
    request = _request(user)
    record_authentication(request, user, method="password", email=user.email)
    assert session_assurance_level(request) == AssuranceLevel.LOW
    assert authentication_methods(request) == ["pwd"]


@pytest.mark.parametrize("level", list(AssuranceLevel))
def test_second_factor_reaches_the_account_level(client: Client, level: AssuranceLevel) -> None:
    """With a second factor the session reaches the account's level, never more (the lower of the two)."""
    user = UserFactory(assurance_level=level)
    client.force_login(user)
    record_second_factor(client, user)
    request = _request_from_client(client, user)
    assert session_assurance_level(request) == level
    assert authentication_methods(request) == ["pwd", "otp"]


def test_substantial_account_with_password_then_second_factor(client: Client) -> None:
    """A SUBSTANTIAL resident is LOW after the password and SUBSTANTIAL once the second factor is in."""
    user = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    request = _request(user)
    record_authentication(request, user, method="password", email=user.email)
    assert session_assurance_level(request) == AssuranceLevel.LOW
    record_authentication(request, user, method="mfa", type="totp", id=1)
    assert session_assurance_level(request) == AssuranceLevel.SUBSTANTIAL


def test_low_account_with_second_factor_stays_low(client: Client) -> None:
    """A LOW account stays LOW even with a second factor: proofing, not sign-in, caps the level."""
    user = UserFactory(assurance_level=AssuranceLevel.LOW)
    client.force_login(user)
    record_second_factor(client, user)
    assert session_assurance_level(_request_from_client(client, user)) == AssuranceLevel.LOW


def test_passkey_alone_reaches_the_account_level() -> None:
    """A passkey (WebAuthn) sign-in without a password is a strong sign-in, reported as `hwk`."""
    user = UserFactory(assurance_level=AssuranceLevel.HIGH)
    request = _request(user)
    record_authentication(request, user, method="mfa", type="webauthn", id=1, passwordless=True)
    assert session_assurance_level(request) == AssuranceLevel.HIGH
    assert authentication_methods(request) == ["hwk"]


def test_second_factor_recorded_for_another_account_does_not_count() -> None:
    """Records in the session that belong to another user are ignored: that session is LOW."""
    owner = UserFactory(assurance_level=AssuranceLevel.HIGH)
    other = UserFactory(assurance_level=AssuranceLevel.HIGH)
    request = _request(owner)
    record_authentication(request, owner, method="password")
    record_authentication(request, owner, method="mfa", type="totp", id=1)
    request.user = other
    assert session_assurance_level(request) == AssuranceLevel.LOW
    assert authentication_methods(request) == []


@pytest.mark.parametrize(
    ("records", "methods"),
    [
        ([{"method": "password"}], ["pwd"]),
        ([{"method": "password"}, {"method": "mfa", "type": "totp"}], ["pwd", "otp"]),
        ([{"method": "password"}, {"method": "mfa", "type": "recovery_codes"}], ["pwd", "otp"]),
        ([{"method": "mfa", "type": "webauthn"}], ["hwk"]),
        ([{"method": "password"}, {"method": "password"}], ["pwd"]),
        ([{"method": "password"}, {"method": "mfa", "type": "unknown"}], ["pwd", "mfa"]),
        ([{"method": "socialaccount", "provider": "x"}], ["socialaccount"]),
    ],
)
def test_authentication_methods_map_to_amr_values(records: list[dict], methods: list[str]) -> None:
    """password → pwd, totp and recovery codes → otp, webauthn → hwk; repeats are listed once."""
    user = UserFactory()
    request = _request(user)
    for record in records:
        record_authentication(request, user, **record)
    assert authentication_methods(request) == methods


def test_sign_in_through_the_login_page_is_a_low_password_session(client: Client) -> None:
    """A real password sign-in at /accounts/login/ records `pwd` and proves only LOW."""
    user = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    response = client.post(
        "/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD, "next": "/en/my/"}
    )
    assert response.status_code == 302 and response["Location"] == "/en/my/"
    request = _request_from_client(client, user)
    assert authentication_methods(request) == ["pwd"]
    assert session_assurance_level(request) == AssuranceLevel.LOW
