from celery import shared_task


@shared_task(name="eforms.delete_expired_drafts")
def delete_expired_drafts() -> int:
    """Drafts past their expiry go, with their files (scheduled daily in CELERY_BEAT_SCHEDULE)."""
    from services.eforms.actions import drafts_delete_expired

    return drafts_delete_expired()


@shared_task(name="eforms.notify_submitted")
def notify_submitted_task(submission_id: int) -> None:
    """The resident's "application received" notice and the department's webhook, after the commit."""
    from services.eforms.actions import submission_notify

    submission_notify(submission_id=submission_id)


# Registered by name for the worker (autodiscovery imports this module only).
from services.eforms.webhooks import webhook_deliver_task  # noqa: E402, F401
