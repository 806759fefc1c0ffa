"""payment_start's return_url: the service's page the resident lands on after paying (same-site paths)."""

import pytest
from django.test import Client

from eid.public import ApplicationError
from payments.actions import payment_return_url, payment_start, return_url_valid
from payments.models import PaymentStatus
from payments.stripe_api import StripeProvider
from tests.payments.test_stripe_provider import VISA, _card, localstripe, stripe_settings  # noqa: F401

BACK = "/en/services/eforms/applications/0d7a2a6e-0c1e-4c2b-9b8e-000000000001/"


@pytest.mark.parametrize("url", [BACK, "/en/?a=1#top"])
def test_same_site_paths_are_accepted(url: str) -> None:
    assert return_url_valid(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "en/relative",
        "/ok\nLocation: x",
        "/" + "a" * 600,
        "",
    ],
)
def test_other_urls_are_refused(payer: object, service: object, url: str) -> None:
    assert not return_url_valid(url)
    if url:
        with pytest.raises(ApplicationError) as error:
            payment_start(
                citizen=payer, service=service, amount=100, reference="R-1", description="x", return_url=url
            )
        assert error.value.code == "return_url"


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_without_a_return_url_the_payment_page_is_the_default(payer: object, service: object) -> None:
    payment = payment_start(
        citizen=payer, service=service, amount=100, reference="R-2", description="x"
    ).payment
    assert payment_return_url(payment) == f"/en/payments/{payment.public_id}/"
    assert "return_url" not in payment.metadata


def test_the_sandbox_sends_the_resident_back_to_the_service(
    payer: object, service: object, settings: object
) -> None:
    settings.PAYMENTS_PROVIDER = "sandbox"
    payment = payment_start(
        citizen=payer, service=service, amount=100, reference="R-3", description="x", return_url=BACK
    ).payment
    response = _as(payer).post(f"/en/payments/sandbox/{payment.public_id}/", {"outcome": "pay"})
    assert response.status_code == 302 and response["Location"] == BACK
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_resuming_a_payment_updates_its_return_url(payer: object, service: object) -> None:
    first = payment_start(
        citizen=payer, service=service, amount=100, reference="R-4", description="x"
    ).payment
    again = payment_start(
        citizen=payer, service=service, amount=100, reference="R-4", description="x", return_url=BACK
    ).payment
    assert again.pk == first.pk and payment_return_url(again) == BACK


def test_back_from_stripe_lands_on_the_service_page(
    stripe_settings: object,  # noqa: F811
    payer: object,
    service: object,
) -> None:
    payment = payment_start(
        citizen=payer, service=service, amount=8_800, reference="R-5", description="x", return_url=BACK
    ).payment
    assert StripeProvider().confirm(payment, _card(VISA)) == "succeeded"
    back = f"/en/payments/{payment.public_id}/?payment_intent={payment.provider_reference}"
    response = _as(payer).get(back)
    assert response.status_code == 302 and response["Location"] == BACK
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED  # settled by the server-side retrieve first
    # A second return (already settled, e.g. by the webhook) goes to the same place.
    assert _as(payer).get(back)["Location"] == BACK
    # A plain visit of the payment's page still shows it.
    assert _as(payer).get(f"/en/payments/{payment.public_id}/").status_code == 200
