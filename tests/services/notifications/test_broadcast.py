"""Location-based broadcasts: subscribers of a district and topic, fan-out in batches, progress."""

import pytest
from rest_framework.test import APIClient

from eid.public import ApplicationError
from services.notifications import actions, channels
from services.notifications.models import DistrictSubscription, Message, Notification, OptOut, Status
from services.notifications.selectors import broadcast_progress
from services.notifications.tasks import broadcast_batch_task
from tests.factories import UserFactory

ROAD_WORKS = {
    "en": ("Road works on ((road))", "((road)) is closed from ((date))."),
    "zh-hant": ("((road))道路工程", "((road))由((date))起封閉。"),
    "zh-hans": ("((road))道路工程", "((road))由((date))起封闭。"),
}
VALUES = {"road": "Tai Po Road", "date": "1 December"}


@pytest.fixture
def road_works(make_template: object) -> object:
    return make_template(notification_type="road_works", topic="road-works", content=ROAD_WORKS)


def subscribe(district: str = "sha-tin", topic: str = "road-works", **user_fields: object) -> object:
    user = UserFactory(**user_fields)
    DistrictSubscription.objects.create(user=user, district=district, topic=topic)
    return user


def test_every_subscriber_of_the_district_and_topic_receives_it(
    road_works: object, django_capture_on_commit_callbacks: object
) -> None:
    english = subscribe()
    chinese = subscribe(preferred_language="zh-hant")
    elsewhere = subscribe(district="tai-po")
    other_topic = subscribe(topic="weather")
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = actions.broadcast_publish(template=road_works, district="sha-tin", personalisation=VALUES)
    broadcast.refresh_from_db()
    assert Message.objects.get(recipient=english).subject == "Road works on Tai Po Road"
    assert Message.objects.get(recipient=chinese).subject == "Tai Po Road道路工程"
    assert not Message.objects.filter(recipient__in=[elsewhere, other_topic]).exists()
    progress = broadcast_progress(broadcast=broadcast)
    assert (progress.total, progress.sent, progress.failed, progress.pending) == (2, 2, 0, 0)


def test_the_fan_out_splits_subscribers_into_batches(road_works: object) -> None:
    users = [subscribe() for _ in range(5)]
    broadcast = actions.broadcast_publish(template=road_works, district="sha-tin", personalisation=VALUES)
    batches = actions.broadcast_fan_out(broadcast_id=str(broadcast.public_id), batch_size=2)
    assert batches == [[users[0].pk, users[1].pk], [users[2].pk, users[3].pk], [users[4].pk]]
    broadcast.refresh_from_db()
    progress = broadcast_progress(broadcast=broadcast)
    assert (progress.total, progress.sent, progress.pending) == (5, 0, 5)
    broadcast_batch_task.delay(str(broadcast.public_id), batches[0])
    progress = broadcast_progress(broadcast=broadcast)
    assert (progress.sent, progress.pending) == (2, 3)


def test_one_failing_recipient_never_stops_the_rest(
    road_works: object, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: object
) -> None:
    users = [subscribe() for _ in range(4)]
    real_inbox_message = channels.inbox_message

    def failing_for_the_second(notification: Notification, **kwargs: object) -> object:
        if notification.recipient_id == users[1].pk:
            raise RuntimeError("boom")
        return real_inbox_message(notification, **kwargs)

    # The batch's inbox messages are made together; one failing fails that transaction, and the
    # batch then delivers one by one, so only the failing recipient fails.
    monkeypatch.setattr(channels, "inbox_message", failing_for_the_second)
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = actions.broadcast_publish(template=road_works, district="sha-tin", personalisation=VALUES)
    broadcast.refresh_from_db()
    assert Message.objects.filter(recipient__in=[users[0], users[2], users[3]]).count() == 3
    progress = broadcast_progress(broadcast=broadcast)
    assert (progress.sent, progress.failed, progress.pending) == (3, 1, 0)


def test_a_batch_run_twice_delivers_once(road_works: object) -> None:
    users = [subscribe() for _ in range(3)]
    broadcast = actions.broadcast_publish(template=road_works, district="sha-tin", personalisation=VALUES)
    ids = [user.pk for user in users]
    first = actions.broadcast_deliver_batch(broadcast_id=str(broadcast.public_id), user_ids=ids)
    again = actions.broadcast_deliver_batch(broadcast_id=str(broadcast.public_id), user_ids=ids)
    assert first["delivered"] == 3 and again["delivered"] == 3  # the rows say delivered, once
    assert Message.objects.count() == 3 and Notification.objects.count() == 3


def test_opt_outs_count_as_skipped(road_works: object, django_capture_on_commit_callbacks: object) -> None:
    subscribe()
    quiet = subscribe()
    OptOut.objects.create(user=quiet, channel="inbox", topic="road-works")
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = actions.broadcast_publish(template=road_works, district="sha-tin", personalisation=VALUES)
    broadcast.refresh_from_db()
    progress = broadcast_progress(broadcast=broadcast)
    assert (progress.sent, progress.opted_out, progress.pending) == (1, 1, 0)


@pytest.mark.parametrize(
    ("district", "personalisation", "code"),
    [("atlantis", VALUES, "invalid_district"), ("sha-tin", {"road": "x"}, "missing_personalisation")],
)
def test_bad_broadcasts_are_refused(
    road_works: object, district: str, personalisation: dict, code: str
) -> None:
    with pytest.raises(ApplicationError) as error:
        actions.broadcast_publish(template=road_works, district=district, personalisation=personalisation)
    assert error.value.code == code


def test_only_area_topics_can_be_broadcast(permit_template: object) -> None:
    with pytest.raises(ApplicationError) as error:
        actions.broadcast_publish(template=permit_template, district="sha-tin", personalisation={})
    assert error.value.code == "invalid_topic"


def test_the_api_publishes_and_shows_progress(
    road_works: object, live_key: str, django_capture_on_commit_callbacks: object
) -> None:
    subscribe()
    subscribe(district="tai-po")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {live_key}")
    url = "/api/v1/notifications/broadcasts/"
    bad = client.post(url, {"template_id": "road_works", "district": "atlantis"}, format="json")
    assert bad.status_code == 400 and "district" in bad.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"template_id": "road_works", "district": "sha-tin", "personalisation": VALUES},
            format="json",
        )
    assert response.status_code == 201, response.content
    progress = client.get(f"{url}{response.json()['id']}/").json()
    assert {key: progress[key] for key in ("total", "sent", "failed", "pending")} == {
        "total": 1,
        "sent": 1,
        "failed": 0,
        "pending": 0,
    }
    assert Notification.objects.filter(status=Status.DELIVERED).count() == 1
