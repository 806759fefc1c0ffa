from django.db import transaction
from django.utils import timezone

from eid.public import Department, User
from services.notifications.models import Message


@transaction.atomic
def message_deliver(
    *,
    recipient: User,
    department: Department | None,
    subject: str,
    body: str,
    notification_type: str = "message",
) -> Message:
    """Put a message in a resident's inbox (the in-portal channel)."""
    return Message.objects.create(
        recipient=recipient,
        department=department,
        subject=subject[:200],
        body=body,
        notification_type=notification_type,
    )


def message_mark_read(*, message: Message) -> Message:
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


def message_mark_unread(*, message: Message) -> Message:
    if message.read_at is not None:
        message.read_at = None
        message.save(update_fields=["read_at"])
    return message


def inbox_mark_all_read(*, citizen: User) -> int:
    return Message.objects.filter(recipient=citizen, read_at__isnull=True).update(read_at=timezone.now())
