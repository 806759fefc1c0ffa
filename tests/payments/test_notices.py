"""On success and on refund the resident gets an email and an inbox notice, in their language."""

import pytest
from django.core import mail

from payments.actions import payment_refund, payment_settle, payment_start
from payments.models import Payment, PaymentStatus
from services.notifications.models import Message
from tests.factories import UserFactory


def _paid(citizen: object, service: object) -> Payment:
    payment = payment_start(
        citizen=citizen, service=service, amount=12_000, reference="P-5", description="Permit"
    ).payment
    payment_settle(payment=payment, status=PaymentStatus.SUCCEEDED, source="test")
    payment.refresh_from_db()
    return payment


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("en", "Payment received: Permit", "We received your payment of HK$120.00"),
        ("zh-hant", "Permit", "參考編號: P-5"),
        ("zh-hans", "Permit", "参考编号: P-5"),
    ],
)
def test_a_payment_emails_and_notifies_in_the_residents_language(
    service: object, language: str, subject: str, phrase: str
) -> None:
    citizen = UserFactory(preferred_language=language)
    payment = _paid(citizen, service)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [citizen.email]
    assert subject in email.subject and phrase in email.body
    assert f"/{language}/payments/{payment.public_id}/" in email.body
    notice = Message.objects.get(recipient=citizen)
    assert "Permit" in notice.subject and "P-5" in notice.body


@pytest.mark.django_db(transaction=True)
def test_a_refund_emails_and_notifies_the_resident(service: object, cashier: object) -> None:
    citizen = UserFactory(preferred_language="en")
    payment = _paid(citizen, service)
    mail.outbox.clear()
    payment_refund(payment=payment, amount=2_000, reason="Overcharged", by=cashier)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Refund: Permit")
    assert "refunded HK$20.00" in mail.outbox[0].body
    assert Message.objects.filter(recipient=citizen, notification_type="payment.refunded").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_declined_payment_sends_nothing_and_a_replay_sends_once(service: object) -> None:
    citizen = UserFactory()
    payment = payment_start(
        citizen=citizen, service=service, amount=500, reference="P-6", description="Permit"
    ).payment
    payment_settle(payment=payment, status=PaymentStatus.FAILED, source="test")
    assert mail.outbox == []
    payment_settle(payment=payment, status=PaymentStatus.PENDING, source="test")
    payment_settle(payment=payment, status=PaymentStatus.SUCCEEDED, source="test")
    payment_settle(payment=payment, status=PaymentStatus.SUCCEEDED, source="test")
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_the_email_subject_is_plain_text_not_html_escaped(service: object, cashier: object) -> None:
    """An email subject is plain text: `&` and `'` in a description must not arrive as `&amp;`, `&#x27;`."""
    citizen = UserFactory(preferred_language="en")
    payment = payment_start(
        citizen=citizen, service=service, amount=500, reference="P-7", description="Hawker & stall (O'Brien)"
    ).payment
    payment_settle(payment=payment, status=PaymentStatus.SUCCEEDED, source="test")
    payment_refund(payment=payment, amount=100, reason="Overcharged", by=cashier)
    assert [email.subject for email in mail.outbox] == [
        "Payment received: Hawker & stall (O'Brien)",
        "Refund: Hawker & stall (O'Brien)",
    ]
