"""REST API for department systems: API keys (test never delivers, live does), bad input, status."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from services.notifications.actions import api_key_hash
from services.notifications.models import ApiKey, Message, Notification, Status
from tests.factories import DepartmentFactory
from tests.services.notifications.conftest import PERSONALISATION, api, body

URL = "/api/v1/notifications/"


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer", "Basic abc"])
def test_a_missing_or_invalid_key_is_a_401_with_www_authenticate(
    header: str | None, permit_template: object, resident: object
) -> None:
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(URL, body(resident), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Notification.objects.exists()


def test_keys_are_stored_hashed(live_key: str) -> None:
    stored = ApiKey.objects.get()
    assert live_key not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == api_key_hash(live_key)


def test_a_revoked_key_is_refused(live_key: str, permit_template: object, resident: object) -> None:
    from django.utils import timezone

    ApiKey.objects.update(revoked_at=timezone.now())
    assert api(live_key).post(URL, body(resident), format="json").status_code == 401


def test_a_live_key_delivers_and_the_status_can_be_read(
    live_key: str, permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api(live_key).post(URL, body(resident, reference="case-7"), format="json")
    assert response.status_code == 201, response.content
    created = response.json()["notifications"]
    assert {n["channel"] for n in created} == {"inbox", "email"}
    assert all(n["status"] == "created" and n["reference"] == "case-7" for n in created)
    assert Message.objects.filter(recipient=resident).count() == 1 and len(mail.outbox) == 1
    status = api(live_key).get(f"{URL}{created[0]['id']}/")
    assert status.status_code == 200
    assert status.json()["status"] == "delivered"
    assert status.json()["template"] == {"id": str(permit_template.public_id), "version": 1}


def test_a_test_key_never_delivers(
    test_key: str, permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api(test_key).post(URL, body(resident), format="json")
    assert response.status_code == 201
    assert not Message.objects.exists() and mail.outbox == []
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert all(n["test"] for n in response.json()["notifications"])


def test_the_idempotency_key_makes_a_retried_request_safe(
    live_key: str, permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = api(live_key).post(URL, body(resident, idempotency_key="abc"), format="json").json()
        again = api(live_key).post(URL, body(resident, idempotency_key="abc"), format="json").json()
    assert first["notifications"][0]["id"] == again["notifications"][0]["id"]
    assert Message.objects.count() == 1 and len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"personalisation": {"name": "Chan"}}, "office, permit"),
        ({"template_id": "no_such_template"}, "unknown_template"),
        ({"recipient": None, "email_address": "not an email"}, "invalid_email_address"),
        ({"recipient": None, "phone_number": "2123 4567"}, "invalid_phone_number"),
        ({"personalisation": {**PERSONALISATION, "name": "x" * 5000}}, "personalisation"),
        ({"channels": ["fax"]}, "channels"),
        ({"recipient": "00000000-0000-0000-0000-000000000000"}, "recipient"),
        ({"recipient": None}, "exactly one"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem_and_nothing_is_queued(
    live_key: str, permit_template: object, resident: object, overrides: dict, error: str
) -> None:
    data = {key: value for key, value in body(resident, **overrides).items() if value is not None}
    response = api(live_key).post(URL, data, format="json")
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Notification.objects.exists()


def test_a_missing_placeholder_names_it(live_key: str, permit_template: object, resident: object) -> None:
    response = api(live_key).post(URL, body(resident, personalisation={"name": "Chan"}), format="json")
    assert response.json()["error"] == "missing_personalisation"
    assert response.json()["missing"] == ["office", "permit"]


def test_an_oversized_message_is_a_400(
    live_key: str, make_template: object, transport: object, django_capture_on_commit_callbacks: object
) -> None:
    content = {language: ("Notice", "((text))") for language in ("en", "zh-hant", "zh-hans")}
    make_template(notification_type="free_text", content=content)
    response = api(live_key).post(
        URL,
        {"template_id": "free_text", "phone_number": "91234567", "personalisation": {"text": "字" * 1500}},
        format="json",
    )
    assert response.status_code == 400 and response.json()["error"] == "too_long"


def test_a_department_sees_only_its_own_templates_and_notifications(
    live_key: str, permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    from services.notifications.actions import api_key_create

    other_key = api_key_create(department=DepartmentFactory(code="lcsd"), name="x", key_type="live")[1]
    assert api(other_key).post(URL, body(resident), format="json").json()["error"] == "unknown_template"
    with django_capture_on_commit_callbacks(execute=True):
        created = api(live_key).post(URL, body(resident), format="json").json()["notifications"]
    assert api(other_key).get(f"{URL}{created[0]['id']}/").status_code == 404
    assert api(live_key).get(f"{URL}not-a-uuid/").status_code == 404
