"""The payment ledger: amounts in minor units, a state machine, every transition recorded."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Waiting for payment")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partly refunded")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    service_slug = models.SlugField(_("service"), max_length=50)
    department = models.ForeignKey("eid.Department", on_delete=models.PROTECT, related_name="+")
    # The service's own reference (e.g. a booking); one payment per service and reference.
    reference = models.CharField(_("reference"), max_length=64)
    description = models.CharField(_("description"), max_length=200)
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, default="HKD")
    amount_refunded = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    provider = models.CharField(max_length=16)
    provider_reference = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["service_slug", "reference"], name="payments_unique_reference"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__lte=models.F("amount")),
                name="payments_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"

    @property
    def net_amount(self) -> int:
        return self.amount - self.amount_refunded


class PaymentTransition(models.Model):
    """One row per status change: the payment's history, never edited."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status} → {self.to_status}"


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    provider_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.payment_id}"


class ProviderEvent(models.Model):
    """Webhook events already processed: a replayed event changes nothing twice."""

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="payments_event_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"
