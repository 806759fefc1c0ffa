"""The foundation's pages in a real browser, in English and Traditional Chinese, with axe scans."""

import pytest
from django.utils import translation

from eid.constants import AssuranceLevel
from tests.browser.conftest import sign_in
from tests.factories import DepartmentFactory, MessageFactory, OfficerMembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "zh-hant"]


def t(language: str, text: str) -> str:
    """The catalogue's translation; on a Chinese page it must differ from the English."""
    with translation.override(language):
        translated = translation.gettext(text)
    assert language == "en" or translated != text, f"{text!r} is not translated to {language}"
    return translated


@pytest.fixture
def demo(db: None) -> dict:
    department = DepartmentFactory(
        code="ogcio", name_en="Digital Policy Office", name_zh_hant="數字政策辦公室"
    )
    resident = UserFactory(assurance_level=AssuranceLevel.LOW)
    message = MessageFactory(recipient=resident, department=department, subject="Welcome")
    return {"resident": resident, "message": message, "department": department}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_in_each_language(
    page: object, live_server: object, demo: dict, axe_clean: object, language: str
) -> None:
    page.goto(f"{live_server.url}/{language}/services/")
    assert page.locator("html").get_attribute("lang") == language
    expected = {"en": "Message inbox", "zh-hant": "訊息收件匣"}[language]  # declared by the service
    assert page.get_by_role("link", name=expected).is_visible()
    axe_clean(page)
    page.select_option("#id_category", "health")
    page.get_by_role("button", name=t(language, "Apply filters")).click()
    assert page.get_by_role("link", name=expected).count() == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_portal_in_each_language(
    page: object, live_server: object, demo: dict, axe_clean: object, language: str
) -> None:
    sign_in(page, live_server, demo["resident"])
    page.goto(f"{live_server.url}/{language}/my/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == t(language, "My portal")
    axe_clean(page)
    page.get_by_role("link", name=t(language, "Unread messages")).click()
    assert page.url.endswith(f"/{language}/services/inbox/")
    axe_clean(page)
    page.get_by_role("link", name="Welcome").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome"
    axe_clean(page)


@pytest.mark.parametrize(
    "path", ["/{lang}/", "/{lang}/eid/step-up/?level=2", "/{lang}/nowhere/", "/{lang}/accounts/login/"]
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_other_pages_pass_axe(
    page: object, live_server: object, demo: dict, axe_clean: object, path: str, language: str
) -> None:
    page.goto(live_server.url + path.format(lang=language))
    assert page.locator("html").get_attribute("lang") == language
    axe_clean(page)


def test_back_office_passes_axe(page: object, live_server: object, demo: dict, axe_clean: object) -> None:
    officer = OfficerMembershipFactory(department=demo["department"]).user
    sign_in(page, live_server, officer)
    for path in [
        "/en/back-office/",
        "/en/back-office/messages/",
        f"/en/back-office/messages/{demo['message'].pk}/",
    ]:
        page.goto(live_server.url + path)
        assert page.get_by_role("heading", level=1).is_visible()
        axe_clean(page)


def test_the_language_switcher_keeps_the_page(page: object, live_server: object, demo: dict) -> None:
    page.goto(f"{live_server.url}/en/services/?category=communication")
    page.get_by_role("link", name="繁體中文").click()
    assert page.url == f"{live_server.url}/zh-hant/services/?category=communication"
    assert page.locator("html").get_attribute("lang") == "zh-hant"


def test_the_skip_link_is_first_and_moves_focus_to_main(
    page: object, live_server: object, demo: dict
) -> None:
    page.goto(f"{live_server.url}/en/services/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_pages_fit_a_phone_without_javascript(browser: object, live_server: object, demo: dict) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, demo["resident"])
    for path in ["/zh-hant/services/", "/zh-hant/my/", "/zh-hant/services/inbox/"]:
        page.goto(live_server.url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        # The navigation is reachable without the (JavaScript) menu button.
        assert page.get_by_role("navigation", name=t("zh-hant", "Main navigation")).is_visible()
    # Marking all read works as a plain form post.
    page.goto(f"{live_server.url}/en/services/inbox/")
    page.get_by_role("button", name="Mark all as read").click()
    assert "0 unread messages" in page.content()
    context.close()
