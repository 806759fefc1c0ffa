"""PAdES B-LT: a time-stamp from the portal's TSA and the validation data embedded in the PDF."""

from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.test import Client
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from eid.models import User
from eid.pki.actions import (
    certificate_issue_for_resident,
    pdf_sign_for_resident,
    pki_initialise,
    tsa_certificate,
)
from eid.pki.constants import ROOT_CA
from eid.pki.pades import asn1_certificate
from eid.pki.selectors import ca_get, parse_certificate
from eid.pki.verification import pdf_verify
from tests.eid.pki.test_pades import one_page_pdf

PAGE = "/en/eid/verify/"


@pytest.fixture
def signer(pki: dict, substantial_resident: User) -> User:
    certificate_issue_for_resident(user=substantial_resident)
    return substantial_resident


def _root() -> object:
    return asn1_certificate(parse_certificate(ca_get(ROOT_CA).certificate_pem))


def test_pki_init_creates_a_time_stamping_authority_once(pki: dict) -> None:
    tsa = tsa_certificate()
    assert tsa is not None and tsa.issuer.name == "issuing"
    usage = parse_certificate(tsa.certificate_pem).extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert pki_initialise() == []


def test_a_resident_pdf_signature_carries_its_validation_data(signer: User) -> None:
    signed = pdf_sign_for_resident(user=signer, pdf=one_page_pdf()).signature
    reader = PdfFileReader(BytesIO(signed))
    embedded = reader.embedded_signatures[-1]
    dss = DocumentSecurityStore.read_dss(reader)
    subjects = {
        asn1_x509.Certificate.load(certificate.get_object().data).subject.human_friendly
        for certificate in dss.certs.values()
    }
    assert any("Issuing CA" in subject for subject in subjects)
    assert any("Time-Stamping" in subject for subject in subjects)
    assert len(dss.crls) == 2  # the root's CRL (covering the issuing CA) and the issuing CA's

    # pyHanko's validator, trusting the portal root only and given nothing but the DSS: no
    # intermediate, no CRL, no fetching. The time-stamp validates too.
    settings = {"trust_roots": [_root()], "allow_fetching": False, "revocation_mode": "hard-fail"}
    status = validate_pdf_signature(
        embedded,
        signer_validation_context=dss.as_validation_context(settings),
        ts_validation_context=dss.as_validation_context(settings),
    )
    assert status.bottom_line and status.intact and status.valid
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    # The same validator without the DSS cannot check revocation: the embedded data is what works.
    bare = validate_pdf_signature(
        embedded,
        signer_validation_context=ValidationContext(
            trust_roots=[_root()], crls=[], allow_fetching=False, revocation_mode="hard-fail"
        ),
    )
    assert not bare.bottom_line
    assert pdf_verify(pdf=signed).ltv


def test_a_b_b_signature_is_reported_without_ltv(signer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("eid.pki.actions.pades_ltv_material", lambda: None)
    signed = pdf_sign_for_resident(user=signer, pdf=one_page_pdf()).signature
    report = pdf_verify(pdf=signed)
    assert report.valid_now and not report.ltv


def test_the_verification_page_says_the_ltv_data_is_there(signer: User, client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed = pdf_sign_for_resident(user=signer, pdf=one_page_pdf()).signature
    response = client.post(PAGE, {"document": SimpleUploadedFile("signed.pdf", signed, "application/pdf")})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Long-term validation data (PAdES B-LT)" in html
    assert "Embedded: the signature can be checked without contacting the portal" in html
