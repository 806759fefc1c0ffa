from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from eid.public import User
from services.notifications.models import (
    ApiKey,
    Broadcast,
    DistrictSubscription,
    Message,
    Notification,
    NotificationTemplate,
    OptOut,
    QuietHours,
    Status,
    TemplateVersion,
)


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


# Notifications -----------------------------------------------------------------------------------


def is_opted_out(*, user: User | None, address: str, channel: str, topic: str) -> bool:
    if user is not None:
        return OptOut.objects.filter(user=user, channel=channel, topic=topic).exists()
    return (
        bool(address)
        and OptOut.objects.filter(user__isnull=True, address=address, channel=channel, topic=topic).exists()
    )


def template_for_department(*, department_id: int, template_id: str) -> NotificationTemplate | None:
    """A template by its public id or notification type, only among the department's own."""
    templates = NotificationTemplate.objects.filter(department_id=department_id).select_related("department")
    try:
        return templates.get(public_id=UUID(template_id))
    except (ValueError, NotificationTemplate.DoesNotExist):
        return templates.filter(notification_type=template_id).first()


def notification_for_department(*, department_id: int, notification_id: str) -> Notification | None:
    try:
        return Notification.objects.select_related("template_version__template").get(
            pk=UUID(notification_id), department_id=department_id
        )
    except (ValueError, Notification.DoesNotExist):
        return None


def broadcast_for_department(*, department_id: int, broadcast_id: str) -> Broadcast | None:
    try:
        return Broadcast.objects.get(public_id=UUID(broadcast_id), department_id=department_id)
    except (ValueError, Broadcast.DoesNotExist):
        return None


def api_key_authenticate(*, key_hash: str) -> ApiKey | None:
    return (
        ApiKey.objects.select_related("department").filter(key_hash=key_hash, revoked_at__isnull=True).first()
    )


@dataclass(frozen=True)
class BroadcastProgress:
    total: int | None
    sent: int
    failed: int
    opted_out: int
    pending: int | None


def broadcast_progress(*, broadcast: Broadcast) -> BroadcastProgress:
    """One query for the counts; pending is unknown until the fan-out has counted the subscribers."""
    counts = dict(broadcast.notifications.values_list("status").annotate(n=Count("id")).order_by())
    sent = counts.get(Status.DELIVERED, 0)
    failed = counts.get(Status.PERMANENT_FAILURE, 0) + counts.get(Status.TEMPORARY_FAILURE, 0)
    opted_out = counts.get(Status.OPTED_OUT, 0)
    pending = None if broadcast.total is None else broadcast.total - sent - failed - opted_out
    return BroadcastProgress(
        total=broadcast.total, sent=sent, failed=failed, opted_out=opted_out, pending=pending
    )


@dataclass(frozen=True)
class Preferences:
    opted_out: set[tuple[str, str]]
    districts: set[str]
    area_topics: set[str]


def preferences_for_citizen(*, citizen: User) -> Preferences:
    subscriptions = list(DistrictSubscription.objects.filter(user=citizen).values_list("district", "topic"))
    return Preferences(
        opted_out=set(OptOut.objects.filter(user=citizen).values_list("channel", "topic")),
        districts={district for district, _ in subscriptions},
        area_topics={topic for _, topic in subscriptions},
    )


def quiet_hours_for(*, citizen: User) -> QuietHours | None:
    return QuietHours.objects.filter(user=citizen).first()


def quiet_hours_end(*, quiet_hours: QuietHours | None, at: datetime) -> datetime | None:
    """When the quiet hours around `at` end (aware, local time), or None when `at` is outside them."""
    if quiet_hours is None or quiet_hours.start == quiet_hours.end:
        return None
    local = timezone.localtime(at)
    now, start, end = local.time(), quiet_hours.start, quiet_hours.end
    end_today = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if start < end:
        return end_today if start <= now < end else None
    # Overnight (22:00 to 07:00): quiet after the start tonight, or before the end this morning.
    if now >= start:
        return end_today + timedelta(days=1)
    return end_today if now < end else None


# Back-office template preview --------------------------------------------------------------------


def template_list_for_departments(*, department_ids: set[int]) -> QuerySet[NotificationTemplate]:
    return (
        NotificationTemplate.objects.filter(department_id__in=department_ids)
        .select_related("department")
        .order_by("department__code", "notification_type")
    )


def template_version_for_officer(
    *, department_ids: set[int], template_id: UUID, version: int | None
) -> TemplateVersion:
    """A version (the current one by default) of one of the officer's departments' templates; any
    other department's template, or an unknown version, is the same 404."""
    try:
        template = template_list_for_departments(department_ids=department_ids).get(public_id=template_id)
        return TemplateVersion.objects.select_related("template__department").get(
            template=template, version=version or template.current_version
        )
    except (NotificationTemplate.DoesNotExist, TemplateVersion.DoesNotExist) as exc:
        raise Http404 from exc
