"""The RFC 6960 OCSP responder: DER request in, DER response out, never an exception.

It answers in the hash algorithm of the request's CertID (OpenSSL sends SHA-1), echoes the nonce,
and signs with the issuing CA's delegated OCSP responder certificate.
"""

import logging
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.utils import timezone

from eid.pki.constants import OCSP_VALIDITY, RevocationReason, Status
from eid.pki.keystore import ca_keystore
from eid.pki.models import CertificateAuthority, IssuedCertificate
from eid.pki.selectors import ocsp_signer_for, parse_certificate

logger = logging.getLogger(__name__)

# CertID hash algorithms we answer in; anything else is a malformed request for us.
_ALGORITHMS = (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def malformed_response() -> bytes:
    return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)


def _issuer_hashes(certificate: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """A CertID's issuerNameHash and issuerKeyHash for `certificate` as the issuer (RFC 6960 §4.1.1)."""
    name_digest = hashes.Hash(algorithm)
    name_digest.update(certificate.subject.public_bytes())
    # cryptography computes the key hash (over the public key's BIT STRING) when it builds a request;
    # reuse that code rather than re-implementing the rule per key type.
    request = ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, algorithm).build()
    return name_digest.finalize(), request.issuer_key_hash


def _find_issuer(request: ocsp.OCSPRequest) -> CertificateAuthority | None:
    for ca in CertificateAuthority.objects.all():
        certificate = parse_certificate(ca.certificate_pem)
        name_hash, key_hash = _issuer_hashes(certificate, request.hash_algorithm)
        if name_hash == request.issuer_name_hash and key_hash == request.issuer_key_hash:
            return ca
    return None


def _answer(request: ocsp.OCSPRequest, now: datetime) -> bytes:
    ca = _find_issuer(request)
    if ca is None:
        # Not one of our CAs: RFC 6960 §2.3 "unauthorized".
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    signer = ocsp_signer_for(ca)
    if signer is None:
        logger.error("No OCSP responder certificate for CA %s; run manage.py pki_init.", ca.name)
        return _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)
    entry = IssuedCertificate.objects.filter(issuer=ca, serial=format(request.serial_number, "x")).first()
    revocation_time = revocation_reason = None
    if entry is None:
        status = ocsp.OCSPCertStatus.UNKNOWN
    elif entry.status == Status.REVOKED:
        status = ocsp.OCSPCertStatus.REVOKED
        revocation_time = entry.revoked_at
        revocation_reason = (
            RevocationReason(entry.revocation_reason).flag if entry.revocation_reason else None
        )
    else:
        status = ocsp.OCSPCertStatus.GOOD
    signer_certificate = parse_certificate(signer.certificate_pem)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=now,
            next_update=now + OCSP_VALIDITY,
            revocation_time=revocation_time,
            revocation_reason=revocation_reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signer_certificate)
        .certificates([signer_certificate])
    )
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    response = builder.sign(ca_keystore().load_private_key(signer.key_name), hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def ocsp_respond(der: bytes) -> bytes:
    """The DER OCSPResponse for a DER OCSPRequest; malformedRequest for anything unreadable."""
    try:
        request = ocsp.load_der_ocsp_request(der)
        algorithm = request.hash_algorithm
        # Reading the extensions parses them: a broken one is the client's error, not ours.
        _ = list(request.extensions)
    except (ValueError, TypeError, UnsupportedAlgorithm, NotImplementedError):
        return malformed_response()
    if not isinstance(algorithm, _ALGORITHMS):
        return malformed_response()
    try:
        return _answer(request, timezone.now())
    except Exception:
        # A responder answers in OCSP, even about its own failure; the details go to the log.
        logger.exception("OCSP responder failed")
        return _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)
