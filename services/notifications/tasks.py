"""Celery tasks: thin wrappers around actions. Delivery is idempotent (see notification_deliver)."""

from celery import shared_task
from django.conf import settings

from services.notifications import actions, callbacks
from services.notifications.models import Status

MAX_RETRIES = 5


def retry_countdown(retries: int) -> int:
    """Exponential backoff: 30 s, 1 min, 2 min, 4 min, 8 min."""
    return 30 * 2**retries


@shared_task(bind=True, name="notifications.deliver", max_retries=MAX_RETRIES, acks_late=True)
def notification_deliver_task(self: object, notification_id: str) -> str:
    status = actions.notification_deliver(notification_id=notification_id)
    if status == Status.TEMPORARY_FAILURE and self.request.retries < self.max_retries:
        if self.request.is_eager:
            # Eager mode with propagating exceptions re-raises Retry to the caller instead of
            # retrying, so the embedded mode retries in place (without the wait).
            return self.apply(args=[notification_id], retries=self.request.retries + 1).result
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return status


@shared_task(name="notifications.broadcast_fan_out", acks_late=True)
def broadcast_fan_out_task(broadcast_id: str) -> int:
    batches = actions.broadcast_fan_out(broadcast_id=broadcast_id)
    for user_ids in batches:
        broadcast_batch_task.delay(broadcast_id, user_ids)
    return len(batches)


@shared_task(name="notifications.broadcast_batch", acks_late=True)
def broadcast_batch_task(broadcast_id: str, user_ids: list[int]) -> dict[str, int]:
    return actions.broadcast_deliver_batch(broadcast_id=broadcast_id, user_ids=user_ids)


@shared_task(bind=True, name="notifications.callback", max_retries=MAX_RETRIES, acks_late=True)
def callback_task(self: object, notification_id: str, status: str) -> str:
    """POST a status to the sender's callback URL, retried with backoff while it does not answer 2xx.

    At least once: a receiver may see a status twice (a retry after a lost answer) and should
    de-duplicate by (id, status)."""
    try:
        return callbacks.callback_post(notification_id=notification_id, status=status)
    except callbacks.CallbackError as exc:
        if self.request.retries >= self.max_retries:
            return "failed"
        if self.request.is_eager:
            return self.apply(args=[notification_id, status], retries=self.request.retries + 1).result
        raise self.retry(countdown=retry_countdown(self.request.retries), exc=exc) from exc


@shared_task(name="notifications.sweep")
def notifications_sweep_task() -> dict[str, int]:
    """Every minute (beat): release notifications held for quiet hours, retry stuck email and SMS."""
    found = actions.notifications_sweep(stuck_after_minutes=settings.NOTIFICATIONS_STUCK_SENDING_MINUTES)
    for notification_id in found["due"] + found["stuck"]:
        notification_deliver_task.delay(notification_id)
    return {name: len(ids) for name, ids in found.items()}
