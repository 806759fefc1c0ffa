"""The public payment surface for services: start, settle, refund. Services never import stripe."""

from dataclasses import dataclass
from typing import Protocol

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from eid.public import (
    ApplicationError,
    Department,
    PermissionDeniedError,
    User,
    audit_log,
    officer_department_ids,
)
from payments.models import Payment, PaymentStatus, PaymentTransition, Refund
from payments.providers import get_provider

SUPPORTED_CURRENCIES = {"HKD"}
# Kept in Payment.metadata: where payment_start's caller wants the resident back (see payment_return_url).
RETURN_URL_KEY = "return_url"
MAX_AMOUNT = 10_000_000_00  # HK$10 million in cents: above this, a human should look first

# Sent with payment= after every status change, so the owning service can react (confirm a booking...).
payment_status_changed = Signal()

ALLOWED = {
    PaymentStatus.CREATED: {PaymentStatus.PENDING, PaymentStatus.CANCELLED, PaymentStatus.FAILED},
    PaymentStatus.PENDING: {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELLED},
    PaymentStatus.FAILED: {PaymentStatus.PENDING},
    PaymentStatus.SUCCEEDED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
    PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
    PaymentStatus.CANCELLED: set(),
    PaymentStatus.REFUNDED: set(),
}


class ServiceLike(Protocol):
    slug: str
    department_code: str


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    redirect_url: str


def _transition(payment: Payment, to: str, *, source: str, data: dict | None = None) -> bool:
    """Move a payment to `to` if the state machine allows it; False (and no change) if it does not."""
    if to == payment.status and to != PaymentStatus.PARTIALLY_REFUNDED:
        return False
    if to not in ALLOWED[PaymentStatus(payment.status)]:
        return False
    previous = payment.status
    payment.status = to
    fields = ["status", "updated_at"]
    if to == PaymentStatus.SUCCEEDED:
        payment.succeeded_at = timezone.now()
        fields.append("succeeded_at")
    payment.save(update_fields=fields)
    PaymentTransition.objects.create(
        payment=payment, from_status=previous, to_status=to, source=source, data=data or {}
    )
    transaction.on_commit(lambda: payment_status_changed.send(sender=Payment, payment=payment))
    return True


def _validate_amount(amount: object, currency: str) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ApplicationError(_("The amount must be a whole number of cents above zero."), code="amount")
    if amount > MAX_AMOUNT:
        raise ApplicationError(_("The amount is too large."), code="amount")
    if currency not in SUPPORTED_CURRENCIES:
        raise ApplicationError(_("Payments are taken in Hong Kong dollars (HKD) only."), code="currency")


def return_url_valid(url: str) -> bool:
    """A same-site relative path (`/services/...`): no scheme, no host, no `//` or backslash tricks."""
    return (
        isinstance(url, str)
        and 0 < len(url) <= 500
        and url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and url.isprintable()
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=True)
    )


def payment_return_url(payment: Payment) -> str:
    """Where the resident goes once the provider is done: the service's page, else the payment's."""
    url = (payment.metadata or {}).get(RETURN_URL_KEY, "")
    if return_url_valid(url):
        return url
    return reverse("payments:detail", kwargs={"public_id": payment.public_id})


