"""The Stripe provider against localstripe, a fake but stateful Stripe server on 127.0.0.1."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from payments.actions import payment_refund, payment_settle, payment_start
from payments.models import PaymentStatus
from payments.stripe_api import StripeProvider, _client

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
