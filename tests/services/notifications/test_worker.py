"""Delivery on Celery: on a real worker when CELERY_BROKER_URL is set (PostgreSQL), eagerly without.

Everything is observed through the database, which the test and the worker share.
"""

import time
from collections.abc import Callable

import pytest
from celery.result import EagerResult
from django.conf import settings
from rest_framework.test import APIClient

from services.notifications import actions
from services.notifications.models import DistrictSubscription, Message, Notification, Status
from services.notifications.selectors import broadcast_progress
from services.notifications.tasks import notification_deliver_task
from tests.factories import UserFactory
from tests.services.notifications.conftest import PERSONALISATION

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FINAL = {Status.DELIVERED, Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE, Status.OPTED_OUT}


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.1)


def settled(notifications: list[Notification]) -> dict[str, str]:
    ids = [n.pk for n in notifications]
    wait_for(lambda: set(Notification.objects.filter(pk__in=ids).values_list("status", flat=True)) <= FINAL)
    return dict(Notification.objects.filter(pk__in=ids).values_list("channel", "status"))


def test_send_on_every_channel_and_a_retry_never_sends_twice(
    celery_worker_process: str, permit_template: object
) -> None:
    assert celery_worker_process == ("worker" if settings.CELERY_BROKER_URL else "eager")
    resident = UserFactory(preferred_language="zh-hans", mobile_number="+85291234567")
    notifications = actions.notification_send(
        template=permit_template, recipient=resident, personalisation=PERSONALISATION, idempotency_key="once"
    )
    assert settled(notifications) == {"inbox": "delivered", "email": "delivered", "sms": "delivered"}
    assert Message.objects.get(recipient=resident).subject == "你的P-1234已准备好"

    again = actions.notification_send(
        template=permit_template, recipient=resident, personalisation=PERSONALISATION, idempotency_key="once"
    )
    assert sorted(n.pk for n in again) == sorted(n.pk for n in notifications)
    inbox = next(n for n in notifications if n.channel == "inbox")
    # A duplicate task (a redelivered message) finds the row claimed and delivers nothing.
    result = notification_deliver_task.delay(str(inbox.pk))
    assert isinstance(result, EagerResult) is (celery_worker_process == "eager")
    assert result.get(timeout=60) == Status.DELIVERED
    assert Message.objects.filter(recipient=resident).count() == 1
    assert Notification.objects.get(pk=inbox.pk).attempts == 1


def test_the_api_with_a_live_and_a_test_key(
    celery_worker_process: str, permit_template: object, live_key: str, test_key: str
) -> None:
    resident = UserFactory()
    answers = {}
    for name, key in (("live", live_key), ("test", test_key)):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        response = client.post(
            "/api/v1/notifications/",
            {
                "template_id": "permit_ready",
                "recipient": str(resident.public_id),
                "personalisation": PERSONALISATION,
            },
            format="json",
        )
        assert response.status_code == 201
        answers[name] = [Notification.objects.get(pk=n["id"]) for n in response.json()["notifications"]]
    assert settled(answers["live"]) == {"inbox": "delivered", "email": "delivered"}
    assert settled(answers["test"]) == {"inbox": "delivered", "email": "delivered"}
    # Only the live key reached the inbox.
    assert Message.objects.filter(recipient=resident).count() == 1


def test_broadcast_fan_out_to_a_district(celery_worker_process: str, make_template: object) -> None:
    from tests.services.notifications.test_broadcast import ROAD_WORKS, VALUES

    template = make_template(notification_type="road_works", topic="road-works", content=ROAD_WORKS)
    subscribers = [UserFactory(mobile_number=f"+8529{n:07d}") for n in range(6)]
    subscribers.append(UserFactory())  # no mobile number: their SMS fails, the rest go on
    for user in subscribers:
        DistrictSubscription.objects.create(user=user, district="sha-tin", topic="road-works")
    outsider = UserFactory()
    DistrictSubscription.objects.create(user=outsider, district="islands", topic="road-works")

    broadcast = actions.broadcast_publish(
        template=template, district="sha-tin", personalisation=VALUES, channels=["inbox", "sms"]
    )

    def done() -> bool:
        broadcast.refresh_from_db()
        return broadcast.total is not None and broadcast_progress(broadcast=broadcast).pending == 0

    wait_for(done)
    progress = broadcast_progress(broadcast=broadcast)
    assert (progress.total, progress.sent, progress.failed) == (14, 13, 1)
    assert Message.objects.filter(recipient__in=subscribers).count() == 7
    assert not Message.objects.filter(recipient=outsider).exists()
