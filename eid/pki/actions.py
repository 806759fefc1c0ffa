"""Writes of the PKI: set-up, issuance, revocation, CRL signing, and signing with held keys.

Each action owns its transaction and writes its audit event. Private keys never leave the key store
except in memory for one signature.
"""

import hmac
import time
import unicodedata
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from eid.actions import user_set_assurance_level
from eid.audit.chain import audit_log
from eid.constants import AssuranceLevel
from eid.errors import ApplicationError, PermissionDeniedError
from eid.models import Department, OfficerMembership, User
from eid.pki import builders
from eid.pki.constants import (
    CRL_REFRESH_BEFORE,
    CRL_VALIDITY,
    ISSUING_CA,
    ISSUING_VALIDITY,
    MAX_CSR_BYTES,
    OCSP_SIGNER_VALIDITY,
    ORGANIZATION,
    RESIDENT_REVOCATION_REASONS,
    RESIDENT_VALIDITY,
    ROOT_CA,
    SEAL_VALIDITY,
    SERVICE_RENEW_BEFORE,
    SIGNING_STEP_UP_MAX_AGE,
    TSA_VALIDITY,
    Profile,
    RevocationReason,
    Status,
)
from eid.pki.keystore import ca_keystore, pairwise_key, resident_keystore
from eid.pki.models import CertificateAuthority, IssuedCertificate
from eid.pki.selectors import (
    ca_get,
    ca_issuer,
    certificate_current_for_user,
    certificates_of_user,
    ocsp_signer_for,
    parse_certificate,
    seal_certificate_for,
)

if TYPE_CHECKING:
    from eid.pki.pades import LtvMaterial

# X.520 upper bound of commonName and organizationName (RFC 5280 appendix A).
_NAME_MAX = 64


