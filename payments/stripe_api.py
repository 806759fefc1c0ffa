"""The only module that imports stripe: Payment Intents, refunds and verified webhooks."""

import stripe
from django.conf import settings
from django.urls import reverse

from payments.models import Payment, PaymentStatus
from payments.providers import ProviderPayment

# Stripe's PaymentIntent statuses → ours; the rest (requires_action for 3-D Secure...) stay pending.
INTENT_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELLED,
}


def _client() -> stripe.StripeClient:
    base = getattr(settings, "STRIPE_API_BASE", "") or None
    options = {"base_addresses": {"api": base}} if base else {}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=2, **options)


class StripeProvider:
    name = "stripe"

    def create(self, payment: Payment) -> ProviderPayment:
        redirect_url = reverse("payments:card", kwargs={"public_id": payment.public_id})
        if payment.provider_reference:
            return ProviderPayment(reference=payment.provider_reference, redirect_url=redirect_url)
        intent = _client().v1.payment_intents.create(
            params={
                "amount": payment.amount,
                "currency": payment.currency.lower(),
                "payment_method_types": ["card"],
                "metadata": {"payment": str(payment.public_id), "reference": payment.reference},
            },
            # One intent per payment, however often the resident presses "Pay".
            options={"idempotency_key": f"{payment.public_id.hex}-create"},
        )
        return ProviderPayment(reference=intent.id, redirect_url=redirect_url)

    def confirm(self, payment: Payment, payment_method: str) -> str:
        """Server-side confirmation (used by tests and by the card page's form post)."""
        client = _client()
        client.v1.payment_intents.update(
            payment.provider_reference, params={"payment_method": payment_method}
        )
        intent = client.v1.payment_intents.confirm(
            payment.provider_reference,
            options={"idempotency_key": f"{payment.public_id.hex}-confirm-{payment_method}"},
        )
        # requires_action is 3-D Secure: the resident completes it in the browser; the webhook settles.
        return intent.status

    def client_secret(self, payment: Payment) -> str:
        """The intent's client secret for Stripe.js on the card page (the payer's page only)."""
        return _client().v1.payment_intents.retrieve(payment.provider_reference).client_secret

    def refund(self, payment: Payment, amount: int, idempotency_key: str) -> str:
        refund = _client().v1.refunds.create(
            params={"payment_intent": payment.provider_reference, "amount": amount},
            options={"idempotency_key": idempotency_key},
        )
        return refund.id

    def status(self, payment: Payment) -> str | None:
        intent = _client().v1.payment_intents.retrieve(payment.provider_reference)
        return INTENT_STATUS.get(intent.status, PaymentStatus.PENDING)


def webhook_event(*, payload: bytes, signature: str) -> stripe.Event:
    """Verify the signature and the timestamp (tolerance in seconds); raises ValueError otherwise."""
    try:
        return stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
        )
    except stripe.SignatureVerificationError as exc:
        raise ValueError("bad signature") from exc
