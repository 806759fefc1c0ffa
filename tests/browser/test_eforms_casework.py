"""Case handling in Chromium: an officer finds an application in the department inbox, asks for
more information; the resident answers with a file from My applications; the officer sees it back
in review. axe on each page. Buttons and links are found by role and name (strings await
translation, so English only)."""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from eid.constants import AssuranceLevel
from services.eforms.models import Submission
from tests.factories import DepartmentFactory, UserFactory
from tests.services.eforms.case_helpers import PDF, make_officer, make_submission
from tests.services.eforms.conftest import PARKING
from tests.services.eforms.factories import published_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def private_root(settings: object, tmp_path: Path) -> None:
    settings.EFORMS_PRIVATE_ROOT = str(tmp_path / "private")


def sign_in(page: object, live_server: object, user: object) -> None:
    client = Client()
    client.force_login(user)
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email}
    ]
    session.save()
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_officer_asks_for_more_information_and_the_resident_answers_with_a_file(
    page: object, live_server: object, axe_clean: object, tmp_path: Path
) -> None:
    transport = DepartmentFactory(code="td", name_en="Transport Department")
    version = published_version(definition=PARKING, form__department=transport, form__reference_prefix="PPM")
    resident = UserFactory(legal_name_en="CHAN Tai Man", assurance_level=AssuranceLevel.SUBSTANTIAL)
    case = make_submission(version, resident)
    officer = make_officer(transport, legal_name_en="LEE Officer")
    proof = tmp_path / "licence.pdf"
    proof.write_bytes(PDF)

    # The officer finds the case by the applicant's name and opens it.
    sign_in(page, live_server, officer)
    page.goto(f"{live_server.url}/en/back-office/applications/")
    axe_clean(page)
    page.get_by_label("Reference or applicant name").fill("chan tai")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=case.reference).click()
    assert case.reference in page.get_by_role("heading", level=1).inner_text()
    axe_clean(page)
    page.get_by_label("New status").select_option("in_review")
    page.get_by_role("button", name="Change the status").click()
    page.get_by_label("New status").select_option("more_info_requested")
    page.get_by_label("Reason or message to the applicant").fill("Send a copy of your vehicle licence.")
    page.get_by_role("button", name="Change the status").click()
    assert "More information requested" in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/en/back-office/applications/export/")
    axe_clean(page)

    # The resident sees the request in My applications and answers with a file.
    sign_in(page, live_server, resident)
    page.goto(f"{live_server.url}/en/services/eforms/applications/")
    axe_clean(page)
    page.get_by_role("link", name="Answer the department").click()
    assert "Send a copy of your vehicle licence." in page.locator("main").inner_text()
    axe_clean(page)
    page.get_by_label("Your answer").fill("Here is the licence.")
    page.locator("input[type=file]").set_input_files(str(proof))
    page.get_by_role("button", name="Send your answer").click()
    assert "Here is the licence." in page.locator("main").inner_text()
    axe_clean(page)
    case.refresh_from_db()
    assert case.status == Submission.Status.IN_REVIEW
    assert case.attachments.get().original_name == "licence.pdf"

    # The officer sees the answer and the file.
    sign_in(page, live_server, officer)
    page.goto(f"{live_server.url}/en/back-office/applications/{case.public_id}/")
    assert "Here is the licence." in page.locator("main").inner_text()
    assert page.get_by_role("link", name="licence.pdf").count() == 1


def test_resident_withdraws_and_a_manager_sets_the_webhook(
    page: object, live_server: object, axe_clean: object
) -> None:
    from eid.constants import OfficerRole
    from services.eforms.models import DepartmentWebhook

    transport = DepartmentFactory(code="td", name_en="Transport Department")
    version = published_version(definition=PARKING, form__department=transport, form__reference_prefix="PPM")
    resident = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    case = make_submission(version, resident)

    sign_in(page, live_server, resident)
    page.goto(f"{live_server.url}/en/services/eforms/applications/{case.public_id}/")
    axe_clean(page)
    page.get_by_role("link", name="Withdraw this application").click()
    axe_clean(page)
    page.get_by_role("button", name="Withdraw the application").click()
    assert "Withdrawn" in page.locator("main").inner_text()
    case.refresh_from_db()
    assert case.status == Submission.Status.WITHDRAWN

    manager = make_officer(transport, role=OfficerRole.MANAGER)
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/en/back-office/applications/webhooks/")
    axe_clean(page)
    page.get_by_role("link", name="Change").click()
    axe_clean(page)
    page.get_by_label("Webhook URL").fill("https://10.0.0.9/hook")
    page.get_by_label("Signing secret").fill("a-long-department-secret")
    page.get_by_role("button", name="Save").click()
    assert "public https address" in page.locator("main").inner_text()
    axe_clean(page)
    assert not DepartmentWebhook.objects.exists()
