"""Telling the resident a payment went through or was refunded: an email and an inbox notice.

Both in the resident's preferred language. Connected to payment_status_changed, which is sent after
the transaction commits, so nothing is announced for a change that was rolled back.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from eid.public import resident_notify
from payments.models import Payment, PaymentStatus
from payments.templatetags.payments_tags import money

logger = logging.getLogger(__name__)

REFUNDED = {PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED}

NOTICES = {
    "succeeded": (
        _("Payment received: %(description)s"),
        _(
            "We received your payment of %(amount)s for %(description)s (reference %(reference)s). "
            "Your sealed receipt is on the payment's page."
        ),
    ),
    "refunded": (
        _("Refund: %(description)s"),
        _(
            "%(refund)s of your payment for %(description)s (reference %(reference)s) was refunded. "
            "It may take a few working days to reach your card."
        ),
    ),
}


def _context(payment: Payment, kind: str) -> dict:
    refund = payment.refunds.order_by("-created_at", "-pk").first() if kind == "refunded" else None
    return {
        "description": payment.description,
        "reference": payment.reference,
        "amount": money(payment.amount, payment.currency),
        "refund": money(refund.amount if refund else payment.amount_refunded, payment.currency),
        "refunded_total": money(payment.amount_refunded, payment.currency),
    }


def payment_notify(*, payment: Payment) -> None:
    """Email and inbox notice for a payment that just succeeded or was (partly) refunded."""
    if payment.status == PaymentStatus.SUCCEEDED:
        kind = "succeeded"
    elif payment.status in REFUNDED:
        kind = "refunded"
    else:
        return
    citizen = payment.citizen
    context = _context(payment, kind)
    language = citizen.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context["url"] = settings.SITE_URL.rstrip("/") + reverse(
            "payments:detail", kwargs={"public_id": payment.public_id}
        )
        context["department"] = payment.department.name_in(language)
        subject = render_to_string(f"payments/email/{kind}_subject.txt", context).strip()
        body = render_to_string(f"payments/email/{kind}_body.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=body,
        from_email=None,
        recipient_list=[citizen.email],
        fail_silently=False,
    )
    subject_template, body_template = NOTICES[kind]
    resident_notify(
        user=citizen,
        department_code=payment.department.code,
        notification_type=f"payment.{kind}",
        subject=subject_template,
        body=body_template,
        context=context,
    )


def on_payment_status_changed(sender: object, *, payment: Payment, **kwargs: object) -> None:
    try:
        payment_notify(payment=payment)
    except Exception:  # a mail server down must not undo or hide a payment already committed
        logger.exception("Could not tell the resident about payment %s", payment.public_id)