def payment_start(
    *,
    citizen: User,
    service: ServiceLike,
    amount: int,
    reference: str,
    description: str,
    currency: str = "HKD",
    metadata: dict | None = None,
    return_url: str = "",
) -> PaymentStart:
    """Create (or resume) the payment for a service's reference and say where to send the resident.

    A second call for the same reference resumes the same payment (no duplicate charge); a reference
    already paid or started by another resident is refused. `return_url`, a same-site relative path,
    is where the resident lands after paying (sandbox or Stripe) instead of the payment's own page.
    """
    _validate_amount(amount, currency)
    if return_url and not return_url_valid(return_url):
        raise ApplicationError(_("The return address must be a path on this site."), code="return_url")
    metadata = {**(metadata or {}), **({RETURN_URL_KEY: return_url} if return_url else {})}
    if not reference or len(reference) > 64:
        raise ApplicationError(_("A payment needs a reference of at most 64 characters."), code="reference")
    department = Department.objects.filter(code=service.department_code).first()
    if department is None:
        raise ApplicationError(_("The service's department is not known."), code="department")
    provider = get_provider()
    with transaction.atomic():
        existing = (
            Payment.objects.select_for_update().filter(service_slug=service.slug, reference=reference).first()
        )
        if existing is not None:
            if existing.citizen_id != citizen.pk:
                # SmartPLAY's loophole: nobody pays for (or takes over) another resident's booking.
                raise PermissionDeniedError(_("This payment belongs to another account."), code="not_yours")
            if existing.status not in {PaymentStatus.CREATED, PaymentStatus.PENDING, PaymentStatus.FAILED}:
                raise ApplicationError(_("This has already been paid or cancelled."), code="settled")
            if existing.amount != amount or existing.currency != currency:
                raise ApplicationError(_("The amount of this payment cannot change."), code="amount_changed")
            payment = existing
            if return_url and payment.metadata.get(RETURN_URL_KEY) != return_url:
                payment.metadata = {**payment.metadata, RETURN_URL_KEY: return_url}
                payment.save(update_fields=["metadata", "updated_at"])
        else:
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        citizen=citizen,
                        service_slug=service.slug,
                        department=department,
                        reference=reference,
                        description=description[:200],
                        amount=amount,
                        currency=currency,
                        metadata=metadata,
                        provider=provider.name,
                    )
            except IntegrityError as exc:
                raise ApplicationError(_("This payment was just started; try again."), code="race") from exc
            PaymentTransition.objects.create(
                payment=payment, to_status=PaymentStatus.CREATED, source="portal"
            )
            audit_log(
                event_type="payment.started",
                actor=citizen,
                subject=citizen,
                data={"payment": str(payment.public_id), "amount": amount, "service": service.slug},
            )
        created = provider.create(payment)
        if payment.provider_reference != created.reference:
            payment.provider_reference = created.reference
            payment.save(update_fields=["provider_reference", "updated_at"])
        _transition(payment, PaymentStatus.PENDING, source=provider.name)
    return PaymentStart(payment=payment, redirect_url=created.redirect_url)


def payment_settle(*, payment: Payment, status: str, source: str, data: dict | None = None) -> bool:
    """Apply a provider's verdict (succeeded / failed / cancelled); a repeated or late one is a no-op."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        changed = _transition(payment, status, source=source, data=data)
        if changed:
            audit_log(
                event_type=f"payment.{status}",
                subject=payment.citizen,
                data={"payment": str(payment.public_id), "source": source},
            )
    return changed


def payment_refund(*, payment: Payment, amount: int, reason: str, by: User) -> Refund:
    """A full or partial refund by an officer of the owning department, with a reason; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason for the refund."), code="reason")
    if payment.department_id not in officer_department_ids(officer=by):
        raise PermissionDeniedError(
            _("Only the owning department can refund this payment."), code="not_officer"
        )
    if payment.citizen_id == by.pk:
        # Separation of duties, as for identity verification: an officer never pays themself back.
        raise PermissionDeniedError(_("You cannot refund your own payment."), code="own_payment")
    provider = get_provider(payment.provider)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED}:
            raise ApplicationError(_("Only a completed payment can be refunded."), code="not_paid")
        if not isinstance(amount, int) or amount <= 0 or amount > payment.net_amount:
            raise ApplicationError(
                _("A refund must be above zero and at most the %(left)s cents not yet refunded.")
                % {"left": payment.net_amount},
                code="amount",
            )
        number = payment.refunds.count() + 1
        provider_reference = provider.refund(payment, amount, f"{payment.public_id.hex}-refund-{number}")
        refund = Refund.objects.create(
            payment=payment, amount=amount, reason=reason[:500], by=by, provider_reference=provider_reference
        )
        payment.amount_refunded += amount
        payment.save(update_fields=["amount_refunded", "updated_at"])
        to = (
            PaymentStatus.REFUNDED
            if payment.amount_refunded == payment.amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        _transition(payment, to, source="portal", data={"refund": refund.pk, "amount": amount})
        audit_log(
            event_type="payment.refunded",
            actor=by,
            subject=payment.citizen,
            data={"payment": str(payment.public_id), "amount": amount, "reason": refund.reason},
        )
    return refund
