"""notification_send: channels, the resident's language, idempotency, the status lifecycle."""

from collections.abc import Iterator

import pytest
from django.core import mail

from eid.public import ApplicationError
from services.notifications import actions, channels
from services.notifications.models import Message, Notification, Status
from services.notifications.tasks import notification_deliver_task
from tests.factories import UserFactory
from tests.services.notifications.conftest import PERSONALISATION


@pytest.fixture
def sms_outbox() -> Iterator[list]:
    from eid.sms import ConsoleSMSProvider

    ConsoleSMSProvider.outbox.clear()
    yield ConsoleSMSProvider.outbox
    ConsoleSMSProvider.outbox.clear()


@pytest.fixture
def chinese_resident(db: None) -> object:
    return UserFactory(preferred_language="zh-hant", mobile_number="+85291234567")


def send(template: object, recipient: object, capture: object, **kwargs: object) -> list[Notification]:
    with capture(execute=True):
        notifications = actions.notification_send(
            template=template, recipient=recipient, personalisation=PERSONALISATION, **kwargs
        )
    for notification in notifications:
        notification.refresh_from_db()
    return notifications


def test_every_channel_in_the_residents_language(
    permit_template: object,
    chinese_resident: object,
    sms_outbox: list,
    django_capture_on_commit_callbacks: object,
) -> None:
    notifications = send(permit_template, chinese_resident, django_capture_on_commit_callbacks)
    assert {n.channel: n.status for n in notifications} == {
        "inbox": "delivered",
        "email": "delivered",
        "sms": "delivered",
    }
    message = Message.objects.get(recipient=chinese_resident)
    assert message.subject == "你的P-1234已準備好"
    assert "請到Sha Tin領取許可證P-1234" in message.body
    (email,) = mail.outbox
    assert email.subject == "你的P-1234已準備好" and email.to == [chinese_resident.email]
    (sms,) = sms_outbox
    assert sms.to == "+85291234567" and "領取許可證P-1234" in sms.body
    assert all(n.language == "zh-hant" and n.template_version.version == 1 for n in notifications)


