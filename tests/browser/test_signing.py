"""Signing in a real browser: a HIGH resident signs a PDF with TOTP step-up, and anyone verifies it.

Elements are found by name, role and label, never by CSS class.
"""

import re
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache

from eid.constants import AssuranceLevel
from eid.pki.actions import certificate_issue_for_resident, pki_initialise
from tests.browser.conftest import sign_in
from tests.browser.test_account_flows import LANGUAGES, submit_form_with, t, totp_code
from tests.eid.pki.test_pades import one_page_pdf
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    cache.clear()


def _choose_pdf(page: object, path: Path, language: str) -> None:
    # Found by its label in the page's language: USWDS's file-input script once replaced that name
    # with an English aria-label on every page.
    page.get_by_label(t(language, "File to sign"), exact=True).set_input_files(str(path))
    box = page.locator("input[name=as_pdf]")
    if not box.is_checked():
        page.locator("label[for=id_as_pdf]").click()  # USWDS draws the box on the label
    assert box.is_checked()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_high_resident_signs_a_pdf_and_the_public_page_finds_it_valid(
    page: object, live_server: object, axe_clean: object, language: str, tmp_path: Path
) -> None:
    pki_initialise()
    resident = UserFactory(assurance_level=AssuranceLevel.HIGH, legal_name_en="CHAN Tai Man")
    secret = generate_totp_secret()
    TOTP.activate(resident, secret)
    certificate_issue_for_resident(user=resident)
    source = tmp_path / "form.pdf"
    source.write_bytes(one_page_pdf())
    sign_in(page, live_server, resident)  # a password-only session: signing needs a fresh step-up
    base = live_server.url

    page.goto(f"{base}/{language}/eid/signing/")
    assert page.get_by_role("heading", level=1).inner_text() == t(language, "Digital signing")
    axe_clean(page)
    _choose_pdf(page, source, language)
    page.get_by_role("button", name=t(language, "Sign"), exact=True).click()

    # Sole control of the portal-held key: the authenticator app, then back to the signing page.
    page.wait_for_url(re.compile(r"/accounts/2fa/reauthenticate/"))
    page.fill("input[name=code]", totp_code(secret))
    submit_form_with(page, "code")
    page.wait_for_url(re.compile(rf"/{language}/eid/signing/$"))
    _choose_pdf(page, source, language)
    page.get_by_role("button", name=t(language, "Sign"), exact=True).click()
    assert page.get_by_role("heading", name=t(language, "Signed")).is_visible()
    code = page.locator("[role=status] strong").first.inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{4,}", code), code
    axe_clean(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"signed-form\.pdf")).click()
    signed = tmp_path / "signed.pdf"
    download_info.value.save_as(signed)
    assert signed.read_bytes().startswith(b"%PDF") and signed.stat().st_size > source.stat().st_size

    # Anyone, signed in or not, verifies it on the public page.
    page.context.clear_cookies()
    page.goto(f"{base}/{language}/eid/verify/")
    axe_clean(page)
    page.get_by_label(t(language, "Document"), exact=True).set_input_files(str(signed))
    page.get_by_role("button", name=t(language, "Verify"), exact=True).click()
    assert page.get_by_role("heading", name=t(language, "The signature is valid")).is_visible()
    assert page.get_by_text(code, exact=True).is_visible()
    assert page.get_by_text("CHAN Tai Man").first.is_visible()
    axe_clean(page)
