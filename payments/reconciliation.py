"""The daily comparison of the ledger with the provider's own records."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from payments.models import Payment, PaymentStatus
from payments.providers import get_provider

# Statuses the provider can confirm; refunds are compared through the refunds' own records.
COMPARABLE = [PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED]


@dataclass(frozen=True)
class Mismatch:
    payment: str
    reference: str
    ledger: str
    provider: str


def reconcile_with_provider(*, provider_name: str, since: datetime.datetime | None = None) -> list[Mismatch]:
    """Payments whose status in the ledger differs from the provider's, over the last two days by default."""
    since = since or timezone.now() - datetime.timedelta(days=2)
    provider = get_provider(provider_name)
    mismatches = []
    payments = Payment.objects.filter(provider=provider_name, status__in=COMPARABLE, updated_at__gte=since)
    for payment in payments.iterator(chunk_size=500):
        remote = provider.status(payment)
        if remote is not None and remote != payment.status:
            mismatches.append(
                Mismatch(
                    payment=str(payment.public_id),
                    reference=payment.reference,
                    ledger=payment.status,
                    provider=remote,
                )
            )
    return mismatches
