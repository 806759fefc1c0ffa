"""Signing in and out through allauth's pages writes audit events (eid/signals.py)."""

import json
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from eid.audit.chain import audit_chain_verify
from eid.audit.models import AuditEvent
from eid.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/en/accounts/login/"
LOGOUT_URL = "/en/accounts/logout/"
WRONG_PASSWORD = "Wr0ng-but-plausible-passphrase"
AGENT = "Mozilla/5.0 (eid-tests)"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """allauth counts failed sign-ins in the cache; each test starts (and leaves) with none."""
    cache.clear()
    yield
    cache.clear()


def _sign_in(client: Client, email: str, password: str) -> object:
    data = {"login": email, "password": password, "next": "/en/my/"}
    return client.post(LOGIN_URL, data, HTTP_USER_AGENT=AGENT)


def _event_text(event: AuditEvent) -> str:
    """Every stored column of the event, including its details as JSON."""
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    return json.dumps(row, default=str, ensure_ascii=False)


def test_sign_in_writes_an_event() -> None:
    """A successful password sign-in writes `auth.sign_in` for that resident, with address and device."""
    user = UserFactory()
    client = Client()
    response = _sign_in(client, user.email, TEST_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/en/my/"

    event = AuditEvent.objects.get(event_type="auth.sign_in")
    assert (event.actor_id, event.subject_id) == (user.pk, user.pk)
    assert (event.ip_address, event.user_agent) == ("127.0.0.1", AGENT)
    assert TEST_PASSWORD not in _event_text(event)
    assert not AuditEvent.objects.filter(event_type="auth.sign_in_failed").exists()
    assert audit_chain_verify().ok


def test_sign_in_without_next_goes_to_my_portal() -> None:
    """Signing in without a `next` page redirects to the resident's "My portal"."""
    user = UserFactory()
    response = Client().post(LOGIN_URL, {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/en/my/"


def test_wrong_password_writes_a_failed_event_without_the_password() -> None:
    """A wrong password writes `auth.sign_in_failed` naming the account; the password is never stored."""
    user = UserFactory()
    response = _sign_in(Client(), user.email, WRONG_PASSWORD)
    assert response.status_code == 200  # the form again, with an error

    event = AuditEvent.objects.get(event_type="auth.sign_in_failed")
    assert event.data == {"account_exists": True}
    assert event.subject_id == user.pk
    assert event.actor_id is None
    assert (event.ip_address, event.user_agent) == ("127.0.0.1", AGENT)
    text = _event_text(event)
    assert WRONG_PASSWORD not in text
    assert TEST_PASSWORD not in text
    assert not AuditEvent.objects.filter(event_type="auth.sign_in").exists()
    assert audit_chain_verify().ok


def test_wrong_password_with_other_case_email_still_names_the_account() -> None:
    """The failed attempt is matched to the account whatever the case of the email typed."""
    user = UserFactory(email="chan.tai.man@example.test")
    _sign_in(Client(), "Chan.Tai.Man@Example.TEST", WRONG_PASSWORD)
    event = AuditEvent.objects.get(event_type="auth.sign_in_failed")
    assert (event.subject_id, event.data) == (user.pk, {"account_exists": True})


def test_unknown_email_writes_account_exists_false() -> None:
    """A sign-in attempt for an email with no account is recorded with account_exists False."""
    UserFactory()
    response = _sign_in(Client(), "nobody@example.test", WRONG_PASSWORD)
    assert response.status_code == 200

    event = AuditEvent.objects.get(event_type="auth.sign_in_failed")
    assert event.data == {"account_exists": False}
    assert event.subject_id is None
    assert WRONG_PASSWORD not in _event_text(event)
    assert not User.objects.filter(email="nobody@example.test").exists()


def test_sign_out_writes_an_event_and_the_chain_verifies() -> None:
    """Signing out (POST) writes `auth.sign_out` for the resident; the whole sequence verifies."""
    user = UserFactory()
    client = Client()
    _sign_in(client, user.email, WRONG_PASSWORD)
    _sign_in(client, user.email, TEST_PASSWORD)

    response = client.post(LOGOUT_URL, HTTP_USER_AGENT=AGENT)
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session

    event = AuditEvent.objects.get(event_type="auth.sign_out")
    assert (event.actor_id, event.subject_id) == (user.pk, user.pk)
    assert list(AuditEvent.objects.values_list("event_type", flat=True)) == [
        "auth.sign_in_failed",
        "auth.sign_in",
        "auth.sign_out",
    ]
    report = audit_chain_verify()
    assert (report.ok, report.checked) == (True, 3)


def test_signing_out_when_not_signed_in_writes_nothing() -> None:
    """A logout request from an anonymous visitor records no sign-out."""
    Client().post(LOGOUT_URL)
    assert not AuditEvent.objects.filter(event_type="auth.sign_out").exists()
