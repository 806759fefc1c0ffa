from celery import shared_task


@shared_task(name="eforms.delete_expired_drafts")
def delete_expired_drafts() -> int:
    """Drafts past their expiry go, with their files (scheduled daily in CELERY_BEAT_SCHEDULE)."""
    from services.eforms.actions import drafts_delete_expired

    return drafts_delete_expired()
