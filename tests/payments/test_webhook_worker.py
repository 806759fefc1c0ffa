"""Stripe webhooks on Celery: the view verifies and enqueues, a worker applies each event once.

With CELERY_BROKER_URL (and PostgreSQL) a real worker runs the task; without, Celery runs it eagerly.
"""

import time

import pytest
from django.test import Client

from payments.actions import payment_start
from payments.models import Payment, PaymentStatus, ProviderEvent
from tests.payments.test_pages import SECRET, _event, _signed

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("the worker did not apply the event in time")
        time.sleep(0.1)


def _post(payload: str) -> object:
    return Client().post(
        "/payments/stripe/webhook",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(payload),
    )


def test_webhook_events_are_applied_once_by_the_worker(
    celery_worker_process: str, payer: object, service: object, settings: object
) -> None:
    assert celery_worker_process == ("worker" if settings.CELERY_BROKER_URL else "eager")
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    payment = payment_start(
        citizen=payer, service=service, amount=9_900, reference="W-1", description="Permit"
    ).payment
    Payment.objects.filter(pk=payment.pk).update(provider="stripe", provider_reference="pi_worker")

    succeeded = _event("evt_w1", "payment_intent.succeeded", "pi_worker")
    late_failure = _event("evt_w0", "payment_intent.payment_failed", "pi_worker")
    for payload in (succeeded, succeeded, late_failure, succeeded):  # redeliveries and out of order
        response = _post(payload)
        assert response.status_code == 200 and response.content == b"queued"

    _wait_for(lambda: ProviderEvent.objects.filter(provider="stripe").count() == 2)
    _wait_for(lambda: Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED)
    time.sleep(0.5 if celery_worker_process == "worker" else 0)  # let the last redelivery run
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.transitions.filter(to_status=PaymentStatus.SUCCEEDED).count() == 1
    assert not payment.transitions.filter(to_status=PaymentStatus.FAILED).exists()
    assert set(ProviderEvent.objects.values_list("event_id", flat=True)) == {"evt_w0", "evt_w1"}


def test_a_forged_webhook_is_never_enqueued(celery_worker_process: str, settings: object) -> None:
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    payload = _event("evt_forged", "payment_intent.succeeded", "pi_x")
    response = Client().post(
        "/payments/stripe/webhook",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(payload, secret="whsec_forged"),
    )
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