def _record(
    *,
    issuer: CertificateAuthority,
    certificate: x509.Certificate,
    profile: Profile,
    key_name: str = "",
    user: User | None = None,
    department: Department | None = None,
) -> IssuedCertificate:
    return IssuedCertificate.objects.create(
        issuer=issuer,
        serial=format(certificate.serial_number, "x"),
        profile=profile,
        user=user,
        department=department,
        subject=certificate.subject.rfc4514_string(),
        certificate_pem=builders.pem(certificate),
        fingerprint_sha256=builders.fingerprint(certificate),
        key_name=key_name,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def _ca_required(name: str) -> CertificateAuthority:
    ca = ca_get(name)
    if ca is None:
        raise ApplicationError(
            _("The certificate authority is not set up yet; run manage.py pki_init."), code="pki_missing"
        )
    return ca


# Set-up ------------------------------------------------------------------------------------------


def _issue_portal_held(
    *,
    ca: CertificateAuthority,
    key: object,
    subject: x509.Name,
    profile: Profile,
    validity: object,
    key_prefix: str,
    department: Department | None = None,
) -> IssuedCertificate:
    """Issue a certificate whose private key the portal keeps in the CA key store (OCSP, seal, TSA)."""
    certificate = builders.build_certificate(
        issuer=ca_issuer(ca),
        subject=subject,
        public_key=key.public_key(),
        profile=profile,
        now=timezone.now(),
        validity=validity,
    )
    key_name = f"{key_prefix}/{certificate.serial_number:x}"
    ca_keystore().store_private_key(key_name, key)
    return _record(
        issuer=ca, certificate=certificate, profile=profile, key_name=key_name, department=department
    )


def _ocsp_signer_issue(ca: CertificateAuthority) -> IssuedCertificate:
    common_name = ca_issuer(ca).certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    return _issue_portal_held(
        ca=ca,
        key=builders.new_private_key(),
        subject=builders.name(f"{common_name} OCSP Responder"[:_NAME_MAX], organization=ORGANIZATION),
        profile=Profile.OCSP_SIGNING,
        validity=OCSP_SIGNER_VALIDITY,
        key_prefix=f"ocsp/{ca.name}",
    )


def department_seal_issue(*, department: Department) -> IssuedCertificate:
    """A seal certificate for a department, its key held by the portal (an organisation's key)."""
    record = _issue_portal_held(
        ca=_ca_required(ISSUING_CA),
        key=builders.new_private_key(),
        subject=builders.name(
            f"{department.name_en} Seal"[:_NAME_MAX], organization=department.name_en[:_NAME_MAX]
        ),
        profile=Profile.DEPARTMENT_SEAL,
        validity=SEAL_VALIDITY,
        key_prefix=f"seal/{department.code}",
        department=department,
    )
    audit_log(
        event_type="pki.certificate_issued",
        data={"profile": Profile.DEPARTMENT_SEAL, "serial": record.serial, "department": department.code},
    )
    return record


def tsa_certificate() -> IssuedCertificate | None:
    """The portal's own time-stamping authority (RFC 3161), which dates PAdES B-LT signatures: the
    newest, so a renewed one takes over at once."""
    return (
        IssuedCertificate.objects.filter(
            profile=Profile.TIMESTAMPING, status=Status.GOOD, not_after__gt=timezone.now()
        )
        .select_related("issuer")
        .order_by("-not_after", "-pk")
        .first()
    )


def _renewal_due(certificate: IssuedCertificate | None, now: datetime) -> bool:
    """Missing, or expiring within SERVICE_RENEW_BEFORE: an OCSP responder past its end would
    answer nothing, a lapsed time-stamping authority would leave signatures at B-B."""
    return certificate is None or certificate.not_after - now < SERVICE_RENEW_BEFORE


def _tsa_issue(ca: CertificateAuthority) -> IssuedCertificate:
    # RSA: pyHanko's in-process time-stamper signs tokens with RSA keys only.
    return _issue_portal_held(
        ca=ca,
        key=rsa.generate_private_key(public_exponent=65537, key_size=3072),
        subject=builders.name("eID Portal Time-Stamping Authority", organization=ORGANIZATION),
        profile=Profile.TIMESTAMPING,
        validity=TSA_VALIDITY,
        key_prefix=f"tsa/{ca.name}",
    )


@transaction.atomic
def pki_initialise() -> list[str]:
    """Create whatever is missing: root CA, issuing CA, OCSP responders, the time-stamping authority,
    department seals; and renew those service certificates that expire within SERVICE_RENEW_BEFORE
    (the daily pki.renew_service_certificates task runs this).

    Idempotent: a second run creates nothing. URLs inside certificates come from SITE_URL at the
    time of issue, so set SITE_URL before the first run in production.
    """
    created: list[str] = []
    now = timezone.now()
    store = ca_keystore()
    root = ca_get(ROOT_CA)
    if root is None:
        key = builders.new_private_key()
        certificate = builders.build_root_certificate(
            key=key, subject=builders.name("eID Portal Root CA", organization=ORGANIZATION), now=now
        )
        key_name = f"ca/{ROOT_CA}/{certificate.serial_number:x}"
        store.store_private_key(key_name, key)
        root = CertificateAuthority.objects.create(
            name=ROOT_CA, certificate_pem=builders.pem(certificate), key_name=key_name
        )
        created.append("root CA")
    issuing = ca_get(ISSUING_CA)
    if issuing is None:
        key = builders.new_private_key()
        certificate = builders.build_certificate(
            issuer=ca_issuer(root),
            subject=builders.name("eID Portal Issuing CA", organization=ORGANIZATION),
            public_key=key.public_key(),
            profile=Profile.SUB_CA,
            now=now,
            validity=ISSUING_VALIDITY,
        )
        key_name = f"ca/{ISSUING_CA}/{certificate.serial_number:x}"
        store.store_private_key(key_name, key)
        issuing = CertificateAuthority.objects.create(
            name=ISSUING_CA, certificate_pem=builders.pem(certificate), key_name=key_name, parent=root
        )
        # The issuing CA's own certificate is in the root's register, so its CRL and OCSP cover it.
        _record(issuer=root, certificate=certificate, profile=Profile.SUB_CA, key_name=key_name)
        created.append("issuing CA")
    for ca in (root, issuing):
        if _renewal_due(ocsp_signer_for(ca), now):
            _ocsp_signer_issue(ca)
            created.append(f"OCSP responder for the {ca.name} CA")
    if _renewal_due(tsa_certificate(), now):
        _tsa_issue(issuing)
        created.append("time-stamping authority")
    for department in Department.objects.all():
        if _renewal_due(seal_certificate_for(department), now):
            department_seal_issue(department=department)
            created.append(f"seal of {department.code}")
    if created:
        audit_log(event_type="pki.initialised", data={"created": created})
    return created


# Residents' certificates -------------------------------------------------------------------------


def _normalise(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def pairwise_serial(user: User) -> str:
    """The subject serialNumber: stable for the resident, unlinkable to the HKID or the OIDC `sub`."""
    previous = certificates_of_user(user).order_by("created_at", "pk").first()
    if previous is not None:
        # Keep the identifier of the first certificate, so a key rotation never changes it.
        for attribute in parse_certificate(previous.certificate_pem).subject.get_attributes_for_oid(
            NameOID.SERIAL_NUMBER
        ):
            return str(attribute.value)
    digest = hmac.new(pairwise_key(), f"resident:{user.public_id}".encode(), "sha256").digest()
    return "EIDHK-" + b32encode(digest[:10]).decode("ascii")


def _resident_subject(user: User) -> x509.Name:
    if not user.legal_name_en.strip():
        raise ApplicationError(
            _("Your legal name is missing; ask for identity verification first."), code="no_legal_name"
        )
    return builders.name(user.legal_name_en.strip()[:_NAME_MAX], serial_number=pairwise_serial(user))


def _lock_resident(user: User) -> User:
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.assurance_level < AssuranceLevel.SUBSTANTIAL:
        raise PermissionDeniedError(
            _("A signing certificate needs a verified identity (Substantial level)."),
            code="assurance_too_low",
        )
    return locked


def _after_issue(
    *, user: User, record: IssuedCertificate, method: str, by: User | None, request: HttpRequest | None
) -> None:
    audit_log(
        event_type="pki.certificate_issued",
        actor=by or user,
        subject=user,
        request=request,
        data={"profile": record.profile, "serial": record.serial, "method": method},
    )
    if user.assurance_level < AssuranceLevel.HIGH:
        user_set_assurance_level(
            user=user,
            level=AssuranceLevel.HIGH,
            by=by or user,
            reason="signing certificate issued",
            request=request,
        )


@transaction.atomic
def certificate_issue_for_resident(
    *, user: User, by: User | None = None, request: HttpRequest | None = None
) -> IssuedCertificate:
    """Remote signing: a key pair generated and held (encrypted) by the portal, and its certificate.

    A previous remote-signing certificate is revoked as superseded: one key per resident.
    """
    user = _lock_resident(user)
    ca = _ca_required(ISSUING_CA)
    key = builders.new_private_key()
    certificate = builders.build_certificate(
        issuer=ca_issuer(ca),
        subject=_resident_subject(user),
        public_key=key.public_key(),
        profile=Profile.RESIDENT_SIGNING,
        now=timezone.now(),
        validity=RESIDENT_VALIDITY,
    )
    key_name = f"resident/{user.public_id}/{certificate.serial_number:x}"
    resident_keystore().store_private_key(key_name, key)
    for previous in certificates_of_user(user).filter(status=Status.GOOD).exclude(key_name=""):
        _revoke(certificate=previous, by=by or user, reason=RevocationReason.SUPERSEDED, request=request)
    record = _record(
        issuer=ca, certificate=certificate, profile=Profile.RESIDENT_SIGNING, key_name=key_name, user=user
    )
    _after_issue(user=user, record=record, method="remote", by=by, request=request)
    return record


def _load_csr(data: bytes) -> x509.CertificateSigningRequest:
    if len(data) > MAX_CSR_BYTES:
        raise ApplicationError(_("The certificate request is too large."), code="csr_too_large")
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise ApplicationError(
            _("The certificate request could not be read."), code="csr_malformed"
        ) from error


def _check_csr_key(csr: x509.CertificateSigningRequest) -> x509.CertificateSigningRequest:
    try:
        public_key = csr.public_key()
        signature_ok = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm) as error:
        raise ApplicationError(
            _("The certificate request uses an unsupported key."), code="csr_unsupported_key"
        ) from error
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < 2048:
            raise ApplicationError(_("RSA keys must be at least 2048 bits long."), code="csr_weak_key")
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1 | ec.SECP384R1):
            raise ApplicationError(
                _("Only the P-256 and P-384 elliptic curves are accepted."), code="csr_unsupported_key"
            )
    else:
        raise ApplicationError(
            _("The certificate request uses an unsupported key."), code="csr_unsupported_key"
        )
    # Proof of possession: the request is signed by the private key it asks a certificate for.
    if not signature_ok:
        raise ApplicationError(
            _("The certificate request's signature does not match its key."), code="csr_bad_signature"
        )
    return csr


