"""allauth's account, MFA and session pages in a real browser, in English and Traditional Chinese.

Every page is scanned with axe (no serious or critical WCAG 2.1 A/AA violation), has the page's
language on <html> and a visible, translated h1. Forms with errors show an error summary that is
announced (role="alert", focused on load) and links each error to its field.
"""

import re
import time
from collections.abc import Iterator

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "zh-hant"]


@pytest.fixture(autouse=True)
def no_csp_violations(page: object) -> Iterator[None]:
    """No page may need inline script or style: the browser reports each one it blocks."""
    violations = []

    def collect(message: object) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", collect)
    yield
    assert violations == []


def t(language: str, text: str) -> str:
    """The catalogue's translation; on a Chinese page it must differ from the English."""
    with translation.override(language):
        translated = translation.gettext(text)
    assert language == "en" or translated != text, f"{text!r} is not translated to {language}"
    return translated


def assert_accessible_page(page: object, language: str, heading: str, axe_clean: object) -> None:
    assert page.locator("html").get_attribute("lang") == language
    h1 = page.get_by_role("heading", level=1)
    expect(h1).to_be_visible()
    assert h1.inner_text().strip() == t(language, heading)
    axe_clean(page)


def reauthenticate_if_asked(page: object, language: str, axe_clean: object) -> None:
    """A session from sign_in (force_login) is not a recent authentication: confirm the password."""
    if "/accounts/reauthenticate/" not in page.url:
        return
    assert_accessible_page(page, language, "Confirm Access", axe_clean)
    page.get_by_label(t(language, "Password")).fill(TEST_PASSWORD)
    page.get_by_role("button", name=t(language, "Confirm"), exact=True).click()
    page.wait_for_url(lambda url: "/accounts/reauthenticate/" not in url)


@pytest.mark.parametrize(
    ("path", "heading"),
    [("login", "Sign In"), ("signup", "Sign Up"), ("password/reset", "Password Reset")],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_entrance_pages(
    page: object, live_server: object, axe_clean: object, language: str, path: str, heading: str
) -> None:
    response = page.goto(f"{live_server.url}/{language}/accounts/{path}/")
    assert response.status == 200
    assert_accessible_page(page, language, heading, axe_clean)
    # Every visible input has a label, and none is a bare, unstyled control.
    for control in page.locator("main input:not([type=hidden])").all():
        assert page.locator(f"label[for='{control.get_attribute('id')}']").count() == 1
        assert re.search(r"usa-(input|checkbox__input|radio__input)", control.get_attribute("class"))
    for button in page.locator("main button").all():
        assert "usa-button" in button.get_attribute("class")
    # Password managers still recognise the password fields.
    for password in page.locator("main input[type=password]").all():
        assert password.get_attribute("autocomplete") in {"current-password", "new-password"}


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("email", "Email Addresses"),
        ("password/change", "Change Password"),
        ("2fa", "Two-Factor Authentication"),
        ("2fa/webauthn", "Security Keys"),
        ("logout", "Sign Out"),  # a form element without form=
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_signed_in_pages(
    page: object,
    live_server: object,
    resident: object,
    axe_clean: object,
    language: str,
    path: str,
    heading: str,
) -> None:
    sign_in(page, live_server, resident)
    response = page.goto(f"{live_server.url}/{language}/accounts/{path}/")
    assert response.status == 200
    assert_accessible_page(page, language, heading, axe_clean)


@pytest.mark.parametrize("language", LANGUAGES)
def test_sessions_page_lists_this_session(
    page: object, live_server: object, resident: object, axe_clean: object, language: str
) -> None:
    # Signed in through the form, so that allauth records the session the page lists.
    page.goto(f"{live_server.url}/{language}/accounts/login/")
    page.get_by_label(t(language, "Email")).fill(resident.email)
    page.get_by_label(t(language, "Password")).fill(TEST_PASSWORD)
    page.get_by_role("button", name=t(language, "Sign In"), exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{live_server.url}/{language}/accounts/sessions/")
    assert_accessible_page(page, language, "Sessions", axe_clean)
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table tbody")).to_contain_text(t(language, "Current"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_activating_an_authenticator_app(
    page: object, live_server: object, resident: object, axe_clean: object, language: str
) -> None:
    sign_in(page, live_server, resident)
    page.goto(f"{live_server.url}/{language}/accounts/2fa/totp/activate/")
    reauthenticate_if_asked(page, language, axe_clean)
    assert page.url.endswith(f"/{language}/accounts/2fa/totp/activate/")
    assert_accessible_page(page, language, "Activate Authenticator App", axe_clean)

    # The QR code says what it is; the secret is readable text a keyboard can reach.
    qr_code = page.get_by_role(
        "img",
        name=t(
            language,
            "QR code for your authenticator app. If you cannot scan it, enter the authenticator secret "
            "shown below in the app.",
        ),
    )
    expect(qr_code).to_be_visible()
    secret_field = page.get_by_label(t(language, "Authenticator secret"))
    expect(secret_field).to_be_editable(editable=False)
    secret = secret_field.input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret)

    code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
    page.get_by_label(t(language, "Authenticator code")).fill(code)
    page.get_by_role("button", name=t(language, "Activate"), exact=True).click()
    page.wait_for_url(f"**/{language}/accounts/2fa/recovery-codes/")
    assert_accessible_page(page, language, "Recovery Codes", axe_clean)
    codes = page.get_by_label(t(language, "Unused codes")).input_value().split()
    assert len(codes) == mfa_settings.RECOVERY_CODE_COUNT

    page.goto(f"{live_server.url}/{language}/accounts/2fa/")
    assert_accessible_page(page, language, "Two-Factor Authentication", axe_clean)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failed_sign_in_is_announced(
    page: object, live_server: object, resident: object, axe_clean: object, language: str
) -> None:
    page.goto(f"{live_server.url}/{language}/accounts/login/")
    page.get_by_label(t(language, "Email")).fill(resident.email)
    page.get_by_label(t(language, "Password")).fill("not-the-password")
    page.get_by_role("button", name=t(language, "Sign In"), exact=True).click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name=t(language, "There is a problem"))).to_be_visible()
    expect(summary).to_contain_text(
        t(language, "The email address and/or password you specified are not correct.")
    )
    # Focused on load, so a screen reader reads it out at once.
    expect(summary).to_be_focused()
    assert_accessible_page(page, language, "Sign In", axe_clean)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_empty_sign_up_links_each_error_to_its_field(
    page: object, live_server: object, axe_clean: object, language: str
) -> None:
    page.goto(f"{live_server.url}/{language}/accounts/signup/")
    page.get_by_role("button", name=t(language, "Sign Up"), exact=True).click()

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name=t(language, "There is a problem"))).to_be_visible()
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    targets = [link.get_attribute("href") for link in links.all()]
    assert targets == ["#id_email", "#id_password1", "#id_password2"]
    for index, target in enumerate(targets):
        links.nth(index).click()
        field = page.locator(target)
        expect(field).to_be_focused()
        expect(field).to_have_attribute("aria-invalid", "true")
        # The field's own error is next to it and part of its description.
        error_id = f"{target[1:]}-error"
        assert error_id in field.get_attribute("aria-describedby").split()
        expect(page.locator(f"#{error_id} .usa-error-message")).to_have_text(
            t(language, "This field is required.")
        )
    assert_accessible_page(page, language, "Sign Up", axe_clean)
