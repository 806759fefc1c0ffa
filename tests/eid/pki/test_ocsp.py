"""The OCSP responder: unit checks through the test client, and `openssl ocsp` against a live server."""

import base64
import os
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.test import Client

from eid.models import User
from eid.pki.actions import certificate_issue_for_resident, certificate_revoke
from eid.pki.builders import build_root_certificate, name, new_private_key
from eid.pki.constants import RevocationReason
from eid.pki.selectors import parse_certificate
from tests.eid.pki.conftest import openssl

OCSP_URL = "/pki/ocsp"
# What openssl puts in a CertID: the responder must answer in it.
SHA1 = hashes.SHA1()  # noqa: S303


def _request(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    algorithm: hashes.HashAlgorithm,
    nonce: bytes | None,
) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, algorithm)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _post(client: Client, der: bytes) -> ocsp.OCSPResponse:
    response = client.post(OCSP_URL, der, content_type="application/ocsp-request")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(response.content)


@pytest.fixture
def resident_certificate(
    pki: dict, substantial_resident: User
) -> tuple[object, x509.Certificate, x509.Certificate]:
    record = certificate_issue_for_resident(user=substantial_resident)
    return (
        record,
        parse_certificate(record.certificate_pem),
        parse_certificate(pki["issuing"].certificate_pem),
    )


@pytest.mark.parametrize("algorithm", [SHA1, hashes.SHA256(), hashes.SHA384()], ids=lambda a: a.name)
def test_good_in_the_requests_hash_algorithm_with_the_nonce(
    client: Client, resident_certificate: tuple, algorithm: hashes.HashAlgorithm
) -> None:
    _, certificate, issuer = resident_certificate
    nonce = os.urandom(16)
    response = _post(client, _request(certificate, issuer, algorithm, nonce))
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == certificate.serial_number
    assert isinstance(response.hash_algorithm, type(algorithm))
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    assert response.next_update_utc > response.this_update_utc
    # Signed by the delegated responder, which the issuing CA certified for OCSP signing.
    (signer,) = response.certificates
    signer.verify_directly_issued_by(issuer)
    assert (
        ExtendedKeyUsageOID.OCSP_SIGNING
        in signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    signer.public_key().verify(
        response.signature,
        response.tbs_response_bytes,
        ec.ECDSA(response.signature_hash_algorithm),
    )


def test_revoked_with_time_and_reason(
    client: Client, resident_certificate: tuple, substantial_resident: User
) -> None:
    record, certificate, issuer = resident_certificate
    certificate_revoke(certificate=record, by=substantial_resident, reason=RevocationReason.KEY_COMPROMISE)
    response = _post(client, _request(certificate, issuer, SHA1, None))
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason == x509.ReasonFlags.key_compromise
    assert response.revocation_time_utc is not None
    with pytest.raises(x509.ExtensionNotFound):
        response.extensions.get_extension_for_class(x509.OCSPNonce)


def test_unknown_serial_is_unknown(client: Client, resident_certificate: tuple) -> None:
    _, certificate, issuer = resident_certificate
    stranger = (
        x509.CertificateBuilder()
        .subject_name(certificate.subject)
        .issuer_name(issuer.subject)
        .public_key(certificate.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(certificate.not_valid_before_utc)
        .not_valid_after(certificate.not_valid_after_utc)
        .sign(new_private_key(), hashes.SHA256())
    )
    response = _post(client, _request(stranger, issuer, SHA1, None))
    assert response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def test_another_cas_certificate_is_unauthorized(pki: dict, client: Client) -> None:
    from django.utils import timezone

    key = new_private_key()
    foreign = build_root_certificate(key=key, subject=name("Someone Else's CA"), now=timezone.now())
    response = _post(client, _request(foreign, foreign, SHA1, None))
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_the_root_answers_for_the_issuing_ca(pki: dict, client: Client) -> None:
    issuing = parse_certificate(pki["issuing"].certificate_pem)
    root = parse_certificate(pki["root"].certificate_pem)
    response = _post(client, _request(issuing, root, hashes.SHA256(), None))
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    response.certificates[0].verify_directly_issued_by(root)


def test_get_with_the_base64_path(client: Client, resident_certificate: tuple) -> None:
    _, certificate, issuer = resident_certificate
    encoded = quote(base64.b64encode(_request(certificate, issuer, SHA1, None)).decode(), safe="")
    response = client.get(f"{OCSP_URL}/{encoded}")
    assert response.status_code == 200
    assert ocsp.load_der_ocsp_response(response.content).certificate_status == ocsp.OCSPCertStatus.GOOD


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"garbage", id="garbage"),
        pytest.param(b"\x30\x03\x02\x01\x00", id="wrong ASN.1"),
        pytest.param(b"\x30" + b"\x82\xff\xff" + b"\x00" * 100, id="truncated"),
        pytest.param(b"\x30" * 20_000, id="oversized"),
    ],
)
def test_garbage_posts_get_malformed_request(pki: dict, client: Client, body: bytes) -> None:
    assert _post(client, body).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


