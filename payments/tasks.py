import logging

from celery import shared_task
from django.conf import settings

from payments.reconciliation import reconcile_with_provider

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
