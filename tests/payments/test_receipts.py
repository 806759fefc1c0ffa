"""Receipt PDFs: in the resident's language, the payer's only, sealed with the department's seal."""

import pytest
from django.test import Client
from pyhanko.pdf_utils.reader import PdfFileReader

from eid.pki.actions import pki_initialise
from eid.pki.verification import pdf_verify
from payments.actions import payment_settle, payment_start
from payments.models import Payment, PaymentStatus
from payments.receipts import receipt_pdf
from tests.factories import UserFactory


@pytest.fixture
def paid(payer: object, service: object) -> Payment:
    payment = payment_start(
        citizen=payer, service=service, amount=12_345, reference="P-7", description="Permit"
    ).payment
    payment_settle(payment=payment, status=PaymentStatus.SUCCEEDED, source="test")
    payment.refresh_from_db()
    return payment


@pytest.fixture
def as_payer(payer: object) -> Client:
    client = Client()
    client.force_login(payer)
    return client


def _title(pdf: bytes) -> str:
    import io

    return str(PdfFileReader(io.BytesIO(pdf), strict=False).trailer["/Info"]["/Title"])


@pytest.mark.parametrize(
    ("language", "title", "font"),
    [
        ("en", "Payment receipt", None),
        ("zh-hant", "付款收據", b"MSung-Light"),
        ("zh-hans", "付款收据", b"STSong-Light"),
    ],
)
def test_the_receipt_is_in_the_residents_language(
    paid: Payment, language: str, title: str, font: bytes | None
) -> None:
    pdf = receipt_pdf(payment=paid, language=language)
    assert pdf.startswith(b"%PDF-1.7")
    assert _title(pdf) == title
    assert b"HK$123.45" in pdf and str(paid.public_id).encode() in pdf
    if font:
        assert b"/BaseFont /" + font in pdf
        # The Chinese title is drawn in the CJK font (UTF-16 hex), not only in the metadata.
        assert title.encode("utf-16-be").hex().upper().encode() in pdf


def test_the_payer_downloads_a_receipt_sealed_by_the_department(paid: Payment, as_payer: Client) -> None:
    pki_initialise()
    response = as_payer.get(f"/zh-hant/payments/{paid.public_id}/receipt.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert _title(response.content) == "付款收據"
    # pyHanko's validator, trusting only the portal's root.
    report = pdf_verify(pdf=response.content)
    assert report.kind == "pdf"
    assert report.intact and report.valid_now and report.valid_at_signing
    assert "Transport Department" in report.signer


def test_a_tampered_receipt_is_not_intact(paid: Payment, as_payer: Client) -> None:
    pki_initialise()
    sealed = as_payer.get(f"/en/payments/{paid.public_id}/receipt.pdf").content
    tampered = sealed.replace(b"HK$123.45", b"HK$1.23.45", 1)
    assert not pdf_verify(pdf=tampered).intact


def test_only_the_payer_gets_a_receipt_and_only_once_paid(
    paid: Payment, payer: object, service: object
) -> None:
    other = Client()
    other.force_login(UserFactory())
    assert other.get(f"/en/payments/{paid.public_id}/receipt.pdf").status_code == 404
    anonymous = Client().get(f"/en/payments/{paid.public_id}/receipt.pdf")
    assert anonymous.status_code == 302
    unpaid = payment_start(
        citizen=payer, service=service, amount=500, reference="P-8", description="Permit"
    ).payment
    mine = Client()
    mine.force_login(payer)
    assert mine.get(f"/en/payments/{unpaid.public_id}/receipt.pdf").status_code == 404
    assert mine.get(f"/en/payments/{paid.public_id}/").content.count(b"receipt.pdf") == 1
