"""Payment providers behind one small interface: the sandbox (embedded default) and Stripe."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from payments.models import Payment


@dataclass(frozen=True)
class ProviderPayment:
    reference: str
    redirect_url: str


class PaymentProvider(Protocol):
    name: str

    def create(self, payment: Payment) -> ProviderPayment: ...

    def refund(self, payment: Payment, amount: int, idempotency_key: str) -> str: ...

    def status(self, payment: Payment) -> str | None: ...


class SandboxProvider:
    """The local stand-in: a portal page where a tester pays, declines or cancels. Never in production."""

    name = "sandbox"

    def create(self, payment: Payment) -> ProviderPayment:
        return ProviderPayment(
            reference=f"sbx_{payment.public_id.hex}",
            redirect_url=reverse("payments:sandbox", kwargs={"public_id": payment.public_id}),
        )

    def refund(self, payment: Payment, amount: int, idempotency_key: str) -> str:
        return f"sbx_refund_{idempotency_key}"

    def status(self, payment: Payment) -> str | None:
        return None  # the sandbox keeps no records of its own: the ledger is its truth


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or settings.PAYMENTS_PROVIDER
    if name == "sandbox":
        if getattr(settings, "PORTAL_ENVIRONMENT", "") == "production":
            raise ImproperlyConfigured("The payment sandbox is refused under production settings.")
        return SandboxProvider()
    if name == "stripe":
        from payments.stripe_api import StripeProvider

        return StripeProvider()
    raise ImproperlyConfigured(f"Unknown payment provider {name!r}.")
