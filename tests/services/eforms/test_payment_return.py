"""After paying the fee in the sandbox the resident lands on the application's confirmation, with receipts."""

import pytest

from payments.models import Payment
from services.eforms.models import Submission
from tests.services.eforms.conftest import signed_in
from tests.services.eforms.test_journey import BASE, fill_to_check, start

pytestmark = pytest.mark.django_db


def test_paying_in_the_sandbox_returns_to_the_confirmation_with_the_receipt(
    make_form: object, applicant: object, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    from eid.pki.actions import pki_initialise

    pki_initialise()
    settings.PAYMENTS_PROVIDER = "sandbox"
    version = make_form(fee_cents=45_000)
    client = signed_in(applicant)
    draft = start(client, version)
    fill_to_check(client, draft)
    to_pay = client.post(f"{BASE}/drafts/{draft.public_id}/check/")["Location"]
    submission, payment = Submission.objects.get(), Payment.objects.get()
    confirmation = f"{BASE}/applications/{submission.public_id}/"
    assert to_pay == f"/en/payments/sandbox/{payment.public_id}/"
    # Declined: back on the application, which still offers "Pay now".
    declined = client.post(to_pay, {"outcome": "decline"})
    assert declined["Location"] == confirmation
    assert "Pay now" in client.get(confirmation).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(client.post(f"{confirmation}pay/")["Location"], {"outcome": "pay"})
    assert paid.status_code == 302 and paid["Location"] == confirmation
    page = client.get(paid["Location"]).content.decode()
    assert "Application sent" in page and submission.reference in page
    assert f"{confirmation}receipt.pdf" in page
    assert f"/en/payments/{payment.public_id}/receipt.pdf" in page
    receipt = client.get(f"{confirmation}receipt.pdf")
    assert receipt.status_code == 200 and b"/ByteRange" in receipt.content
    assert client.get(f"/en/payments/{payment.public_id}/receipt.pdf").status_code == 200