def _check_csr_subject(csr: x509.CertificateSigningRequest, user: User, subject: x509.Name) -> None:
    """The request may leave its subject empty or name the resident; naming anyone else is refused."""
    expected = {
        NameOID.COMMON_NAME: {_normalise(user.legal_name_en), _normalise(user.legal_name_en[:_NAME_MAX])}
        | ({_normalise(user.legal_name_zh)} if user.legal_name_zh else set()),
        NameOID.SERIAL_NUMBER: {
            _normalise(str(a.value)) for a in subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        },
    }
    for attribute in csr.subject:
        if attribute.oid in expected and _normalise(str(attribute.value)) not in expected[attribute.oid]:
            raise PermissionDeniedError(
                _("The certificate request names someone else."), code="csr_other_subject"
            )


@transaction.atomic
def certificate_issue_from_csr(
    *, user: User, csr_data: bytes, request: HttpRequest | None = None
) -> IssuedCertificate:
    """Bring your own key: a certificate for the key in a CSR the resident's app generated and holds.

    The subject is always the portal's (legal name + pairwise serial), whatever the CSR asked for.
    """
    csr = _check_csr_key(_load_csr(csr_data))
    user = _lock_resident(user)
    subject = _resident_subject(user)
    _check_csr_subject(csr, user, subject)
    ca = _ca_required(ISSUING_CA)
    certificate = builders.build_certificate(
        issuer=ca_issuer(ca),
        subject=subject,
        public_key=csr.public_key(),
        profile=Profile.RESIDENT_SIGNING,
        now=timezone.now(),
        validity=RESIDENT_VALIDITY,
    )
    record = _record(issuer=ca, certificate=certificate, profile=Profile.RESIDENT_SIGNING, user=user)
    _after_issue(user=user, record=record, method="csr", by=None, request=request)
    return record


