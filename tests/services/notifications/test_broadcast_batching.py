"""A broadcast batch costs a fixed number of queries, however many recipients it holds: rows and
inbox messages are created in bulk, preferences read once per batch."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from services.notifications import actions
from services.notifications.models import (
    Broadcast,
    DistrictSubscription,
    Message,
    Notification,
    OptOut,
    Status,
)
from tests.factories import UserFactory
from tests.services.notifications.test_broadcast import ROAD_WORKS, VALUES


def batch_queries(template: object, recipients: int, district: str) -> tuple[int, Broadcast, list[int]]:
    users = [UserFactory(preferred_language=("en", "zh-hant", "zh-hans")[n % 3]) for n in range(recipients)]
    for user in users:
        DistrictSubscription.objects.create(user=user, district=district, topic="road-works")
    OptOut.objects.create(user=users[0], channel="inbox", topic="road-works")
    broadcast = Broadcast.objects.create(
        department=template.department,
        template_version=template.versions.get(),
        district=district,
        channels=["inbox"],
        personalisation=VALUES,
    )
    (batch,) = actions.broadcast_fan_out(broadcast_id=str(broadcast.public_id), batch_size=1000)
    with CaptureQueriesContext(connection) as queries:
        outcome = actions.broadcast_deliver_batch(broadcast_id=str(broadcast.public_id), user_ids=batch)
    assert outcome == {"delivered": recipients - 1, "failed": 0, "skipped": 1}
    return len(queries), broadcast, batch


def test_queries_per_batch_do_not_grow_with_recipients(make_template: object) -> None:
    template = make_template(notification_type="road_works", topic="road-works", content=ROAD_WORKS)
    small, _, _ = batch_queries(template, 5, "sha-tin")
    large, broadcast, batch = batch_queries(template, 40, "tai-po")
    print(f"queries per batch: {small} for 5 recipients, {large} for 40")
    assert large == small
    assert Message.objects.filter(recipient_id__in=batch).count() == 39
    statuses = set(Notification.objects.filter(broadcast=broadcast).values_list("status", flat=True))
    assert statuses == {Status.DELIVERED, Status.OPTED_OUT}
    # Run again (a redelivered task): a fixed handful of reads, nothing created or sent twice.
    with CaptureQueriesContext(connection) as again:
        actions.broadcast_deliver_batch(broadcast_id=str(broadcast.public_id), user_ids=batch)
    assert len(again) <= small
    assert Message.objects.filter(recipient_id__in=batch).count() == 39


def test_a_concurrent_run_that_made_some_rows_first_is_neither_lost_nor_doubled(
    make_template: object, monkeypatch: object
) -> None:
    """Between this run's look for existing rows and its insert, another run inserts one: the
    unique constraint keeps theirs, the rest are inserted, and each resident gets one message."""
    template = make_template(notification_type="road_works", topic="road-works", content=ROAD_WORKS)
    users = [UserFactory() for _ in range(3)]
    broadcast = Broadcast.objects.create(
        department=template.department,
        template_version=template.versions.get(),
        district="sha-tin",
        channels=["inbox"],
        personalisation=VALUES,
    )
    real_filter = OptOut.objects.filter

    def racing_filter(*args: object, **kwargs: object) -> object:
        Notification.objects.get_or_create(
            broadcast=broadcast,
            recipient=users[1],
            channel="inbox",
            defaults={
                "department": template.department,
                "template_version": broadcast.template_version,
                "language": "en",
                "subject": "s",
                "body": "b",
            },
        )
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(OptOut.objects, "filter", racing_filter)
    outcome = actions.broadcast_deliver_batch(
        broadcast_id=str(broadcast.public_id), user_ids=[user.pk for user in users]
    )
    assert outcome == {"delivered": 3, "failed": 0, "skipped": 0}
    assert Notification.objects.filter(broadcast=broadcast).count() == 3
    assert sorted(Message.objects.values_list("recipient_id", flat=True)) == sorted(u.pk for u in users)
