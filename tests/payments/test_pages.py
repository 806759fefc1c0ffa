"""The sandbox journey, the receipt, the officers' pages, and Stripe's webhook signature checks."""

import json
import time

import pytest
import stripe
from django.test import Client

from payments.actions import payment_settle, payment_start
from payments.models import Payment, PaymentStatus, ProviderEvent
from payments.tasks import stripe_event_task
from tests.factories import UserFactory


@pytest.fixture
def started(payer: object, service: object) -> Payment:
    return payment_start(
        citizen=payer, service=service, amount=12_000, reference="P-1", description="Permit"
    ).payment


@pytest.fixture
def as_payer(payer: object) -> Client:
    client = Client()
    client.force_login(payer)
    return client


@pytest.mark.parametrize(
    ("outcome", "status"), [("pay", "succeeded"), ("decline", "failed"), ("cancel", "cancelled")]
)
def test_the_sandbox_pays_declines_or_cancels(
    as_payer: Client, started: Payment, outcome: str, status: str
) -> None:
    page = as_payer.get(f"/en/payments/sandbox/{started.public_id}/")
    assert b"no money moves" in page.content and b"HK$120.00" in page.content
    response = as_payer.post(f"/en/payments/sandbox/{started.public_id}/", {"outcome": outcome})
    assert response["Location"] == f"/en/payments/{started.public_id}/"
    started.refresh_from_db()
    assert started.status == status


def test_a_double_press_of_pay_settles_once(as_payer: Client, started: Payment) -> None:
    for _ in range(2):
        as_payer.post(f"/en/payments/sandbox/{started.public_id}/", {"outcome": "pay"})
    assert started.transitions.filter(to_status="succeeded").count() == 1


def test_a_bad_outcome_is_a_400(as_payer: Client, started: Payment) -> None:
    assert (
        as_payer.post(f"/en/payments/sandbox/{started.public_id}/", {"outcome": "steal"}).status_code == 400
    )


def test_the_receipt_is_only_for_the_payer(as_payer: Client, started: Payment) -> None:
    payment_settle(payment=started, status=PaymentStatus.SUCCEEDED, source="test")
    assert b"Payment receipt" in as_payer.get(f"/en/payments/{started.public_id}/").content
    other = Client()
    other.force_login(UserFactory())
    assert other.get(f"/en/payments/{started.public_id}/").status_code == 404
    assert other.post(f"/en/payments/sandbox/{started.public_id}/", {"outcome": "pay"}).status_code == 404


def test_the_receipt_in_traditional_chinese(as_payer: Client, started: Payment) -> None:
    content = as_payer.get(f"/zh-hant/payments/{started.public_id}/").content.decode()
    assert 'lang="zh-hant"' in content and "HK$120.00" in content


def test_the_sandbox_is_refused_under_production(
    as_payer: Client, started: Payment, settings: object
) -> None:
    settings.PORTAL_ENVIRONMENT = "production"
    assert as_payer.get(f"/en/payments/sandbox/{started.public_id}/").status_code == 404


def test_an_officer_refunds_from_the_back_office(cashier: object, started: Payment) -> None:
    payment_settle(payment=started, status=PaymentStatus.SUCCEEDED, source="test")
    client = Client()
    client.force_login(cashier)
    assert b"P-1" in client.get("/en/back-office/payments/").content
    response = client.post(
        f"/en/back-office/payments/{started.public_id}/", {"amount": "20.00", "reason": "Late"}
    )
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.amount_refunded == 2_000
    too_much = client.post(f"/en/back-office/payments/{started.public_id}/", {"amount": "500", "reason": "x"})
    assert too_much.status_code == 400 and b"at most" in too_much.content


def test_the_report_downloads_as_csv(cashier: object, started: Payment) -> None:
    payment_settle(payment=started, status=PaymentStatus.SUCCEEDED, source="test")
    client = Client()
    client.force_login(cashier)
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    response = client.get("/en/back-office/payments/", {"start": today, "end": today, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[1] == "td,parking,1,12000,0,12000"
    assert client.get("/en/back-office/payments/", {"start": today, "end": "2000-01-01"}).status_code == 400


def test_residents_and_other_departments_see_no_back_office_payments(payer: object, started: Payment) -> None:
    client = Client()
    client.force_login(payer)
    assert client.get("/en/back-office/payments/").status_code == 404
    assert client.get(f"/en/back-office/payments/{started.public_id}/").status_code == 404


# Stripe's webhook -------------------------------------------------------------------------------

SECRET = "whsec_test_secret"


def _signed(payload: str, secret: str = SECRET, at: int | None = None) -> str:
    at = at or int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{at}.{payload}", secret)
    return f"t={at},v1={signature}"


def _event(event_id: str, event_type: str, intent_id: str) -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "data": {"object": {"id": intent_id, "object": "payment_intent"}},
        }
    )


@pytest.fixture
def stripe_payment(started: Payment, settings: object) -> Payment:
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    Payment.objects.filter(pk=started.pk).update(provider="stripe", provider_reference="pi_123")
    started.refresh_from_db()
    return started


def _post(payload: str, signature: str) -> object:
    return Client().post(
        "/payments/stripe/webhook",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def test_a_signed_webhook_settles_the_payment_once(
    stripe_payment: Payment, django_capture_on_commit_callbacks: object
) -> None:
    payload = _event("evt_1", "payment_intent.succeeded", "pi_123")
    for _ in range(2):  # Stripe redelivers: the second delivery is queued too, and changes nothing
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = _post(payload, _signed(payload))
        assert response.status_code == 200 and response.content == b"queued"
        assert callbacks  # the task, enqueued after commit
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.SUCCEEDED
    assert ProviderEvent.objects.count() == 1
    assert stripe_payment.transitions.filter(to_status=PaymentStatus.SUCCEEDED).count() == 1
    assert stripe_event_task.apply(args=("evt_1", "payment_intent.succeeded", "pi_123")).get() == "duplicate"


def test_an_out_of_order_failure_after_success_changes_nothing(
    stripe_payment: Payment, django_capture_on_commit_callbacks: object
) -> None:
    ok = _event("evt_1", "payment_intent.succeeded", "pi_123")
    with django_capture_on_commit_callbacks(execute=True):
        _post(ok, _signed(ok))
    assert stripe_event_task.apply(args=("evt_0", "payment_intent.payment_failed", "pi_123")).get() == (
        "no change"
    )
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.SUCCEEDED


def test_unknown_events_and_payments_are_harmless(
    stripe_payment: Payment, django_capture_on_commit_callbacks: object
) -> None:
    other = _event("evt_2", "customer.created", "cus_1")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _post(other, _signed(other)).content == b"ignored"
    assert callbacks == []
    assert stripe_event_task.apply(args=("evt_3", "payment_intent.succeeded", "pi_nope")).get() == (
        "unknown payment"
    )


@pytest.mark.parametrize(
    "signature",
    [
        lambda p: _signed(p, secret="whsec_wrong"),
        lambda p: _signed(p, at=int(time.time()) - 3600),
        lambda p: "t=1,v1=deadbeef",
        lambda p: "",
    ],
    ids=["wrong secret", "stale timestamp", "garbage", "missing"],
)
def test_forged_or_stale_webhooks_are_refused(stripe_payment: Payment, signature: object) -> None:
    payload = _event("evt_9", "payment_intent.succeeded", "pi_123")
    response = _post(payload, signature(payload))
    assert response.status_code == 400
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING
    assert not ProviderEvent.objects.exists()
