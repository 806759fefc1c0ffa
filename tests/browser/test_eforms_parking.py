"""A resident applies for the residential parking permit end to end in Chromium, in en and zh-hant:
prefill consent → pages → check answers → sign with step-up → pay in the sandbox → receipt, axe on
each page. Buttons are found by their name/value (the eforms strings await translation)."""

import re
import time
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from eid.constants import AssuranceLevel
from eid.pki.actions import certificate_issue_for_resident, pki_initialise
from portal.demo import seed_demo_data
from services.eforms.models import Submission
from tests.browser.test_account_flows import LANGUAGES, submit_form_with, totp_code
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def fresh_cache(settings: object, tmp_path: Path) -> None:
    cache.clear()
    settings.EFORMS_PRIVATE_ROOT = str(tmp_path / "private")
    settings.PAYMENTS_PROVIDER = "sandbox"


def sign_in_with_second_factor(page: object, live_server: object, user: object) -> None:
    """A session signed in with password and TOTP an hour ago: SUBSTANTIAL, but signing needs it fresh."""
    client = Client()
    client.force_login(user)
    session = client.session
    earlier = time.time() - 3600
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {"method": "password", "at": earlier, "email": user.email},
        {"method": "mfa", "type": "totp", "id": 1, "at": earlier},
    ]
    session.save()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def press(page: object, value: str) -> None:
    page.locator(f"main button[name=action][value={value}]").first.click()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_resident_applies_for_a_parking_permit(
    page: object, live_server: object, axe_clean: object, language: str, tmp_path: Path
) -> None:
    seed_demo_data()
    pki_initialise()
    resident = UserFactory(
        assurance_level=AssuranceLevel.SUBSTANTIAL,
        legal_name_en="CHAN Tai Man",
        legal_name_zh="陳大文",
        address_building="Sunshine Court",
        address_street="1 Main Street",
        preferred_language=language,
    )
    secret = generate_totp_secret()
    TOTP.activate(resident, secret)
    certificate_issue_for_resident(user=resident)
    proof = tmp_path / "bill.png"
    proof.write_bytes(PNG)
    sign_in_with_second_factor(page, live_server, resident)
    base = f"{live_server.url}/{language}/services/eforms"

    page.goto(f"{base}/residential-parking-permit/")
    title = "Apply for a residential parking permit" if language == "en" else "申請住宅泊車許可證"
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert "HK$450.00" in page.content()
    axe_clean(page)
    press(page, "start")

    page.wait_for_url(re.compile(r"/consent/$"))
    axe_clean(page)
    page.locator("label[for=prefill-yes]").click()
    submit_form_with(page, "prefill")

    page.wait_for_url(re.compile(r"/page/applicant/$"))
    assert page.get_by_text("CHAN Tai Man", exact=True).is_visible()
    assert page.locator("input[name=name]").count() == 0  # prefilled: read-only, not an input
    axe_clean(page)
    page.fill("input[name=phone]", "9123 4567")
    press(page, "continue")

    page.wait_for_url(re.compile(r"/page/vehicle/$"))
    axe_clean(page)
    page.fill("input[name=registration_mark]", "AB1234")
    page.locator("label[for=id_vehicle_class_0]").click()
    page.locator("label[for=id_registered_owner_0]").click()
    press(page, "continue")

    # "I am the owner": the employer page is skipped.
    page.wait_for_url(re.compile(r"/page/permit/$"))
    axe_clean(page)
    page.fill("input[name=start_date]", "2026-12-01")
    page.set_input_files("input[name=proof_of_address]", str(proof))
    press(page, "continue")

    page.wait_for_url(re.compile(r"/page/declaration/$"))
    axe_clean(page)
    page.locator("label[for=id_declaration]").click()
    press(page, "continue")

    page.wait_for_url(re.compile(r"/check/$"))
    assert page.get_by_text("AB1234").is_visible() and page.get_by_text("bill.png").is_visible()
    axe_clean(page)
    page.locator("main form:not([action]) button[type=submit]").click()

    page.wait_for_url(re.compile(r"/sign/$"))
    axe_clean(page)
    page.locator("main form[action$='/sign/'] button[type=submit]").click()
    # Sole control of the signing key: the authenticator app, then back to the signing step.
    page.wait_for_url(re.compile(r"/accounts/2fa/reauthenticate/"))
    page.fill("input[name=code]", totp_code(secret))
    submit_form_with(page, "code")
    page.wait_for_url(re.compile(r"/sign/$"))
    page.locator("main form[action$='/sign/'] button[type=submit]").click()

    page.wait_for_url(re.compile(rf"/{language}/payments/sandbox/"))
    axe_clean(page)
    page.locator("button[name=outcome][value=pay]").click()
    # Paid: straight back to the application's confirmation (payment_start's return_url).
    page.wait_for_url(re.compile(r"/applications/[0-9a-f-]+/$"))

    submission = Submission.objects.get(resident=resident)
    assert submission.status == Submission.Status.SUBMITTED and submission.signature_code
    assert submission.answers["name"] == "CHAN Tai Man" and submission.reference.startswith("RPP-")
    assert page.url.endswith(f"/applications/{submission.public_id}/")
    assert page.get_by_text(submission.reference).first.is_visible()
    axe_clean(page)
    with page.expect_download() as download_info:
        page.locator(f"a[href$='/applications/{submission.public_id}/receipt.pdf']").click()
    receipt = tmp_path / "receipt.pdf"
    download_info.value.save_as(receipt)
    content = receipt.read_bytes()
    assert content.startswith(b"%PDF") and b"/ByteRange" in content
