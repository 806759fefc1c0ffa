"""Account takeover paths: the lock-out cannot be sidestepped; changing how the resident is reached needs
the password confirmed."""

import re
import time
from unittest import mock

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.test import Client

from eid.sms import ConsoleSMSProvider
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
STRONG = "Harbour-lights-over-Kowloon-42"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.mark.parametrize(
    "hosts",
    [
        [f"127.0.0.1:{8000 + n}" for n in range(6)],  # any port passes ALLOWED_HOSTS
        ["localhost", "LOCALHOST", "localhost.", "LocalHost", "127.0.0.1", "127.0.0.1."],
    ],
    ids=["ports", "spellings"],
)
def test_the_lock_out_counts_every_host_spelling_as_the_same_account(hosts: list[str]) -> None:
    """allauth keyed the five attempts on the Host header too: each spelling was five more guesses."""
    user = UserFactory()
    client = Client()
    for host in hosts[:5]:
        client.post("/en/accounts/login/", {"login": user.email, "password": "wrong"}, HTTP_HOST=host)
    response = client.post(
        "/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD}, HTTP_HOST=hosts[5]
    )
    assert response.status_code == 200
    assert b"try again in 15 minutes" in response.content
    assert "_auth_user_id" not in client.session


def test_the_lock_out_ignores_the_case_of_the_address() -> None:
    user = UserFactory()
    client = Client()
    for login in (user.email, user.email.upper(), user.email.title(), user.email, user.email.upper()):
        client.post("/en/accounts/login/", {"login": login, "password": "wrong"})
    response = client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert b"try again in 15 minutes" in response.content


def _signed_in_an_hour_ago(user: object) -> Client:
    client = Client()
    client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] = time.time() - 3600
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()
    return client


def test_adding_an_email_address_needs_the_password_confirmed() -> None:
    """A borrowed session must not add the borrower's address, then reset the password through it."""
    user = UserFactory()
    client = _signed_in_an_hour_ago(user)
    response = client.post("/en/accounts/email/", {"action_add": "", "email": "borrower@example.test"})
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="borrower@example.test").exists()


def test_changing_the_primary_email_address_needs_the_password_confirmed() -> None:
    user = UserFactory()
    EmailAddress.objects.create(user=user, email="second@example.test", verified=True, primary=False)
    client = _signed_in_an_hour_ago(user)
    response = client.post("/en/accounts/email/", {"action_primary": "", "email": "second@example.test"})
    assert response["Location"].startswith("/en/accounts/reauthenticate/")
    assert EmailAddress.objects.get_primary_email(user) == user.email


def test_removing_an_email_address_needs_the_password_confirmed() -> None:
    user = UserFactory()
    EmailAddress.objects.create(user=user, email="second@example.test", verified=True, primary=False)
    client = _signed_in_an_hour_ago(user)
    response = client.post("/en/accounts/email/", {"action_remove": "", "email": "second@example.test"})
    assert response["Location"].startswith("/en/accounts/reauthenticate/")
    assert EmailAddress.objects.filter(email="second@example.test").exists()


def test_changing_the_mobile_number_needs_the_password_confirmed() -> None:
    ConsoleSMSProvider.outbox.clear()
    user = UserFactory()
    client = _signed_in_an_hour_ago(user)
    response = client.post("/en/accounts/phone/change/", {"phone": "9123 4567"})
    assert response["Location"].startswith("/en/accounts/reauthenticate/")
    assert ConsoleSMSProvider.outbox == []


def test_the_change_asked_for_is_made_once_the_password_is_confirmed() -> None:
    user = UserFactory()
    client = _signed_in_an_hour_ago(user)
    asked = client.post("/en/accounts/email/", {"action_add": "", "email": "new@example.test"})
    wrong = client.post(asked["Location"], {"password": "wrong"})
    assert wrong.status_code == 200
    assert not EmailAddress.objects.filter(email="new@example.test").exists()
    response = client.post(asked["Location"], {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=user, email="new@example.test", verified=False).exists()


def test_a_password_reset_lifts_the_lock_out() -> None:
    user = UserFactory()
    client = Client()
    for _ in range(5):
        client.post("/en/accounts/login/", {"login": user.email, "password": "wrong"})
    client.post("/en/accounts/password/reset/", {"email": user.email})
    link = re.search(r"http://testserver(/\S+/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    form = client.get(link)["Location"]
    client.post(form, {"password1": STRONG, "password2": STRONG})
    response = client.post("/en/accounts/login/", {"login": user.email, "password": STRONG})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_password_change_form_is_no_way_round_the_lock_out() -> None:
    """Its current-password check let a borrowed session guess 5 a minute (7,200 a day)."""
    user = UserFactory()
    client = Client()
    client.force_login(user)
    guess = {"oldpassword": "wrong", "password1": STRONG, "password2": STRONG}
    for _ in range(5):
        assert client.post("/en/accounts/password/change/", guess).status_code == 200
    two_minutes_later = time.time() + 120
    with mock.patch("allauth.core.internal.ratelimit.time.time", return_value=two_minutes_later):
        right = {**guess, "oldpassword": TEST_PASSWORD}
        response = client.post("/en/accounts/password/change/", right)
    assert response.status_code == 429
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
