"""The preferences page in a real browser, in English and Traditional Chinese, scanned with axe."""

import pytest
from playwright.sync_api import expect

from services.notifications.models import DistrictSubscription, OptOut
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def axe_clean() -> object:
    def check(page: object) -> None:
        violations = serious_violations(page)
        assert violations == [], f"{page.url}:\n" + "\n".join(violations)

    return check


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_resident_turns_off_email_for_a_topic_and_follows_a_district(
    page: object, live_server: object, axe_clean: object, language: str
) -> None:
    resident = UserFactory(preferred_language=language)
    sign_in(page, live_server, resident)
    page.goto(f"{live_server.url}/{language}/services/inbox/preferences/")
    assert page.locator("html").get_attribute("lang") == language
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_clean(page)

    page.locator("#receive-emailapplications").uncheck()
    page.locator("label[for='id_districts_13']").click()  # the 14th district
    page.locator("label[for='id_area_topics_0']").click()  # road works
    page.locator("form[action$='/preferences/'] button[type='submit']").click()
    expect(page.locator(".usa-alert--success, [role='status'], .usa-alert")).not_to_have_count(0)
    axe_clean(page)

    assert list(OptOut.objects.filter(user=resident).values_list("channel", "topic")) == [
        ("email", "applications")
    ]
    assert list(DistrictSubscription.objects.filter(user=resident).values_list("district", "topic")) == [
        ("sha-tin", "road-works")
    ]
    expect(page.locator("#receive-emailapplications")).not_to_be_checked()
    expect(page.locator("#receive-emailaccount")).to_be_checked()
