"""Back-office template preview: every version in the three languages with sample personalisation,
for the department's officers only."""

import pytest

from services.notifications.actions import template_update
from tests.factories import DepartmentFactory, OfficerMembershipFactory, UserFactory
from tests.services.notifications.conftest import CONTENT


@pytest.fixture
def officer(transport: object) -> object:
    return OfficerMembershipFactory(department=transport).user


def url(template: object, version: int | None = None, language: str = "en") -> str:
    suffix = f"v{version}/" if version else ""
    return f"/{language}/back-office/messages/templates/{template.public_id}/{suffix}"


def test_an_officer_previews_each_version_in_three_languages(
    client: object, officer: object, permit_template: object
) -> None:
    template_update(
        template=permit_template,
        content={
            **CONTENT,
            "en": ("Permit ((permit)) ready", "Hello ((name)), see ((office)) for ((permit))."),
        },
    )
    client.force_login(officer)
    listing = client.get("/en/back-office/messages/templates/").content.decode()
    assert "permit_ready" in listing and url(permit_template) in listing

    current = client.get(url(permit_template)).content.decode()
    assert "Permit [permit] ready" in current  # version 2, with the placeholders' names as samples
    assert "[name]你好。請到[office]領取許可證[permit]。" in current
    assert "[name]你好。请到[office]领取许可证[permit]。" in current
    assert 'lang="zh-hant"' in current and 'lang="zh-hans"' in current
    assert url(permit_template, 1) in current

    first = client.get(url(permit_template, 1), {"name": "Chan Tai Man", "permit": "P-1"}).content.decode()
    assert "Your P-1 is ready" in first and "Dear Chan Tai Man, collect permit P-1 at [office]." in first
    assert client.get(url(permit_template, 3)).status_code == 404


def test_samples_are_escaped(client: object, officer: object, permit_template: object) -> None:
    client.force_login(officer)
    page = client.get(url(permit_template), {"name": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_another_departments_template_is_a_404(client: object, permit_template: object) -> None:
    other = OfficerMembershipFactory(department=DepartmentFactory(code="imm")).user
    client.force_login(other)
    assert client.get(url(permit_template)).status_code == 404
    assert client.get(url(permit_template, 1)).status_code == 404
    assert "permit_ready" not in client.get("/en/back-office/messages/templates/").content.decode()


def test_residents_and_anonymous_users_have_no_preview(client: object, permit_template: object) -> None:
    assert client.get(url(permit_template)).status_code == 302  # to the sign-in page
    client.force_login(UserFactory())
    assert client.get(url(permit_template)).status_code == 404
    assert client.get("/en/back-office/messages/templates/").status_code == 404


def test_the_page_is_translated(client: object, officer: object, permit_template: object) -> None:
    client.force_login(officer)
    page = client.get(url(permit_template, language="zh-hant"))
    assert page.status_code == 200
    assert '<html lang="zh-hant"' in page.content.decode()
