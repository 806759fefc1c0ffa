"""Provider webhooks: verified, processed once, applied through the state machine."""

from django.db import IntegrityError, transaction

from payments.actions import payment_settle
from payments.models import Payment, PaymentStatus, ProviderEvent

STRIPE_EVENTS = {
    "payment_intent.succeeded": PaymentStatus.SUCCEEDED,
    "payment_intent.payment_failed": PaymentStatus.FAILED,
    "payment_intent.canceled": PaymentStatus.CANCELLED,
}


def stripe_event_process(*, event_id: str, event_type: str, intent_id: str) -> str:
    """Apply one Stripe event; a replayed event id changes nothing. Returns what happened."""
    status = STRIPE_EVENTS.get(event_type)
    if status is None:
        return "ignored"
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(provider="stripe", event_id=event_id)
            payment = Payment.objects.filter(provider="stripe", provider_reference=intent_id).first()
            if payment is None:
                return "unknown payment"
            changed = payment_settle(payment=payment, status=status, source=f"stripe:{event_id}")
    except IntegrityError:
        return "duplicate"
    return "applied" if changed else "no change"