# Revocation --------------------------------------------------------------------------------------


def _is_revocation_officer(user: User) -> bool:
    return (
        user.is_superuser
        or OfficerMembership.objects.filter(user=user, department__verifies_identity=True).exists()
    )


def _revoke(
    *,
    certificate: IssuedCertificate,
    by: User | None,
    reason: RevocationReason,
    request: HttpRequest | None,
) -> IssuedCertificate:
    certificate.status = Status.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revocation_reason = reason
    certificate.revoked_by = by
    certificate.save(update_fields=["status", "revoked_at", "revocation_reason", "revoked_by"])
    # The cached CRL no longer tells the truth: the next request signs a new one.
    CertificateAuthority.objects.filter(pk=certificate.issuer_id).update(crl_der=None)
    audit_log(
        event_type="pki.certificate_revoked",
        actor=by,
        subject=certificate.user,
        request=request,
        data={"profile": certificate.profile, "serial": certificate.serial, "reason": str(reason)},
    )
    return certificate


@transaction.atomic
def certificate_revoke(
    *,
    certificate: IssuedCertificate,
    by: User,
    reason: RevocationReason = RevocationReason.UNSPECIFIED,
    request: HttpRequest | None = None,
) -> IssuedCertificate:
    """Revocation by the holder (e.g. a lost device) or by a registration officer.

    A resident left without a valid signing certificate goes back from HIGH to SUBSTANTIAL.
    """
    certificate = IssuedCertificate.objects.select_for_update().get(pk=certificate.pk)
    is_holder = certificate.user_id is not None and certificate.user_id == by.pk
    if not (is_holder and reason in RESIDENT_REVOCATION_REASONS) and not _is_revocation_officer(by):
        raise PermissionDeniedError(_("You may not revoke this certificate."), code="revoke_forbidden")
    if certificate.status == Status.REVOKED:
        raise ApplicationError(_("This certificate is already revoked."), code="already_revoked")
    _revoke(certificate=certificate, by=by, reason=RevocationReason(reason), request=request)
    holder = certificate.user
    if (
        holder is not None
        and certificate.profile == Profile.RESIDENT_SIGNING
        and holder.assurance_level >= AssuranceLevel.HIGH
        and certificate_current_for_user(holder) is None
    ):
        user_set_assurance_level(
            user=holder,
            level=AssuranceLevel.SUBSTANTIAL,
            by=by,
            reason="signing certificate revoked",
            request=request,
        )
    return certificate


