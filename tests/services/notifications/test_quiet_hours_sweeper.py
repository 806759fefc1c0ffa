"""Quiet hours (email and SMS held until they end), the preferred language on the preferences page,
and the sweeper that releases held notifications and retries email and SMS stuck in "sending"."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from services.notifications import actions
from services.notifications.models import Message, Notification, QuietHours, Status
from services.notifications.selectors import quiet_hours_end
from services.notifications.tasks import notifications_sweep_task
from tests.factories import UserFactory
from tests.services.notifications.conftest import PERSONALISATION

HK = ZoneInfo("Asia/Hong_Kong")


def hk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HK)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> object:
    class Clock:
        at = hk(26, 23)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.at)
    return clock


@pytest.fixture
def night_owl(db: None) -> object:
    user = UserFactory(mobile_number="+85291234567")
    QuietHours.objects.create(user=user, start=time(22), end=time(7))
    return user


@pytest.mark.parametrize(
    ("start", "end", "at", "expected"),
    [
        (time(22), time(7), hk(26, 23), hk(27, 7)),
        (time(22), time(7), hk(26, 6, 59), hk(26, 7)),
        (time(22), time(7), hk(26, 7), None),
        (time(22), time(7), hk(26, 21, 59), None),
        (time(13), time(14), hk(26, 13, 30), hk(26, 14)),
        (time(13), time(14), hk(26, 14, 30), None),
        (time(8), time(8), hk(26, 8), None),
    ],
)
def test_when_quiet_hours_end(start: time, end: time, at: datetime, expected: datetime | None) -> None:
    found = quiet_hours_end(quiet_hours=QuietHours(start=start, end=end), at=at.astimezone(ZoneInfo("UTC")))
    assert found == expected


def send(template: object, recipient: object, capture: object) -> dict[str, Notification]:
    with capture(execute=True):
        notifications = actions.notification_send(
            template=template, recipient=recipient, personalisation=PERSONALISATION
        )
    return {n.channel: Notification.objects.get(pk=n.pk) for n in notifications}


def test_email_and_sms_wait_for_the_end_of_quiet_hours_and_the_sweeper_releases_them(
    permit_template: object, night_owl: object, clock: object, django_capture_on_commit_callbacks: object
) -> None:
    sent = send(permit_template, night_owl, django_capture_on_commit_callbacks)
    assert sent["inbox"].status == Status.DELIVERED  # the inbox never disturbs
    assert {sent["email"].status, sent["sms"].status} == {Status.CREATED}
    assert sent["email"].scheduled_for == hk(27, 7) and mail.outbox == []

    clock.at = hk(27, 6, 59)
    assert notifications_sweep_task.delay().get() == {"due": 0, "stuck": 0}
    clock.at = hk(27, 7, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_sweep_task.delay().get() == {"due": 2, "stuck": 0}
    statuses = dict(Notification.objects.values_list("channel", "status"))
    assert statuses == {"inbox": "delivered", "email": "delivered", "sms": "delivered"}
    assert len(mail.outbox) == 1


def test_legally_required_notices_ignore_quiet_hours(
    make_template: object, night_owl: object, clock: object, django_capture_on_commit_callbacks: object
) -> None:
    template = make_template(legally_required=True)
    sent = send(template, night_owl, django_capture_on_commit_callbacks)
    assert {n.status for n in sent.values()} == {Status.DELIVERED}
    assert sent["email"].scheduled_for is None and len(mail.outbox) == 1


def test_outside_quiet_hours_nothing_waits(
    permit_template: object, night_owl: object, clock: object, django_capture_on_commit_callbacks: object
) -> None:
    clock.at = hk(26, 12)
    sent = send(permit_template, night_owl, django_capture_on_commit_callbacks)
    assert {n.status for n in sent.values()} == {Status.DELIVERED}


# The sweeper for email and SMS stuck in "sending" ------------------------------------------------


def stuck(notification: Notification, minutes: int, attempts: int = 1) -> None:
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENDING, sent_at=timezone.now() - timedelta(minutes=minutes), attempts=attempts
    )


def test_a_stale_sending_row_is_marked_temporary_failure_and_retried(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object, settings: object
) -> None:
    settings.NOTIFICATIONS_STUCK_SENDING_MINUTES = 15
    with django_capture_on_commit_callbacks(execute=False):  # created, never delivered
        old, fresh = (
            actions.notification_send(
                template=permit_template,
                recipient=f"someone{i}@example.test",
                personalisation=PERSONALISATION,
            )[0]
            for i in (1, 2)
        )
    stuck(old, minutes=20)
    stuck(fresh, minutes=5)  # perhaps still talking to the provider: left alone
    assert notifications_sweep_task.delay().get() == {"due": 0, "stuck": 1}
    old.refresh_from_db()
    fresh.refresh_from_db()
    # At least once: re-sent (the provider may have taken the first try before the worker died).
    assert old.status == Status.DELIVERED and old.attempts == 2
    assert fresh.status == Status.SENDING
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["someone1@example.test"]


def test_the_inbox_and_rows_out_of_attempts_are_not_retried(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        sent = {
            n.channel: n
            for n in actions.notification_send(
                template=permit_template, recipient=resident, personalisation=PERSONALISATION
            )
        }
    stuck(sent["inbox"], minutes=60)
    stuck(sent["email"], minutes=60, attempts=6)
    assert notifications_sweep_task.delay().get() == {"due": 0, "stuck": 0}
    statuses = dict(Notification.objects.values_list("channel", "status"))
    assert statuses == {"inbox": Status.SENDING, "email": Status.PERMANENT_FAILURE}
    assert mail.outbox == [] and not Message.objects.exists()


# The preferences page: language and quiet hours ----------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_preferences_page_saves_the_language_and_quiet_hours(
    client: object, resident: object, language: str
) -> None:
    client.force_login(resident)
    url = f"/{language}/services/inbox/preferences/"
    page = client.get(url).content.decode()
    assert 'name="language" value="en"' in page and 'type="time"' in page
    response = client.post(url, {"language": "zh-hans", "quiet_start": "22:00", "quiet_end": "07:30"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.preferred_language == "zh-hans"
    quiet = QuietHours.objects.get(user=resident)
    assert (quiet.start, quiet.end) == (time(22), time(7, 30))
    again = client.get(url).content.decode()
    assert 'value="22:00"' in again and 'value="07:30"' in again
    # Emptying both clears them.
    client.post(url, {"quiet_start": "", "quiet_end": ""})
    assert not QuietHours.objects.filter(user=resident).exists()


def test_half_a_quiet_hours_range_is_an_error(client: object, resident: object) -> None:
    client.force_login(resident)
    response = client.post("/en/services/inbox/preferences/", {"quiet_start": "22:00"})
    assert response.status_code == 200
    assert "Give both the start and the end of your quiet hours" in response.content.decode()
    assert not QuietHours.objects.exists()
