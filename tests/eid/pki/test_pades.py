"""PAdES signing with pyHanko, and the public verification page (CMS and PDF)."""

from io import BytesIO

import pytest
from django.test import Client
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter

from eid.audit.models import AuditEvent
from eid.errors import ApplicationError
from eid.models import User
from eid.pki.actions import (
    certificate_issue_for_resident,
    certificate_revoke,
    pdf_sign_for_resident,
    sign_for_resident,
)
from eid.pki.constants import RevocationReason
from eid.pki.verification import pdf_verify, signature_verify_detached

PAGE = "/en/eid/verify/"


def one_page_pdf() -> bytes:
    writer = PdfFileWriter()
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 595, 842)]
                ),
            }
        )
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def signer(pki: dict, substantial_resident: User) -> User:
    certificate_issue_for_resident(user=substantial_resident)
    return substantial_resident


def test_a_pades_signature_verifies_with_pyhanko(signer: User) -> None:
    result = pdf_sign_for_resident(user=signer, pdf=one_page_pdf())
    assert result.signature.startswith(b"%PDF-")
    report = pdf_verify(pdf=result.signature)
    assert report.kind == "pdf"
    assert report.intact and report.valid_now and report.valid_at_signing
    assert "CHAN Tai Man" in report.signer
    assert report.code == result.code and len(result.code) == 4
    assert report.certificate_status == "good"
    assert AuditEvent.objects.get(event_type="signature.created").data["kind"] == "pades"


def test_a_tampered_pdf_is_not_intact(signer: User) -> None:
    signed = pdf_sign_for_resident(user=signer, pdf=one_page_pdf()).signature
    tampered = signed.replace(b"595", b"596", 1)  # the page size, inside the signed byte range
    assert tampered != signed
    report = pdf_verify(pdf=tampered)
    assert not report.intact and not report.valid_now


def test_revoked_after_signing_was_valid_then_not_now(signer: User) -> None:
    data = b"a tenancy agreement"
    result = sign_for_resident(user=signer, data=data)
    certificate = signer.certificates.get()
    certificate_revoke(certificate=certificate, by=signer, reason=RevocationReason.KEY_COMPROMISE)
    report = signature_verify_detached(data=data, signature=result.signature)
    assert report.intact and not report.valid_now and report.valid_at_signing
    assert report.certificate_status == "revoked" and report.revoked_at is not None


@pytest.mark.parametrize(
    ("pdf", "code"),
    [
        pytest.param(b"hello, I am a text file", "not_pdf", id="text"),
        pytest.param(b"%PDF-1.7\n%%EOF garbage posing as a PDF", "not_pdf", id="posing as a PDF"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not_pdf", id="image"),
    ],
)
def test_non_pdfs_are_refused_and_nothing_is_signed(signer: User, pdf: bytes, code: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        pdf_sign_for_resident(user=signer, pdf=pdf)
    assert raised.value.code == code
    assert not AuditEvent.objects.filter(event_type="signature.created").exists()


def test_the_verification_page_is_public(pki: dict, client: Client) -> None:
    for language in ("en", "zh-hant", "zh-hans"):
        assert client.get(f"/{language}/eid/verify/").status_code == 200


def test_the_page_verifies_a_signed_pdf(signer: User, client: Client) -> None:
    result = pdf_sign_for_resident(user=signer, pdf=one_page_pdf())
    response = client.post(PAGE, {"document": _upload("signed.pdf", result.signature)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The signature is valid" in html
    assert result.code in html and "CHAN Tai Man" in html


def test_the_page_verifies_a_detached_signature_and_spots_a_change(signer: User, client: Client) -> None:
    data = b"any file at all"
    result = sign_for_resident(user=signer, data=data)
    response = client.post(
        PAGE, {"document": _upload("form.bin", data), "signature": _upload("form.p7s", result.signature)}
    )
    assert "The signature is valid" in response.content.decode()
    response = client.post(
        PAGE,
        {
            "document": _upload("form.bin", b"any file at ALL"),
            "signature": _upload("form.p7s", result.signature),
        },
    )
    assert response.status_code == 200
    assert "The document was changed after it was signed" in response.content.decode()


def _upload(name: str, content: bytes) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    ("files", "status"),
    [
        pytest.param({"document": ("a.pdf", b"%PDF-1.4 not really")}, 400, id="PDF impostor"),
        pytest.param({"document": ("a.txt", b"plain text")}, 400, id="not a PDF, no signature"),
        pytest.param(
            {"document": ("a.bin", b"x"), "signature": ("a.p7s", b"garbage")}, 400, id="garbage signature"
        ),
        pytest.param({}, 400, id="nothing uploaded"),
    ],
)
def test_bad_uploads_are_4xx(pki: dict, client: Client, files: dict, status: int) -> None:
    response = client.post(PAGE, {key: _upload(*value) for key, value in files.items()})
    assert response.status_code == status
    assert "could not be verified" in response.content.decode()


def test_an_oversized_upload_is_413(pki: dict, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("eid.pki.views.MAX_VERIFY_BYTES", 1000)
    response = client.post(PAGE, {"document": _upload("big.pdf", b"%PDF-" + b"0" * 5000)})
    assert response.status_code == 413
    monkeypatch.setattr("eid.pki.views.MAX_VERIFY_BYTES", 10)
    response = client.post(PAGE, {"document": _upload("big.pdf", b"%PDF-" + b"0" * 70_000)})
    assert response.status_code == 413
