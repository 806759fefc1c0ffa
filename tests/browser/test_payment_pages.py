"""The sandbox payment journey in a real browser, in English and Traditional Chinese, with axe scans."""

import pytest
from django.utils import translation

from payments.actions import payment_start
from tests.browser.conftest import sign_in
from tests.factories import DepartmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Service:
    slug = "parking"
    department_code = "td"


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_resident_pays_in_the_sandbox_and_sees_the_receipt(
    page: object, live_server: object, axe_clean: object, language: str
) -> None:
    DepartmentFactory(code="td", name_en="Transport Department", name_zh_hant="運輸署")
    resident = UserFactory()
    started = payment_start(
        citizen=resident,
        service=_Service(),
        amount=45_000,
        reference="PERMIT-42",
        description="Parking permit",
    )
    sign_in(page, live_server, resident)
    page.goto(f"{live_server.url}/{language}{started.redirect_url[3:]}")
    assert page.locator("html").get_attribute("lang") == language
    assert "HK$450.00" in page.content()
    axe_clean(page)
    with translation.override(language):
        pay, receipt = translation.gettext("Pay"), translation.gettext("Payment receipt")
    page.get_by_role("button", name=pay, exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == receipt
    assert "PERMIT-42" in page.content()
    axe_clean(page)