def test_a_resident_without_a_mobile_gets_inbox_and_email_by_default(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    notifications = send(permit_template, resident, django_capture_on_commit_callbacks)
    assert sorted(n.channel for n in notifications) == ["email", "inbox"]


def test_asking_for_sms_without_a_mobile_is_a_permanent_failure(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    (notification,) = send(permit_template, resident, django_capture_on_commit_callbacks, channels=["sms"])
    assert notification.status == Status.PERMANENT_FAILURE
    assert "sms" in notification.failure_reason


def test_the_same_idempotency_key_never_sends_twice(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    first = send(permit_template, resident, django_capture_on_commit_callbacks, idempotency_key="req-1")
    again = send(permit_template, resident, django_capture_on_commit_callbacks, idempotency_key="req-1")
    assert sorted(n.pk for n in first) == sorted(n.pk for n in again)
    assert Message.objects.filter(recipient=resident).count() == 1
    assert len(mail.outbox) == 1
    other = send(permit_template, resident, django_capture_on_commit_callbacks, idempotency_key="req-2")
    assert len(other) == 2 and len(mail.outbox) == 2


def test_the_key_is_per_sender(
    make_template: object,
    permit_template: object,
    resident: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    from tests.factories import DepartmentFactory

    other_department = DepartmentFactory(code="lcsd")
    other_template = make_template(department=other_department)
    send(
        permit_template, resident, django_capture_on_commit_callbacks, idempotency_key="k", channels=["inbox"]
    )
    send(
        other_template, resident, django_capture_on_commit_callbacks, idempotency_key="k", channels=["inbox"]
    )
    assert Message.objects.filter(recipient=resident).count() == 2


def test_a_task_run_twice_delivers_once(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    (notification,) = send(permit_template, resident, django_capture_on_commit_callbacks, channels=["inbox"])
    assert notification_deliver_task.delay(str(notification.pk)).get() == Status.DELIVERED
    assert Message.objects.filter(recipient=resident).count() == 1
    notification.refresh_from_db()
    assert notification.attempts == 1 and notification.message is not None


def test_the_lifecycle_passes_through_sending(
    permit_template: object, resident: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    (notification,) = actions.notification_send(
        template=permit_template, recipient=resident, personalisation=PERSONALISATION, channels=["email"]
    )
    assert notification.status == Status.CREATED
    seen = []
    real_deliver = channels.deliver

    def watching(n: Notification, **kwargs: object) -> object:
        seen.append(Notification.objects.get(pk=n.pk).status)
        return real_deliver(n, **kwargs)

    monkeypatch.setattr(channels, "deliver", watching)
    assert actions.notification_deliver(notification_id=str(notification.pk)) == Status.DELIVERED
    assert seen == [Status.SENDING]
    notification.refresh_from_db()
    assert notification.sent_at and notification.completed_at


def test_a_temporary_failure_is_retried_then_delivered(
    permit_template: object,
    resident: object,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: object,
) -> None:
    calls = []

    def flaky_send(self: object, message: object) -> None:
        calls.append(message)
        if len(calls) < 3:
            raise ConnectionError("provider unavailable")

    monkeypatch.setattr("eid.sms.ConsoleSMSProvider.send", flaky_send)
    resident.mobile_number = "+85261234567"
    resident.save()
    (notification,) = send(permit_template, resident, django_capture_on_commit_callbacks, channels=["sms"])
    assert notification.status == Status.DELIVERED
    assert notification.attempts == 3 and len(calls) == 3


def test_retries_stop_at_a_temporary_failure(
    permit_template: object,
    resident: object,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: object,
) -> None:
    def down(self: object, message: object) -> None:
        raise ConnectionError("provider unavailable")

    monkeypatch.setattr("eid.sms.ConsoleSMSProvider.send", down)
    resident.mobile_number = "+85261234567"
    resident.save()
    (notification,) = send(permit_template, resident, django_capture_on_commit_callbacks, channels=["sms"])
    assert notification.status == Status.TEMPORARY_FAILURE
    assert notification.attempts == 6  # the first try and five retries
    assert "provider unavailable" in notification.failure_reason


def test_bare_addresses_are_validated(
    permit_template: object, django_capture_on_commit_callbacks: object
) -> None:
    for bad, code in [("not-an-email@", "invalid_email_address"), ("2123 4567", "invalid_phone_number")]:
        with pytest.raises(ApplicationError) as error:
            actions.notification_send(
                template=permit_template, recipient=bad, personalisation=PERSONALISATION
            )
        assert error.value.code == code
    (sms,) = send(permit_template, "9123 4567", django_capture_on_commit_callbacks, language="zh-hans")
    assert sms.to == "+85291234567" and sms.status == Status.DELIVERED and "领取" in sms.body


def test_an_oversized_message_is_refused(make_template: object, resident: object) -> None:
    content = {language: ("Notice", "((text))") for language in ("en", "zh-hant", "zh-hans")}
    template = make_template(notification_type="long", content=content)
    with pytest.raises(ApplicationError) as error:
        actions.notification_send(
            template=template, recipient="+85291234567", personalisation={"text": "字" * 1000}
        )
    assert error.value.code == "too_long"
    assert not Notification.objects.exists()


def test_a_line_break_in_a_personalised_subject_still_sends_the_email(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    """A value with a line break (an address, text pasted by the department's system) put in the
    subject: the email header cannot carry it (Django refuses it: no header injection), so it is one
    line, not an email that fails on every retry."""
    with django_capture_on_commit_callbacks(execute=True):
        notifications = actions.notification_send(
            template=permit_template,
            recipient=resident,
            personalisation={**PERSONALISATION, "permit": "P-1234\r\nBcc: victim@example.com"},
            channels=["email"],
        )
    (notification,) = notifications
    notification.refresh_from_db()
    assert notification.status == Status.DELIVERED, notification.failure_reason
    (email,) = mail.outbox
    assert email.subject == "Your P-1234 Bcc: victim@example.com is ready"
    assert email.message()["Bcc"] is None and email.bcc == []
