"""Signing with the resident's certificate (step-up) and paying the fee in the sandbox."""

import time

import pytest
from asn1crypto import cms

from eid.pki.actions import certificate_issue_for_resident, pki_initialise
from payments.models import Payment, PaymentStatus
from services.eforms.models import Draft, FormVersion, Submission, SubmissionEvent
from services.notifications.models import Message
from tests.services.eforms.conftest import signed_in
from tests.services.eforms.test_journey import BASE, fill_to_check, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def pki(db: None) -> None:
    pki_initialise()


@pytest.fixture
def sandbox(settings: object) -> None:
    settings.PAYMENTS_PROVIDER = "sandbox"


def test_signing_needs_a_fresh_second_factor_then_stores_the_signature(
    make_form: object, applicant: object, pki: None
) -> None:
    version = make_form(signature_required=True)
    certificate_issue_for_resident(user=applicant)
    stale = signed_in(applicant, mfa_at=time.time() - 3600)
    draft = start(stale, version)
    fill_to_check(stale, draft)
    assert stale.post(f"{BASE}/drafts/{draft.public_id}/check/")["Location"].endswith("/sign/")
    assert "Sign and send" in stale.get(f"{BASE}/drafts/{draft.public_id}/sign/").content.decode()
    response = stale.post(f"{BASE}/drafts/{draft.public_id}/sign/")
    assert response.status_code == 302 and "/reauthenticate/" in response["Location"]
    assert not Submission.objects.exists() and Draft.objects.exists()  # nothing half-saved
    fresh = signed_in(applicant)
    response = fresh.post(f"{BASE}/drafts/{draft.public_id}/sign/")
    submission = Submission.objects.get()
    assert response["Location"] == f"{BASE}/applications/{submission.public_id}/"
    assert submission.signature_code and submission.signature_serial
    assert b'"plate":"AB123"' in bytes(submission.signed_payload)
    signed = cms.ContentInfo.load(bytes(submission.signature))
    assert signed["content_type"].native == "signed_data"
    # A second press finds the same application.
    assert fresh.post(f"{BASE}/drafts/{draft.public_id}/sign/")["Location"] == response["Location"]
    assert Submission.objects.count() == 1


def test_signing_without_a_certificate_says_so(make_form: object, applicant: object, pki: None) -> None:
    version = make_form(signature_required=True)
    client = signed_in(applicant)
    draft = start(client, version)
    fill_to_check(client, draft)
    client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    response = client.post(f"{BASE}/drafts/{draft.public_id}/sign/")
    assert response.status_code == 400 and "no valid signing certificate" in response.content.decode()
    assert not Submission.objects.exists()


def test_the_sign_page_needs_checked_answers(make_form: object, applicant: object) -> None:
    version = make_form(signature_required=True)
    client = signed_in(applicant)
    draft = start(client, version)
    assert client.post(f"{BASE}/drafts/{draft.public_id}/sign/")["Location"].endswith("/check/")


def test_the_fee_is_paid_in_the_sandbox_before_the_department_receives_it(
    make_form: object, applicant: object, sandbox: None, pki: None, django_capture_on_commit_callbacks: object
) -> None:
    version: FormVersion = make_form(fee_cents=45_000)
    client = signed_in(applicant)
    draft = start(client, version)
    fill_to_check(client, draft)
    response = client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    submission = Submission.objects.get()
    payment = Payment.objects.get()
    assert response["Location"] == f"/en/payments/sandbox/{payment.public_id}/"
    assert payment.amount == 45_000 and payment.reference == submission.reference
    assert payment.department == version.form.department and payment.service_slug == "eforms"
    assert submission.status == Submission.Status.PAYMENT_PENDING and submission.submitted_at is None
    # Unpaid: no receipt yet, a "Pay now" button that resumes the same payment.
    assert client.get(f"{BASE}/applications/{submission.public_id}/receipt.pdf").status_code == 404
    again = client.post(f"{BASE}/applications/{submission.public_id}/pay/")
    assert again["Location"] == response["Location"] and Payment.objects.count() == 1
    client.post(response["Location"], {"outcome": "decline"})
    submission.refresh_from_db()
    assert submission.status == Submission.Status.PAYMENT_PENDING
    # Declined: "Pay now" on the application retries the same payment.
    assert client.post(f"{BASE}/applications/{submission.public_id}/pay/")["Location"] == response["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"outcome": "pay"})
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED and submission.submitted_at
    assert submission.payment_reference == str(payment.public_id)
    assert SubmissionEvent.objects.filter(submission=submission, kind="payment").count() == 1
    assert Message.objects.filter(recipient=applicant, subject__contains=submission.reference).exists()
    receipt = client.get(f"{BASE}/applications/{submission.public_id}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert b"/ByteRange" in receipt.content  # sealed (PAdES)


def test_a_repeated_payment_verdict_changes_nothing(
    make_form: object, applicant: object, sandbox: None, django_capture_on_commit_callbacks: object
) -> None:
    from services.eforms.actions import submission_payment_settled

    version = make_form(fee_cents=1_000)
    client = signed_in(applicant)
    draft = start(client, version)
    fill_to_check(client, draft)
    response = client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"outcome": "pay"})
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED
    submission_payment_settled(payment=payment)
    assert SubmissionEvent.objects.filter(kind="payment").count() == 1
