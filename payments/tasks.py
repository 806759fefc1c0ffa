import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from payments.reconciliation import reconcile_with_provider
from payments.webhooks import stripe_event_process

logger = logging.getLogger(__name__)


@shared_task(name="payments.reconcile")
def payments_reconcile_task() -> list[dict]:
    mismatches = reconcile_with_provider(provider_name=settings.PAYMENTS_PROVIDER)
    for mismatch in mismatches:
        logger.error(
            "Payment %s: ledger says %s, provider says %s",
            mismatch.payment,
            mismatch.ledger,
            mismatch.provider,
        )
    return [mismatch.__dict__ for mismatch in mismatches]


@shared_task(
    name="payments.stripe_event",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def stripe_event_task(event_id: str, event_type: str, intent_id: str) -> str:
    """Apply one verified Stripe event; a redelivered or replayed event id changes nothing twice."""
    return stripe_event_process(event_id=event_id, event_type=event_type, intent_id=intent_id)