@transaction.atomic
def certificates_revoke_for_user(
    *,
    user: User,
    by: User | None,
    reason: RevocationReason = RevocationReason.PRIVILEGE_WITHDRAWN,
    request: HttpRequest | None = None,
) -> int:
    """Revoke every valid signing certificate of a resident: call it when their assurance level
    drops below SUBSTANTIAL or the account is closed. Returns how many were revoked."""
    revoked = 0
    for certificate in certificates_of_user(user).select_for_update().filter(status=Status.GOOD):
        _revoke(certificate=certificate, by=by, reason=reason, request=request)
        revoked += 1
    return revoked


# CRLs --------------------------------------------------------------------------------------------


def _crl_fresh(ca: CertificateAuthority) -> bool:
    return bool(
        ca.crl_der
        and ca.crl_next_update is not None
        and ca.crl_next_update - timezone.now() > CRL_REFRESH_BEFORE
    )


def crl_current(*, ca_name: str) -> bytes | None:
    """The CA's CRL (DER), signed anew only after a revocation or when it nears its nextUpdate."""
    ca = ca_get(ca_name)
    if ca is None:
        return None
    if _crl_fresh(ca):
        return bytes(ca.crl_der)
    with transaction.atomic():
        # Locked so two workers never sign two different CRLs with the same number.
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        if _crl_fresh(ca):
            return bytes(ca.crl_der)
        now = timezone.now()
        revoked = [
            builders.RevokedEntry(
                serial=int(entry.serial, 16),
                revoked_at=entry.revoked_at,
                reason=RevocationReason(entry.revocation_reason).flag if entry.revocation_reason else None,
            )
            for entry in IssuedCertificate.objects.filter(issuer=ca, status=Status.REVOKED).order_by("pk")
        ]
        crl = builders.build_crl(
            issuer=ca_issuer(ca),
            number=ca.crl_number + 1,
            revoked=revoked,
            this_update=now,
            next_update=now + CRL_VALIDITY,
        )
        ca.crl_number += 1
        ca.crl_der = crl.public_bytes(serialization.Encoding.DER)
        ca.crl_next_update = crl.next_update_utc
        ca.save(update_fields=["crl_number", "crl_der", "crl_next_update"])
        return bytes(ca.crl_der)


