"""The inbox and the notification preferences in a real browser, in English and Traditional Chinese,
axe-scanned: read a message, change channels and districts, get the quiet-hours error announced."""

import pytest
from django.utils import translation

from services.notifications.models import DistrictSubscription, OptOut, QuietHours
from tests.browser.conftest import sign_in
from tests.factories import DepartmentFactory, MessageFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def tick(page: object, selector: str) -> None:
    """USWDS draws the box on the label (the input is visually hidden): click it as a resident does."""
    page.click(f"label[for='{page.locator(selector).get_attribute('id')}']")
    assert page.locator(selector).is_checked()


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_inbox_and_preferences(page: object, live_server: object, axe_clean: object, language: str) -> None:
    department = DepartmentFactory(code="td", name_en="Transport Department", name_zh_hant="運輸署")
    resident = UserFactory()
    message = MessageFactory(recipient=resident, department=department, subject="道路工程 / Road works")
    sign_in(page, live_server, resident)

    page.goto(f"{live_server.url}/{language}/services/inbox/")
    assert page.locator("html").get_attribute("lang") == language
    axe_clean(page)
    page.get_by_role("link", name=message.subject).first.click()
    page.wait_for_url(f"**/services/inbox/{message.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == message.subject
    axe_clean(page)

    page.goto(f"{live_server.url}/{language}/services/inbox/preferences/")
    axe_clean(page)
    page.uncheck("input[name=receive][value='email:general']")
    tick(page, "input[name=districts][value='sha-tin']")
    tick(page, "input[name=area_topics][value='road-works']")
    page.fill("input[name=quiet_start]", "22:00")  # no end: refused, nothing saved
    page.get_by_role("button", name=t(language, "Save preferences")).click()
    alert = page.get_by_role("alert").filter(
        has_text=t(language, "Give both the start and the end of your quiet hours, or neither.")
    )
    assert alert.is_visible()
    axe_clean(page)
    assert not OptOut.objects.filter(user=resident).exists()

    page.fill("input[name=quiet_end]", "07:00")
    page.get_by_role("button", name=t(language, "Save preferences")).click()
    assert page.get_by_text(t(language, "Your notification preferences have been saved.")).is_visible()
    assert OptOut.objects.filter(user=resident, channel="email", topic="general").exists()
    assert DistrictSubscription.objects.filter(user=resident, district="sha-tin", topic="road-works").exists()
    assert str(QuietHours.objects.get(user=resident)) == "22:00-07:00"
    assert page.locator("input[name=receive][value='email:general']").is_checked() is False
