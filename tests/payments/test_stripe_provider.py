"""The Stripe provider against localstripe, a fake but stateful Stripe server on 127.0.0.1."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from django.test import Client

from payments.actions import payment_refund, payment_settle, payment_start
from payments.models import PaymentStatus
from payments.stripe_api import StripeProvider, _client
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
LOCALSTRIPE_PYTHON = ROOT / ".venv-localstripe" / "bin" / "python"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
VISA, DECLINED_ON_CHARGE, NEEDS_3DS = "4242424242424242", "4000000000000341", "4000000000003220"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    if not LOCALSTRIPE_PYTHON.exists():
        message = "localstripe is not installed: `make test` installs it into .venv-localstripe."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    code = (
        "from aiohttp import web; from localstripe.server import app; "
        f"web.run_app(app, host='127.0.0.1', port={port}, print=None)"
    )
    process = subprocess.Popen(
        [str(LOCALSTRIPE_PYTHON), "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("localstripe did not start")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_settings(settings: object, localstripe: str) -> object:
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe
    return settings


def _card(number: str) -> str:
    params = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"}}
    return _client().v1.payment_methods.create(params=params).id


def _start(payer: object, service: object, reference: str) -> object:
    return payment_start(
        citizen=payer, service=service, amount=8_800, reference=reference, description="Permit"
    ).payment


def test_a_card_payment_succeeds_and_is_refunded(
    stripe_settings: object, payer: object, service: object, cashier: object
) -> None:
    payment = _start(payer, service, "S-1")
    assert payment.provider == "stripe" and payment.provider_reference.startswith("pi_")
    assert StripeProvider().confirm(payment, _card(VISA)) == "succeeded"
    assert StripeProvider().status(payment) == PaymentStatus.SUCCEEDED
    payment_settle(payment=payment, status=PaymentStatus.SUCCEEDED, source="test")
    refund = payment_refund(payment=payment, amount=800, reason="Overcharged", by=cashier)
    assert refund.provider_reference.startswith("re_")
    remote = _client().v1.refunds.retrieve(refund.provider_reference)
    assert (remote.amount, remote.status) == (800, "succeeded")


def test_starting_twice_creates_one_payment_intent(
    stripe_settings: object, payer: object, service: object
) -> None:
    first = _start(payer, service, "S-2")
    second = _start(payer, service, "S-2")
    assert first.provider_reference == second.provider_reference


def test_a_declined_card_leaves_the_payment_unpaid(
    stripe_settings: object, payer: object, service: object
) -> None:
    payment = _start(payer, service, "S-3")
    with pytest.raises(stripe.CardError):
        StripeProvider().confirm(payment, _card(DECLINED_ON_CHARGE))
    assert StripeProvider().status(payment) == PaymentStatus.PENDING


def test_3d_secure_waits_for_the_resident(stripe_settings: object, payer: object, service: object) -> None:
    payment = _start(payer, service, "S-4")
    assert StripeProvider().confirm(payment, _card(NEEDS_3DS)) == "requires_action"
    assert StripeProvider().status(payment) == PaymentStatus.PENDING


def test_the_daily_reconciliation_lists_ledger_and_provider_mismatches(
    stripe_settings: object, payer: object, service: object
) -> None:
    from payments.reconciliation import reconcile_with_provider

    paid_but_unrecorded = _start(payer, service, "S-5")
    StripeProvider().confirm(paid_but_unrecorded, _card(VISA))
    in_step = _start(payer, service, "S-6")
    (mismatch,) = reconcile_with_provider(provider_name="stripe")
    assert mismatch.reference == "S-5" and (mismatch.ledger, mismatch.provider) == ("pending", "succeeded")
    assert in_step.reference not in {mismatch.reference}


# The card page (Stripe.js Payment Element) ------------------------------------------------------


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csp_directive(response: object, name: str) -> str:
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith(name + " "))


def test_the_card_page_gives_the_client_secret_to_the_payer_only(
    stripe_settings: object, payer: object, service: object
) -> None:
    stripe_settings.STRIPE_PUBLISHABLE_KEY = "pk_test_portal"
    started = payment_start(
        citizen=payer, service=service, amount=8_800, reference="S-6", description="Permit"
    )
    payment = started.payment
    assert started.redirect_url.endswith(f"/payments/{payment.public_id}/card/")
    secret = _client().v1.payment_intents.retrieve(payment.provider_reference).client_secret
    assert secret

    response = _as(payer).get(f"/zh-hant/payments/{payment.public_id}/card/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-client-secret="{secret}"' in body and 'data-publishable-key="pk_test_portal"' in body
    assert 'data-locale="zh-HK"' in body and '<script src="https://js.stripe.com/v3/">' in body
    assert f'data-return-url="http://testserver/zh-hant/payments/{payment.public_id}/"' in body
    assert "no-store" in response["Cache-Control"]
    assert "https://js.stripe.com" in _csp_directive(response, "script-src")
    assert "https://js.stripe.com" in _csp_directive(response, "frame-src")
    assert "https://api.stripe.com" in _csp_directive(response, "connect-src")

    stranger = _as(UserFactory()).get(f"/en/payments/{payment.public_id}/card/")
    assert stranger.status_code == 404 and secret not in stranger.content.decode()
    # Everywhere else the policy stays 'self' only.
    detail = _as(payer).get(f"/en/payments/{payment.public_id}/")
    assert "stripe.com" not in detail["Content-Security-Policy"]
    assert f"/payments/{payment.public_id}/card/" in detail.content.decode()


def test_the_card_page_is_only_for_stripe_and_pending_payments(
    stripe_settings: object, payer: object, service: object
) -> None:
    payment = _start(payer, service, "S-7")
    payment_settle(payment=payment, status=PaymentStatus.CANCELLED, source="test")
    response = _as(payer).get(f"/en/payments/{payment.public_id}/card/")
    assert response.status_code == 302 and response["Location"] == f"/en/payments/{payment.public_id}/"
    stripe_settings.PAYMENTS_PROVIDER = "sandbox"
    assert _as(payer).get(f"/en/payments/{payment.public_id}/card/").status_code == 404


def test_coming_back_from_stripe_trusts_only_a_server_side_retrieve(
    stripe_settings: object, payer: object, service: object
) -> None:
    unpaid = _start(payer, service, "S-8")
    forged = (
        f"/en/payments/{unpaid.public_id}/"
        f"?payment_intent={unpaid.provider_reference}&redirect_status=succeeded"
    )
    assert _as(payer).get(forged).status_code == 200
    unpaid.refresh_from_db()
    assert unpaid.status == PaymentStatus.PENDING  # the query string alone proves nothing

    paid = _start(payer, service, "S-9")
    assert StripeProvider().confirm(paid, _card(VISA)) == "succeeded"
    back = (
        f"/en/payments/{paid.public_id}/?payment_intent={paid.provider_reference}&redirect_status=succeeded"
    )
    assert _as(payer).get(back).status_code == 200
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED
    assert paid.transitions.get(to_status=PaymentStatus.SUCCEEDED).source == "stripe:retrieve"


@pytest.mark.django_db(transaction=True)
def test_localstripes_signed_webhooks_settle_the_payment(
    stripe_settings: object, live_server: object, payer: object, service: object
) -> None:
    """localstripe signs and posts payment_intent events to the live portal, which verifies and applies."""
    import requests

    from payments.models import Payment

    secret = "whsec_localstripe_test"
    stripe_settings.STRIPE_WEBHOOK_SECRET = secret
    registered = requests.post(
        f"{stripe_settings.STRIPE_API_BASE}/_config/webhooks/portal",
        data={"url": f"{live_server.url}/payments/stripe/webhook", "secret": secret},
        timeout=10,
    )
    assert registered.status_code == 200
    payment = _start(payer, service, "S-WEBHOOK")
    StripeProvider().confirm(payment, _card(VISA))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status == PaymentStatus.SUCCEEDED:
            break
        time.sleep(0.2)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.transitions.filter(source__startswith="stripe:evt_").exists()
