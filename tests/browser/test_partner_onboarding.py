"""Partner onboarding in a real browser, without JavaScript shortcuts: forms, error summary, the
one-time secret and the administrators' queue, each page scanned with axe."""

import pytest

from eid.oidc.models import PartnerApplication
from tests.browser.conftest import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_partner_registers_an_application_and_an_administrator_approves_it(
    page: object, live_server: object, axe_clean: object
) -> None:
    partner = UserFactory(email="dev@bank.example")
    sign_in(page, live_server, partner)
    page.goto(f"{live_server.url}/en/eid/partners/")
    axe_clean(page)
    page.get_by_role("link", name="Register an organisation").click()
    page.get_by_label("Organisation name").fill("Harbour Bank")
    page.get_by_label("Business registration number").fill("12345678")
    page.get_by_label("Contact email").fill("dev@bank.example")
    axe_clean(page)
    page.get_by_role("button", name="Register the organisation").click()
    axe_clean(page)  # the organisation: applications and members
    page.get_by_role("link", name="Register an application").click()
    axe_clean(page)

    # An empty form: the error summary, then the fields.
    page.get_by_role("button", name="Register and get sandbox credentials").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    axe_clean(page)
    page.get_by_label("Application name").fill("Harbour Bank Online")
    page.get_by_label("Purpose, in English").fill("To open your bank account online.")
    page.get_by_label("Purpose, in Traditional Chinese").fill("在網上開設銀行帳戶。")
    page.get_by_label("Purpose, in Simplified Chinese").fill("在网上开设银行账户。")
    page.get_by_label("Redirect URIs", exact=False).first.fill("https://bank.example/callback")
    # USWDS hides the inputs themselves; the resident clicks the labels.
    page.locator("label", has_text="A client secret").click()
    page.locator("label", has_text="Your legal name in English and Chinese").click()
    page.get_by_role("button", name="Register and get sandbox credentials").click()

    assert page.get_by_role("heading", name="Your sandbox credentials").is_visible()
    application = PartnerApplication.objects.get()
    assert application.sandbox_client.pk in page.content()
    axe_clean(page)
    page.get_by_role("button", name="Request production access").click()
    assert "Production access has been requested" in page.content()

    admin = UserFactory(is_staff=True, is_superuser=True)
    page.context.clear_cookies()
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.url}/en/my/")
    page.get_by_role("link", name="Login with eID: production access requests").click()
    axe_clean(page)
    page.get_by_role("link", name="Harbour Bank Online").click()
    axe_clean(page)
    page.get_by_role("button", name="Approve and create the production client").click()
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.APPROVED
