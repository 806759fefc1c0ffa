"""Resident accounts with allauth: sign-up, sign-in, lock-out, MFA rules, phone numbers, attacks."""

import re
import time

import pytest
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.core.cache import cache
from django.test import Client

from eid.audit.models import AuditEvent
from eid.constants import AssuranceLevel
from eid.models import User
from eid.sms import ConsoleSMSProvider
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
STRONG = "Harbour-lights-over-Kowloon-42"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def _totp_code(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def _with_totp(user: User) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def test_sign_up_sends_a_verification_email_and_remembers_the_language() -> None:
    response = Client().post(
        "/zh-hant/accounts/signup/", {"email": "new@example.test", "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.test")
    assert user.preferred_language == "zh-hant"
    assert len(mail.outbox) == 1 and "new@example.test" in mail.outbox[0].to
    assert AuditEvent.objects.filter(event_type="account.signed_up", subject=user).exists()


@pytest.mark.parametrize("password", ["password123", "12345678901", "new@example.test"])
def test_weak_and_common_passwords_are_refused(password: str) -> None:
    response = Client().post(
        "/en/accounts/signup/", {"email": "new@example.test", "password1": password, "password2": password}
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.test").exists()
    assert b"There is a problem" in response.content or b"password" in response.content


def test_sign_up_with_a_taken_email_looks_the_same_as_a_new_one() -> None:
    """No enumeration: the response is the same; the owner of the address gets an email instead."""
    UserFactory(email="taken@example.test")
    fresh = Client().post(
        "/en/accounts/signup/", {"email": "fresh@example.test", "password1": STRONG, "password2": STRONG}
    )
    taken = Client().post(
        "/en/accounts/signup/", {"email": "taken@example.test", "password1": STRONG, "password2": STRONG}
    )
    assert (fresh.status_code, fresh["Location"]) == (taken.status_code, taken["Location"])
    assert User.objects.filter(email="taken@example.test").count() == 1


def test_password_reset_answers_the_same_for_unknown_addresses() -> None:
    UserFactory(email="known@example.test")
    known = Client().post("/en/accounts/password/reset/", {"email": "known@example.test"})
    unknown = Client().post("/en/accounts/password/reset/", {"email": "nobody@example.test"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


def test_an_account_is_locked_after_five_failures_and_the_resident_is_told_when_to_retry() -> None:
    user = UserFactory()
    client = Client()
    for _ in range(5):
        client.post("/en/accounts/login/", {"login": user.email, "password": "wrong-password"})
    response = client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert b"try again in 15 minutes" in response.content
    assert "_auth_user_id" not in client.session


def test_the_lock_out_message_is_translated() -> None:
    user = UserFactory()
    client = Client()
    for _ in range(6):
        response = client.post("/zh-hant/accounts/login/", {"login": user.email, "password": "wrong"})
    assert b"try again in" not in response.content
    assert "15" in response.content.decode()


def test_sign_in_never_redirects_off_site() -> None:
    user = UserFactory()
    response = Client().post(
        "/en/accounts/login/?next=https://evil.example/", {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/my/"


def test_a_post_without_a_csrf_token_is_refused() -> None:
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_oversized_sign_in_fields_are_a_form_error_not_a_crash() -> None:
    response = Client().post("/en/accounts/login/", {"login": "a" * 5000 + "@x.test", "password": "b" * 5000})
    assert response.status_code == 200
    assert b"There is a problem" in response.content or b"error" in response.content


def test_sign_in_with_totp_reaches_the_accounts_level() -> None:
    user = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    secret = _with_totp(user)
    client = Client()
    response = client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response["Location"] == "/en/accounts/2fa/authenticate/"
    response = client.post("/en/accounts/2fa/authenticate/", {"code": _totp_code(secret)})
    assert response.status_code == 302
    page = client.get("/en/my/")
    assert b"This sign-in reached the Substantial level" in page.content
    event = AuditEvent.objects.filter(event_type="auth.sign_in", subject=user).get()
    assert event.data["amr"] == ["pwd", "otp"]


def test_a_wrong_totp_code_is_refused_and_audited() -> None:
    user = UserFactory()
    secret = _with_totp(user)
    client = Client()
    client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    wrong = "000000" if _totp_code(secret) != "000000" else "111111"
    response = client.post("/en/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event_type="mfa.failed", subject=user).exists()


def test_a_replayed_totp_code_is_refused() -> None:
    user = UserFactory()
    secret = _with_totp(user)
    code = _totp_code(secret)
    first = Client()
    first.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert first.post("/en/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    second = Client()
    second.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    response = second.post("/en/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in second.session


def test_totp_secrets_are_encrypted_at_rest() -> None:
    user = UserFactory()
    secret = _with_totp(user)
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    assert secret not in stored
    assert get_mfa_adapter().decrypt(stored) == secret


def test_a_substantial_resident_keeps_at_least_one_second_factor() -> None:
    user = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    _with_totp(user)
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    adapter = get_mfa_adapter()
    assert not adapter.can_delete_authenticator(totp)
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"credential": {}})
    assert adapter.can_delete_authenticator(totp)


def test_a_low_resident_may_remove_their_only_second_factor() -> None:
    user = UserFactory()
    _with_totp(user)
    assert get_mfa_adapter().can_delete_authenticator(Authenticator.objects.get(user=user))


def test_deactivating_the_last_totp_of_a_substantial_resident_is_refused_on_the_page() -> None:
    user = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    secret = _with_totp(user)
    client = Client()
    client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    client.post("/en/accounts/2fa/authenticate/", {"code": _totp_code(secret)})
    client.post("/en/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_a_mobile_number_is_verified_by_a_code_sent_by_sms() -> None:
    ConsoleSMSProvider.outbox.clear()
    user = UserFactory()
    client = Client()
    client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    # A change of number needs the password confirmed (ACCOUNT_REAUTHENTICATION_REQUIRED).
    client.post("/en/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    response = client.post("/en/accounts/phone/change/", {"phone": "9123 4567"})
    assert response.status_code == 302, response.content[:400]
    (sms,) = ConsoleSMSProvider.outbox
    assert sms.to == "+85291234567"
    code = re.search(r"code is ([\w-]+)\.", sms.body).group(1)
    response = client.post("/en/accounts/phone/verify/", {"code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.mobile_number, user.mobile_verified) == ("+85291234567", True)


@pytest.mark.parametrize("phone", ["12345", "+85211234567", "+44 20 7946 0000", "9" * 400])
def test_an_invalid_mobile_number_is_refused(phone: str) -> None:
    ConsoleSMSProvider.outbox.clear()
    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = client.post("/en/accounts/phone/change/", {"phone": phone})
    assert response.status_code == 200
    assert ConsoleSMSProvider.outbox == []
    user.refresh_from_db()
    assert user.mobile_number == ""


def test_the_security_page_lists_recent_sign_ins() -> None:
    user = UserFactory()
    client = Client()
    client.post(
        "/en/accounts/login/", {"login": user.email, "password": "wrong"}, HTTP_USER_AGENT="Phone/1.0"
    )
    client.post(
        "/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD}, HTTP_USER_AGENT="Phone/1.0"
    )
    page = client.get("/en/eid/security/")
    assert b"Signed in" in page.content and b"Failed sign-in attempt" in page.content
    assert b"Phone/1.0" in page.content


def test_the_sessions_page_lists_this_device_and_signs_out_others() -> None:
    from allauth.usersessions.models import UserSession

    user = UserFactory()
    first, second = Client(), Client()
    for client in (first, second):
        client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert UserSession.objects.filter(user=user).count() == 2
    page = first.get("/en/accounts/sessions/")
    assert page.status_code == 200
    first.post("/en/accounts/sessions/", {})
    assert second.get("/en/my/").status_code == 302  # signed out elsewhere
    assert first.get("/en/my/").status_code == 200


def test_sign_up_is_rate_limited_with_a_clear_page() -> None:
    client = Client()
    for number in range(10):
        client.post(
            "/en/accounts/signup/",
            {"email": f"u{number}@example.test", "password1": STRONG, "password2": STRONG},
        )
    response = client.post(
        "/en/accounts/signup/", {"email": "u99@example.test", "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 429
    assert b"Too many attempts" in response.content


def test_an_expired_email_verification_link_changes_nothing() -> None:
    from unittest import mock

    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    user = UserFactory()
    address = EmailAddress.objects.get(user=user)
    address.verified = False
    address.save()
    key = EmailConfirmationHMAC(address).key
    four_days_later = time.time() + 4 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=four_days_later):
        client = Client()
        page = client.get(f"/en/accounts/confirm-email/{key}/")
        response = client.post(f"/en/accounts/confirm-email/{key}/")
    assert b"expired or is invalid" in page.content
    assert response.status_code == 404
    address.refresh_from_db()
    assert not address.verified


def test_a_garbage_email_verification_key_is_refused() -> None:
    client = Client()
    assert b"expired or is invalid" in client.get("/en/accounts/confirm-email/not-a-real-key/").content
    assert client.post("/en/accounts/confirm-email/not-a-real-key/").status_code == 404


def test_a_password_change_is_told_to_the_resident_by_email_in_their_language() -> None:
    user = UserFactory()
    client = Client()
    client.post("/zh-hant/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    mail.outbox.clear()
    response = client.post(
        "/zh-hant/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 302, response.content[:400]
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert message.subject.startswith("[eID] ")
    assert "密碼" in message.subject  # allauth's Traditional Chinese "password changed"
    assert "127.0.0.1" in message.body  # from where


@pytest.mark.django_db(transaction=True)  # sent on commit, while the request is still being answered
def test_a_new_authenticator_app_is_told_to_the_resident_by_email() -> None:
    user = UserFactory()
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    client.post("/en/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    page = client.get("/en/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.get("Location")
    mail.outbox.clear()
    secret = page.context["form"].secret
    response = client.post("/en/accounts/2fa/totp/activate/", {"code": _totp_code(secret)})
    assert response.status_code == 302, response.content[:400]
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert "203.0.113.5" in message.body