# Signing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureResult:
    """A detached CMS signature (DER), its short code for display, and the signer's certificate."""

    signature: bytes
    code: str
    certificate_pem: str
    serial: str


def second_factor_is_fresh(request: HttpRequest, user: User) -> bool:
    from allauth.account.authentication import get_authentication_records

    cutoff = time.time() - SIGNING_STEP_UP_MAX_AGE.total_seconds()
    return any(
        record.get("method") == "mfa" and float(record.get("at") or 0) >= cutoff
        for record in get_authentication_records(request, user)
    )


def _chain_for(certificate: IssuedCertificate) -> list[x509.Certificate]:
    return [parse_certificate(certificate.issuer.certificate_pem)]


def _resident_remote_key(
    *, user: User, request: HttpRequest | None
) -> tuple[IssuedCertificate, PrivateKeyTypes]:
    """The resident's current portal-held key, once sole control is shown.

    From the web (`request` given) each signature needs a second factor confirmed in the last few
    minutes: sole control of a remote key. Without a request the caller is a trusted operator
    command (`eid_sign`), and the audit event says so.
    """
    if request is not None and (
        getattr(request, "user", None) is None
        or request.user.pk != user.pk
        or not second_factor_is_fresh(request, user)
    ):
        raise PermissionDeniedError(_("Confirm with your second factor to sign."), code="step_up_required")
    certificate = certificate_current_for_user(user, remote_key=True)
    if certificate is None:
        raise ApplicationError(_("You have no valid signing certificate."), code="no_certificate")
    return certificate, resident_keystore().load_private_key(certificate.key_name)


def _audit_signature(
    *,
    user: User,
    certificate: IssuedCertificate,
    data: bytes,
    code: str,
    kind: str,
    request: HttpRequest | None,
) -> None:
    audit_log(
        event_type="signature.created",
        actor=user,
        subject=user,
        request=request,
        data={
            "kind": kind,
            "serial": certificate.serial,
            **_content_fingerprint(data),
            "code": code,
            "channel": "web" if request is not None else "command line",
        },
    )


def _content_fingerprint(data: bytes) -> dict:
    """The content itself is never stored: its hash and size identify it in the audit trail."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return {"sha256": digest.finalize().hex(), "size": len(data)}


def _audit_seal(
    *,
    department: Department,
    certificate: IssuedCertificate,
    data: bytes,
    code: str,
    by: User | None,
    request: HttpRequest | None,
    kind: str | None = None,
) -> None:
    audit_log(
        event_type="seal.created",
        actor=by,
        request=request,
        data={
            **({"kind": kind} if kind else {}),
            "department": department.code,
            "serial": certificate.serial,
            **_content_fingerprint(data),
            "code": code,
        },
    )


def sign_for_resident(*, user: User, data: bytes, request: HttpRequest | None = None) -> SignatureResult:
    """Sign `data` (detached CMS, DER) with the resident's portal-held key; see _resident_remote_key."""
    certificate, key = _resident_remote_key(user=user, request=request)
    signature = builders.cms_sign_detached(
        data=data,
        certificate=parse_certificate(certificate.certificate_pem),
        key=key,
        chain=_chain_for(certificate),
    )
    code = builders.signature_code(signature)
    _audit_signature(user=user, certificate=certificate, data=data, code=code, kind="cms", request=request)
    return SignatureResult(
        signature=signature, code=code, certificate_pem=certificate.certificate_pem, serial=certificate.serial
    )


def pades_ltv_material() -> "LtvMaterial | None":
    """The portal's TSA and its CAs' current CRLs for a B-LT signature; None before a TSA exists."""
    from eid.pki.pades import LtvMaterial  # pyHanko loads only when a PDF is signed

    tsa = tsa_certificate()
    root, issuing = ca_get(ROOT_CA), ca_get(ISSUING_CA)
    if tsa is None or root is None or issuing is None:
        return None
    return LtvMaterial(
        tsa_certificate=parse_certificate(tsa.certificate_pem),
        tsa_key=ca_keystore().load_private_key(tsa.key_name),
        root=parse_certificate(root.certificate_pem),
        intermediates=[parse_certificate(issuing.certificate_pem)],
        crls=[crl_current(ca_name=ROOT_CA), crl_current(ca_name=ISSUING_CA)],
    )


