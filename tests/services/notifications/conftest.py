"""Fixtures for the notifications tests: a department, templates in three languages, API keys."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from eid.public import Department
from services.notifications.actions import api_key_create, template_create
from services.notifications.models import NotificationTemplate
from tests.factories import DepartmentFactory

CONTENT = {
    "en": ("Your ((permit)) is ready", "Dear ((name)), collect permit ((permit)) at ((office))."),
    "zh-hant": ("你的((permit))已準備好", "((name))你好。請到((office))領取許可證((permit))。"),
    "zh-hans": ("你的((permit))已准备好", "((name))你好。请到((office))领取许可证((permit))。"),
}
PERSONALISATION = {"name": "Chan Tai Man", "permit": "P-1234", "office": "Sha Tin"}


def api(token: str | None = None) -> APIClient:
    """An API client sending `Authorization: Bearer <token>` (an API key or an OIDC access token)."""
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def body(resident: object, **overrides: object) -> dict:
    """A send request for the permit template to `resident`."""
    return {
        "template_id": "permit_ready",
        "recipient": str(resident.public_id),
        "personalisation": PERSONALISATION,
        **overrides,
    }


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_unless_worker: None) -> None:
    """See tests/conftest.py: tasks run in process here unless a test is marked `worker`."""


@pytest.fixture
def transport(db: None) -> Department:
    return DepartmentFactory(code="td", name_en="Transport Department")


@pytest.fixture
def make_template(transport: Department) -> Callable[..., NotificationTemplate]:
    def make(**overrides: object) -> NotificationTemplate:
        fields = {
            "department": transport,
            "notification_type": "permit_ready",
            "content": CONTENT,
            "topic": "applications",
        }
        return template_create(**{**fields, **overrides})

    return make


@pytest.fixture
def permit_template(make_template: Callable[..., NotificationTemplate]) -> NotificationTemplate:
    return make_template()


@pytest.fixture
def live_key(transport: Department) -> str:
    return api_key_create(department=transport, name="permit system", key_type="live")[1]


@pytest.fixture
def test_key(transport: Department) -> str:
    return api_key_create(department=transport, name="permit system (test)", key_type="test")[1]
