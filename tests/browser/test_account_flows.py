"""Account flows in a real browser: sign-up with email verification, TOTP, passkeys and step-up.

Elements are found by name, id, role and label (allauth's field names and ids), never by CSS class:
allauth's templates are being restyled and only their presentation may change.
"""

import re
import time
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.cache import cache
from django.utils import translation

from eid.audit.models import AuditEvent
from eid.constants import AssuranceLevel
from eid.models import User
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "zh-hant"]
STRONG_PASSWORD = "Harbour-Lantern-47-Kowloon"
TOTP_PERIOD = 30


def t(language: str, text: str) -> str:
    """The catalogue's translation; on a Chinese page it must differ from the English."""
    with translation.override(language):
        translated = translation.gettext(text)
    assert language == "en" or translated != text, f"{text!r} is not translated to {language}"
    return translated


def reached_level_text(language: str, level: AssuranceLevel) -> str:
    """My portal's "This sign-in reached the … level." sentence, as the resident reads it."""
    with translation.override(language):
        return translation.gettext("This sign-in reached the %(level)s level.") % {"level": str(level.label)}


def totp_code(secret: str, step: int = 0) -> str:
    """The code an authenticator app shows now (step=0) or in the next 30 s window (step=1)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // TOTP_PERIOD + step))


def path_of(page: object) -> str:
    return urlsplit(page.url).path


def submit_form_with(page: object, field_name: str) -> None:
    """Click the submit button of the form holding the named field (not the header's "Sign out")."""
    page.locator(f"form:has([name='{field_name}']) [type=submit]").first.click()


def scan_once(page: object, axe_clean: object, seen: set[str]) -> None:
    """axe on each distinct page (by path, languages apart) the flow passes through."""
    key = path_of(page)
    if key not in seen:
        seen.add(key)
        axe_clean(page)


def last_sign_in(user: User) -> AuditEvent:
    event = AuditEvent.objects.filter(subject=user, event_type="auth.sign_in").order_by("-id").first()
    assert event is not None, "No auth.sign_in audit event was written"
    return event


def session_of(page: object) -> SessionStore:
    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    return SessionStore(session_key=cookie["value"])


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Rate-limit counters and used TOTP codes live in the local cache: start each test clean."""
    cache.clear()


# 1. Sign up, verify the email address, enrol TOTP, sign out, sign in with TOTP ---------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_verify_enrol_totp_and_sign_in_with_it(
    page: object, live_server: object, axe_clean: object, language: str
) -> None:
    seen: set[str] = set()
    email = f"new.resident.{language}@example.org"
    base = live_server.url

    # Sign up.
    page.goto(f"{base}/{language}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == language
    scan_once(page, axe_clean, seen)
    mail.outbox.clear()
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", STRONG_PASSWORD)
    page.fill("input[name=password2]", STRONG_PASSWORD)
    submit_form_with(page, "password1")
    page.wait_for_url(re.compile(rf"/{language}/accounts/confirm-email/$"))
    scan_once(page, axe_clean, seen)  # "verification sent"
    user = User.objects.get(email=email)
    assert user.preferred_language == language

    # Verify the address from the link in the email.
    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    link = re.search(r"https?://\S+/accounts/confirm-email/[^\s/]+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    response = page.goto(base + urlsplit(link.group(0)).path)
    assert response.status == 200, f"The confirmation page answered {response.status}"
    confirm = page.locator("form[action*='/confirm-email/'] [type=submit]")
    if confirm.count():
        scan_once(page, axe_clean, seen)
        confirm.first.click()
        page.wait_for_load_state()
    assert user.emailaddress_set.get(email=email).verified

    # Enrol an authenticator app.
    page.goto(f"{base}/{language}/accounts/2fa/totp/activate/")
    if "/accounts/login/" in page.url:  # not signed in by the confirmation: sign in first
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", STRONG_PASSWORD)
        submit_form_with(page, "login")
        page.wait_for_url(re.compile(r"/accounts/(reauthenticate|2fa/totp/activate)/"))
    if "/accounts/reauthenticate/" in page.url:
        scan_once(page, axe_clean, seen)
        page.fill("input[name=password]", STRONG_PASSWORD)
        submit_form_with(page, "password")
    page.wait_for_url(re.compile(rf"/{language}/accounts/2fa/totp/activate/"))
    scan_once(page, axe_clean, seen)
    secret = read_totp_secret(page)
    assert secret == session_of(page)["mfa.totp.secret"]
    activation_code = totp_code(secret)
    page.fill("input[name=code]", activation_code)
    submit_form_with(page, "code")
    page.wait_for_url(lambda url: "/2fa/totp/activate/" not in url)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    scan_once(page, axe_clean, seen)  # recovery codes

    # Sign out with the header's button.
    page.get_by_role("button", name=t(language, "Sign out")).click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name=t(language, "Sign out")).count() == 0

    # Sign in: password, then the authenticator code (the next window's: the last one was just used).
    page.goto(f"{base}/{language}/accounts/login/")
    scan_once(page, axe_clean, seen)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", STRONG_PASSWORD)
    submit_form_with(page, "login")
    page.wait_for_url(re.compile(rf"/{language}/accounts/2fa/authenticate/"))
    scan_once(page, axe_clean, seen)
    code = totp_code(secret, step=1)
    if code == activation_code:  # vanishingly rare, but allauth would reject a reused code
        code = totp_code(secret, step=-1)
    page.fill("input[name=code]", code)
    submit_form_with(page, "code")
    page.wait_for_url(re.compile(rf"/{language}/my/$"))
    assert page.get_by_role("heading", level=1).inner_text() == t(language, "My portal")
    scan_once(page, axe_clean, seen)
    assert "otp" in last_sign_in(user).data["amr"]


def read_totp_secret(page: object) -> str:
    """The secret as the page shows it: allauth's #authenticator_secret field or the otpauth:// URL."""
    field = page.locator("#authenticator_secret")
    if field.count():
        return field.first.input_value().strip()
    found = re.search(r"otpauth://totp/[^\"'\s<]*secret=([A-Z2-7]+)", page.content())
    assert found, "The activation page shows no TOTP secret"
    return found.group(1)


# 2. Passkey: enrol with a virtual authenticator, then sign in with it and no password ------------


def test_passkey_enrolment_and_passwordless_sign_in(
    page: object, live_server: object, axe_clean: object
) -> None:
    seen: set[str] = set()
    base = live_server.url.replace("127.0.0.1", "localhost")  # WebAuthn refuses IP-address origins
    assert urlsplit(base).hostname == "localhost"
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    user = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    sign_in(page, live_server, user)

    page.goto(f"{base}/en/accounts/2fa/webauthn/add/")
    if "/accounts/reauthenticate/" in page.url:
        scan_once(page, axe_clean, seen)
        page.fill("input[name=password]", TEST_PASSWORD)
        submit_form_with(page, "password")
    page.wait_for_url(re.compile(r"/en/accounts/2fa/webauthn/add/"))
    scan_once(page, axe_clean, seen)
    passwordless = page.locator("input[name=passwordless]")
    if passwordless.count():  # USWDS hides the box itself off-screen: tick it through its label
        page.locator(f"label[for='{passwordless.get_attribute('id')}']").click()
        assert passwordless.is_checked()
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: "/2fa/webauthn/add/" not in url)
    key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless, "The key was not registered as a passkey"
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]})
    assert len(credentials["credentials"]) == 1

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    page.goto(f"{base}/en/accounts/login/")
    scan_once(page, axe_clean, seen)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(re.compile(r"/en/my/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "My portal"
    # A passkey is a second factor on its own: the session reaches the account's level.
    assert page.get_by_text(reached_level_text("en", AssuranceLevel.SUBSTANTIAL)).is_visible()
    amr = last_sign_in(user).data["amr"]
    assert "hwk" in amr and "pwd" not in amr, amr


# 3. Step-up from a password-only session -------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_step_up_with_the_authenticator_app(
    page: object, live_server: object, axe_clean: object, language: str
) -> None:
    seen: set[str] = set()
    resident = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    secret = generate_totp_secret()
    TOTP.activate(resident, secret)
    sign_in(page, live_server, resident)  # force_login: no second factor recorded

    next_url = f"/{language}/my/"
    page.goto(f"{live_server.url}/{language}/eid/step-up/?level=2&next={next_url}")
    assert page.get_by_role("heading", level=2).first.inner_text() == t(language, "Confirm it is you")
    with translation.override(language):  # the level's label in the page's language
        explanation = t(
            language, "You signed in at the %(level)s level. Confirm with your second factor to continue."
        ) % {"level": str(AssuranceLevel.LOW.label)}
    assert page.get_by_text(explanation).is_visible()
    scan_once(page, axe_clean, seen)
    page.get_by_role("link", name=t(language, "Use my authenticator app")).click()
    page.wait_for_url(re.compile(rf"/{language}/accounts/2fa/reauthenticate/"))
    scan_once(page, axe_clean, seen)
    page.fill("input[name=code]", totp_code(secret))
    submit_form_with(page, "code")
    page.wait_for_url(re.compile(rf"{re.escape(next_url)}$"))
    assert page.get_by_role("heading", level=1).inner_text() == t(language, "My portal")
    assert page.get_by_text(reached_level_text(language, AssuranceLevel.SUBSTANTIAL)).is_visible()
    scan_once(page, axe_clean, seen)


@pytest.mark.parametrize("language", LANGUAGES)
def test_step_up_for_a_low_account_asks_for_identity_verification(
    page: object, live_server: object, axe_clean: object, language: str
) -> None:
    sign_in(page, live_server, UserFactory(assurance_level=AssuranceLevel.LOW))
    page.goto(f"{live_server.url}/{language}/eid/step-up/?level=2&next=/{language}/my/")
    assert page.get_by_role("heading", name=t(language, "Get your identity verified")).is_visible()
    link = page.get_by_role("link", name=t(language, "Ask for identity verification"))
    assert link.get_attribute("href") == f"/{language}/eid/verification/"
    axe_clean(page)
    link.click()
    page.wait_for_url(re.compile(rf"/{language}/eid/verification/$"))
