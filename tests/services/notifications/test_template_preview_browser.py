"""The back-office template preview in a real browser, scanned with axe."""

import pytest
from playwright.sync_api import expect

from services.notifications.actions import template_create
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import DepartmentFactory, OfficerMembershipFactory
from tests.services.notifications.conftest import CONTENT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_an_officer_previews_a_template_with_sample_values(
    page: object, live_server: object, language: str
) -> None:
    department = DepartmentFactory(code="td")
    template = template_create(
        department=department, notification_type="permit_ready", content=CONTENT, topic="applications"
    )
    officer = OfficerMembershipFactory(department=department).user
    sign_in(page, live_server, officer)
    page.goto(f"{live_server.url}/{language}/back-office/messages/templates/")
    assert serious_violations(page) == []
    page.get_by_role("link", name="permit_ready").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("permit_ready")
    assert serious_violations(page) == []

    page.locator("#sample-name").fill("Chan Tai Man")
    page.locator("form.usa-form button[type='submit']").click()
    expect(page.locator("[lang='en'].usa-summary-box")).to_contain_text("Dear Chan Tai Man")
    expect(page.locator("[lang='zh-hant'].usa-summary-box")).to_contain_text("Chan Tai Man你好")
    assert serious_violations(page) == []
    assert str(template.public_id) in page.url