@pytest.mark.parametrize(
    "path", ["not-base64!!", quote(base64.b64encode(b"garbage").decode(), safe=""), "QQ"]
)
def test_garbage_gets_get_malformed_request(pki: dict, client: Client, path: str) -> None:
    response = client.get(f"{OCSP_URL}/{path}")
    assert response.status_code == 200
    assert (
        ocsp.load_der_ocsp_response(response.content).response_status
        == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_an_unsupported_certid_hash_is_malformed(client: Client, resident_certificate: tuple) -> None:
    _, certificate, issuer = resident_certificate
    der = _request(certificate, issuer, hashes.SHA224(), None)
    assert _post(client, der).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


# openssl ocsp against a live server -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_openssl_ocsp_good_then_revoked(
    transactional_db: None, live_server: object, pki: dict, substantial_resident: User, tmp_path: Path
) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    (tmp_path / "root.pem").write_text(pki["root"].certificate_pem)
    (tmp_path / "issuing.pem").write_text(pki["issuing"].certificate_pem)
    (tmp_path / "resident.pem").write_text(record.certificate_pem)
    command = [
        "ocsp",
        "-issuer",
        tmp_path / "issuing.pem",
        "-cert",
        tmp_path / "resident.pem",
        "-url",
        f"{live_server.url}/pki/ocsp",
        "-CAfile",
        tmp_path / "root.pem",
        "-verify_other",
        tmp_path / "issuing.pem",
    ]
    good = openssl(*command)
    assert "Response verify OK" in good.stderr
    assert f"{tmp_path / 'resident.pem'}: good" in good.stdout
    assert "WARNING" not in good.stdout + good.stderr  # e.g. "no nonce in response"

    certificate_revoke(certificate=record, by=substantial_resident, reason=RevocationReason.KEY_COMPROMISE)
    revoked = openssl(*command)
    assert "Response verify OK" in revoked.stderr
    assert f"{tmp_path / 'resident.pem'}: revoked" in revoked.stdout
    assert "Reason: keyCompromise" in revoked.stdout


def test_service_certificates_are_renewed_a_month_before_they_expire(
    client: Client, resident_certificate: tuple
) -> None:
    """The gap: the responders lived a year and nothing renewed them; after that every OCSP answer was
    `internalError` (and a lapsed time-stamping authority left signatures at B-B)."""
    from datetime import timedelta

    from django.utils import timezone

    from eid.pki.actions import tsa_certificate
    from eid.pki.models import IssuedCertificate
    from eid.pki.selectors import ocsp_signer_for
    from eid.pki.tasks import service_certificates_renew_task

    _, certificate, issuer = resident_certificate
    issuing = resident_certificate[0].issuer
    old_responder, old_tsa = ocsp_signer_for(issuing), tsa_certificate()
    assert service_certificates_renew_task() == []  # nothing due yet
    soon = timezone.now() + timedelta(days=10)
    IssuedCertificate.objects.filter(pk__in=[old_responder.pk, old_tsa.pk]).update(not_after=soon)

    renewed = service_certificates_renew_task()

    assert set(renewed) == {"OCSP responder for the issuing CA", "time-stamping authority"}
    new_responder, new_tsa = ocsp_signer_for(issuing), tsa_certificate()
    assert new_responder.pk != old_responder.pk and new_tsa.pk != old_tsa.pk
    assert new_responder.not_after > timezone.now() + timedelta(days=300)
    # OCSP answers are signed by the new responder from now on.
    response = _post(client, _request(certificate, issuer, SHA1, None))
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    (signer,) = response.certificates
    assert signer.serial_number == parse_certificate(new_responder.certificate_pem).serial_number
    assert service_certificates_renew_task() == []  # and the next day, nothing more