def pdf_sign_for_resident(*, user: User, pdf: bytes, request: HttpRequest | None = None) -> SignatureResult:
    """Sign a PDF as PAdES B-LT (time-stamped, validation data embedded) with the resident's
    portal-held key; `signature` is the signed PDF."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from eid.pki.pades import pades_sign, pdf_writer

    pdf_writer(pdf)  # refuse a non-PDF before touching the key
    certificate, key = _resident_remote_key(user=user, request=request)
    signed = pades_sign(
        pdf=pdf,
        certificate=parse_certificate(certificate.certificate_pem),
        key=key,
        chain=_chain_for(certificate),
        ltv=pades_ltv_material(),
    )
    embedded = PdfFileReader(BytesIO(signed), strict=False).embedded_signatures[-1]
    code = builders.signature_code_of_signer(embedded.signer_info)
    _audit_signature(user=user, certificate=certificate, data=pdf, code=code, kind="pades", request=request)
    return SignatureResult(
        signature=signed, code=code, certificate_pem=certificate.certificate_pem, serial=certificate.serial
    )


def seal_document(
    *, department: Department, data: bytes, by: User | None = None, request: HttpRequest | None = None
) -> SignatureResult:
    """Seal `data` (detached CMS) with the department's seal certificate, issuing one if needed."""
    with transaction.atomic():
        certificate = seal_certificate_for(department) or department_seal_issue(department=department)
    key = ca_keystore().load_private_key(certificate.key_name)
    signature = builders.cms_sign_detached(
        data=data,
        certificate=parse_certificate(certificate.certificate_pem),
        key=key,
        chain=_chain_for(certificate),
    )
    code = builders.signature_code(signature)
    _audit_seal(department=department, certificate=certificate, data=data, code=code, by=by, request=request)
    return SignatureResult(
        signature=signature, code=code, certificate_pem=certificate.certificate_pem, serial=certificate.serial
    )


def pdf_seal(
    *, department: Department, pdf: bytes, by: User | None = None, request: HttpRequest | None = None
) -> SignatureResult:
    """Seal a PDF as PAdES (B-B) with the department's seal certificate; `signature` is the sealed PDF."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from eid.pki.pades import pades_sign, pdf_writer

    pdf_writer(pdf)  # refuse a non-PDF before touching the key
    with transaction.atomic():
        certificate = seal_certificate_for(department) or department_seal_issue(department=department)
    sealed = pades_sign(
        pdf=pdf,
        certificate=parse_certificate(certificate.certificate_pem),
        key=ca_keystore().load_private_key(certificate.key_name),
        chain=_chain_for(certificate),
        field_name="Seal1",
    )
    embedded = PdfFileReader(BytesIO(sealed), strict=False).embedded_signatures[-1]
    code = builders.signature_code_of_signer(embedded.signer_info)
    _audit_seal(
        department=department,
        certificate=certificate,
        data=pdf,
        code=code,
        by=by,
        request=request,
        kind="pades",
    )
    return SignatureResult(
        signature=sealed, code=code, certificate_pem=certificate.certificate_pem, serial=certificate.serial
    )


__all__ = [
    "SignatureResult",
    "certificate_issue_for_resident",
    "certificate_issue_from_csr",
    "certificate_revoke",
    "certificates_revoke_for_user",
    "crl_current",
    "department_seal_issue",
    "pades_ltv_material",
    "pdf_seal",
    "pdf_sign_for_resident",
    "pki_initialise",
    "seal_document",
    "sign_for_resident",
    "tsa_certificate",
]
