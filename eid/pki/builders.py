"""Pure builders over `cryptography`: certificates per profile, CRLs, detached CMS, short codes.

No database access here, so each builder is unit-testable and reusable by an HSM-backed signer.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

# asn1crypto.tsp registers signing_certificate_v2 among CMSAttributeType's names: imported before any
# CMS is built, or the type's reverse map is frozen without it and a later PAdES seal fails.
from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as _asn1_tsp  # noqa: F401
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from eid.pki.constants import (
    CLOCK_SKEW,
    COUNTRY,
    EKU_DOCUMENT_SIGNING,
    POLICY_DEPARTMENT_SEAL,
    POLICY_RESIDENT_SIGNING,
    ROOT_VALIDITY,
    Profile,
)

SIGNATURE_HASH = hashes.SHA256()


def new_private_key() -> ec.EllipticCurvePrivateKey:
    """ECDSA P-256 for every portal key (docs/decisions.md says why)."""
    return ec.generate_private_key(ec.SECP256R1())


def ca_certificate_url(ca_name: str) -> str:
    # DER (.cer): RFC 5280 §4.2.2.1 wants caIssuers to point at a DER certificate, not PEM.
    return f"{settings.SITE_URL}/pki/ca/{ca_name}.cer"


def crl_url(ca_name: str) -> str:
    return f"{settings.SITE_URL}/pki/crl/{ca_name}.crl"


def ocsp_url() -> str:
    return f"{settings.SITE_URL}/pki/ocsp"


def name(common_name: str, *, organization: str | None = None, serial_number: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if serial_number:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    return x509.Name(attributes)


@dataclass(frozen=True)
class Issuer:
    """Who signs: the CA's certificate, its key and its URL name (for CRL/AIA links)."""

    certificate: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes
    ca_name: str


def _signing_extensions(
    builder: x509.CertificateBuilder, policy: x509.ObjectIdentifier
) -> x509.CertificateBuilder:
    return (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # emailProtection alongside documentSigning: OpenSSL's `cms -verify` (purpose smimesign)
        # rejects a signer whose EKU lacks it, and so do many S/MIME-based verifiers.
        .add_extension(
            x509.ExtendedKeyUsage([EKU_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(policy, None)]), critical=False)
    )


def _key_usage(*, cert_sign: bool, digital_signature: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def build_root_certificate(
    *, key: ec.EllipticCurvePrivateKey, subject: x509.Name, now: datetime
) -> x509.Certificate:
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + ROOT_VALIDITY)
        # Path length 1: exactly one layer of issuing CAs below the root.
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(cert_sign=True, digital_signature=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
        .sign(key, SIGNATURE_HASH)
    )


def build_certificate(
    *,
    issuer: Issuer,
    subject: x509.Name,
    public_key: CertificatePublicKeyTypes,
    profile: Profile,
    now: datetime,
    validity: timedelta,
) -> x509.Certificate:
    """A certificate of `profile` under `issuer`, never outliving the issuer's own certificate."""
    not_after = min(now + validity, issuer.certificate.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
    )
    if profile == Profile.OCSP_SIGNING:
        # No CRL/AIA: id-pkix-ocsp-nocheck tells clients not to check the responder's own status.
        return (
            builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False, digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
            .add_extension(x509.OCSPNoCheck(), critical=False)
            .sign(issuer.key, SIGNATURE_HASH)
        )
    builder = builder.add_extension(
        x509.CRLDistributionPoints(
            [
                x509.DistributionPoint(
                    full_name=[x509.UniformResourceIdentifier(crl_url(issuer.ca_name))],
                    relative_name=None,
                    reasons=None,
                    crl_issuer=None,
                )
            ]
        ),
        critical=False,
    ).add_extension(
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url())
                ),
                x509.AccessDescription(
                    x509.AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(ca_certificate_url(issuer.ca_name)),
                ),
            ]
        ),
        critical=False,
    )
    if profile == Profile.SUB_CA:
        builder = (
            builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True, digital_signature=False), critical=True)
            .add_extension(
                x509.CertificatePolicies(
                    [
                        x509.PolicyInformation(POLICY_RESIDENT_SIGNING, None),
                        x509.PolicyInformation(POLICY_DEPARTMENT_SEAL, None),
                    ]
                ),
                critical=False,
            )
        )
    elif profile == Profile.RESIDENT_SIGNING:
        builder = _signing_extensions(builder, POLICY_RESIDENT_SIGNING)
    elif profile == Profile.DEPARTMENT_SEAL:
        builder = _signing_extensions(builder, POLICY_DEPARTMENT_SEAL)
    elif profile == Profile.TIMESTAMPING:
        # RFC 3161 2.3: the only extended key usage, and critical.
        builder = (
            builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False, digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        )
    else:  # pragma: no cover - a new profile must choose its extensions here
        raise ValueError(f"unknown profile {profile}")
    return builder.sign(issuer.key, SIGNATURE_HASH)


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None


def build_crl(
    *, issuer: Issuer, number: int, revoked: list[RevokedEntry], this_update: datetime, next_update: datetime
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
    )
    for entry in revoked:
        revoked_builder = (
            x509.RevokedCertificateBuilder().serial_number(entry.serial).revocation_date(entry.revoked_at)
        )
        # RFC 5280 §5.3.1: the reason code "unspecified" SHOULD be left out.
        if entry.reason is not None and entry.reason != x509.ReasonFlags.unspecified:
            revoked_builder = revoked_builder.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(revoked_builder.build())
    return builder.sign(issuer.key, SIGNATURE_HASH)


def cms_sign_detached(
    *,
    data: bytes,
    certificate: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    chain: list[x509.Certificate],
) -> bytes:
    """A detached CMS SignedData (DER) over `data` exactly as given (binary, no MIME rewriting)."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(certificate, key, SIGNATURE_HASH)
    for extra in chain:
        builder = builder.add_certificate(extra)
    return builder.sign(
        serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    )


def signature_code_of_signer(signer_info: asn1_cms.SignerInfo) -> str:
    """Four digits from a hash of the signed attributes, shown to the signer and to verifiers.

    The signed attributes carry the content's digest and the signing time, so the code binds one
    signature event; it is the same wherever it is recomputed, so a resident can match it.
    """
    # Hash them as signed: a DER SET OF (RFC 5652 §5.4), not with their [0] IMPLICIT tag.
    encoded = signer_info["signed_attrs"].untag().dump(force=True)
    value = int.from_bytes(hashlib.sha256(encoded).digest()[:8], "big")
    return f"{value % 10000:04d}"


def signature_code(signature_der: bytes) -> str:
    """The short code of a detached CMS signature (DER)."""
    content_info = asn1_cms.ContentInfo.load(signature_der)
    return signature_code_of_signer(content_info["content"]["signer_infos"][0])


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
