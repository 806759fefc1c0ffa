"""Public CA certificates and CRLs (no sign-in, no language prefix) and the resident's CSR upload."""

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.test import Client

from eid.constants import AssuranceLevel
from eid.models import User
from eid.pki.actions import certificate_issue_for_resident, certificate_revoke
from eid.pki.constants import RevocationReason
from eid.pki.models import IssuedCertificate
from eid.pki.selectors import parse_certificate
from tests.eid.pki.conftest import strong_session
from tests.factories import UserFactory


def test_ca_certificates_are_public(pki: dict, client: Client) -> None:
    for name in ("root", "issuing"):
        response = client.get(f"/pki/ca/{name}.pem")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/x-pem-file"
        assert x509.load_pem_x509_certificate(response.content) == parse_certificate(
            pki[name].certificate_pem
        )
        der = client.get(f"/pki/ca/{name}.cer")
        assert der["Content-Type"] == "application/pkix-cert"
        assert x509.load_der_x509_certificate(der.content) == parse_certificate(pki[name].certificate_pem)
    assert client.get("/pki/ca/other.pem").status_code == 404
    assert client.post("/pki/ca/root.pem").status_code == 405


def test_endpoints_before_pki_init_are_404(db: None, client: Client) -> None:
    assert client.get("/pki/ca/root.pem").status_code == 404
    assert client.get("/pki/crl/issuing.crl").status_code == 404


def _crl(client: Client, name: str) -> x509.CertificateRevocationList:
    response = client.get(f"/pki/crl/{name}.crl")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    return x509.load_der_x509_crl(response.content)


def test_crls_are_signed_der_with_a_next_update(pki: dict, client: Client) -> None:
    for name in ("root", "issuing"):
        crl = _crl(client, name)
        ca = parse_certificate(pki[name].certificate_pem)
        assert crl.issuer == ca.subject
        assert crl.is_signature_valid(ca.public_key())
        assert crl.next_update_utc > datetime.now(UTC)
        assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number >= 1


def test_the_crl_is_cached_until_a_revocation_changes_it(
    pki: dict, client: Client, substantial_resident: User
) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    first = client.get("/pki/crl/issuing.crl").content
    assert client.get("/pki/crl/issuing.crl").content == first  # not re-signed
    certificate_revoke(certificate=record, by=substantial_resident, reason=RevocationReason.KEY_COMPROMISE)
    crl = _crl(client, "issuing")
    entry = crl.get_revoked_certificate_by_serial_number(int(record.serial, 16))
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.key_compromise
    )
    number = lambda c: c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number  # noqa: E731
    assert number(crl) == number(x509.load_der_x509_crl(first)) + 1


def _pem_csr(key: object, common_name: str = "CHAN Tai Man") -> bytes:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )


CSR_URL = "/pki/certificates/csr"


def test_csr_upload_issues_a_certificate(pki: dict, client: Client, substantial_resident: User) -> None:
    strong_session(client, substantial_resident)
    key = ec.generate_private_key(ec.SECP256R1())
    response = client.post(CSR_URL, _pem_csr(key), content_type="application/pkcs10")
    assert response.status_code == 201, response.content
    assert x509.load_pem_x509_certificate(response.content).public_key() == key.public_key()
    substantial_resident.refresh_from_db()
    assert substantial_resident.assurance_level == AssuranceLevel.HIGH


def test_csr_upload_needs_a_signed_in_resident_with_a_second_factor(pki: dict, client: Client) -> None:
    csr = _pem_csr(ec.generate_private_key(ec.SECP256R1()))
    assert client.post(CSR_URL, csr, content_type="application/pkcs10").status_code == 401
    user = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL, legal_name_en="CHAN Tai Man")
    client.force_login(user)  # a password-only session is LOW
    assert client.post(CSR_URL, csr, content_type="application/pkcs10").status_code == 403
    low = UserFactory(assurance_level=AssuranceLevel.LOW, legal_name_en="CHAN Tai Man")
    strong_session(client, low)
    assert client.post(CSR_URL, csr, content_type="application/pkcs10").status_code == 403
    assert not IssuedCertificate.objects.filter(user__isnull=False).exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(b"garbage", 400, "csr_malformed", id="garbage"),
        pytest.param(b"-" * 17_000, 413, "csr_too_large", id="oversized"),
        pytest.param(b"x" * 3 * 1024 * 1024, 413, "csr_too_large", id="over the upload limit"),
        pytest.param(
            lambda: _pem_csr(rsa.generate_private_key(public_exponent=65537, key_size=1024)),  # noqa: S505
            400,
            "csr_weak_key",
            id="weak key",
        ),
        pytest.param(
            lambda: _pem_csr(ec.generate_private_key(ec.SECP256R1()), "WONG Siu Ming"),
            403,
            "csr_other_subject",
            id="someone else's name",
        ),
    ],
)
def test_bad_csr_uploads_are_4xx_and_issue_nothing(
    pki: dict, client: Client, substantial_resident: User, body: object, status: int, code: str
) -> None:
    strong_session(client, substantial_resident)
    before = IssuedCertificate.objects.count()
    response = client.post(CSR_URL, body() if callable(body) else body, content_type="application/pkcs10")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert IssuedCertificate.objects.count() == before
