from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from eid.public import User
from services.notifications.models import Message


@dataclass(frozen=True)
class InboxSummary:
    unread: int
    total: int
    latest_at: datetime | None


def message_list_for_citizen(*, citizen: User) -> QuerySet[Message]:
    return Message.objects.filter(recipient=citizen).select_related("department")


def inbox_summary(*, citizen: User) -> InboxSummary:
    """One query, however many messages."""
    row = Message.objects.filter(recipient=citizen).aggregate(
        unread=Count("id", filter=Q(read_at__isnull=True)), total=Count("id"), latest=Max("created_at")
    )
    return InboxSummary(unread=row["unread"], total=row["total"], latest_at=row["latest"])


def access_message_by_id(*, citizen: User, message_id: int) -> Message:
    """The same 404 for a message that does not exist and one that is not the resident's."""
    try:
        return message_list_for_citizen(citizen=citizen).get(pk=message_id)
    except Message.DoesNotExist as exc:
        raise Http404 from exc


def message_list_for_departments(*, department_ids: set[int]) -> QuerySet[Message]:
    return Message.objects.filter(department_id__in=department_ids).select_related("department", "recipient")


def access_message_for_officer(*, department_ids: set[int], message_id: int) -> Message:
    """An officer sees only their departments' messages; others are a 404."""
    try:
        return message_list_for_departments(department_ids=department_ids).get(pk=message_id)
    except Message.DoesNotExist as exc:
        raise Http404 from exc
