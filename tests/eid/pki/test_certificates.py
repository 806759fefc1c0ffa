"""Residents' certificates: remote-key issue, bring-your-own-key CSRs (and bad ones), revocation."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings

from eid.audit.models import AuditEvent
from eid.constants import AssuranceLevel
from eid.errors import ApplicationError, PermissionDeniedError
from eid.models import User
from eid.pki.actions import (
    certificate_issue_for_resident,
    certificate_issue_from_csr,
    certificate_revoke,
    certificates_revoke_for_user,
)
from eid.pki.constants import POLICY_RESIDENT_SIGNING, Profile, RevocationReason, Status
from eid.pki.models import IssuedCertificate
from eid.pki.selectors import parse_certificate
from tests.factories import DepartmentFactory, OfficerMembershipFactory, UserFactory


def _csr(key: object, common_name: str | None = "CHAN Tai Man", **attributes: str) -> bytes:
    names = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    names += [x509.NameAttribute(getattr(NameOID, oid), value) for oid, value in attributes.items()]
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names)).sign(key, algorithm)
    return csr.public_bytes(serialization.Encoding.PEM)


def _level(user: User) -> AssuranceLevel:
    user.refresh_from_db()
    return AssuranceLevel(user.assurance_level)


def test_issue_for_a_substantial_resident_raises_them_to_high(pki: dict, substantial_resident: User) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    certificate = parse_certificate(record.certificate_pem)
    certificate.verify_directly_issued_by(parse_certificate(pki["issuing"].certificate_pem))

    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CHAN Tai Man"
    serial = subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
    assert serial.startswith("EIDHK-")
    # Never the HKID, in any form.
    assert "A123" not in subject.rfc4514_string() and "A123" not in record.certificate_pem
    assert str(substantial_resident.public_id) not in subject.rfc4514_string()

    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier for p in policies] == [POLICY_RESIDENT_SIGNING]
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == f"{settings.SITE_URL}/pki/crl/issuing.crl"

    assert record.key_name and record.status == Status.GOOD
    assert _level(substantial_resident) == AssuranceLevel.HIGH
    changed = AuditEvent.objects.get(event_type="assurance.changed", subject_id=substantial_resident.pk)
    assert changed.data["to"] == AssuranceLevel.HIGH.acr
    assert AuditEvent.objects.filter(event_type="pki.certificate_issued", subject_id=substantial_resident.pk)


def test_a_new_remote_certificate_supersedes_the_old_one_and_keeps_the_serial(
    pki: dict, substantial_resident: User
) -> None:
    first = certificate_issue_for_resident(user=substantial_resident)
    second = certificate_issue_for_resident(user=substantial_resident)
    first.refresh_from_db()
    assert first.status == Status.REVOKED and first.revocation_reason == RevocationReason.SUPERSEDED
    assert second.status == Status.GOOD
    serials = {
        parse_certificate(r.certificate_pem).subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
        for r in (first, second)
    }
    assert len(serials) == 1
    assert _level(substantial_resident) == AssuranceLevel.HIGH


def test_pairwise_serials_differ_between_residents(pki: dict) -> None:
    serials = set()
    for _ in range(2):
        user = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
        record = certificate_issue_for_resident(user=user)
        serials.add(record.subject.split(",")[0])
    assert len(serials) == 2


def test_a_low_resident_gets_no_certificate(pki: dict) -> None:
    user = UserFactory(assurance_level=AssuranceLevel.LOW)
    with pytest.raises(PermissionDeniedError):
        certificate_issue_for_resident(user=user)
    assert not IssuedCertificate.objects.filter(user=user).exists()
    assert _level(user) == AssuranceLevel.LOW


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda: ec.generate_private_key(ec.SECP256R1()), id="P-256"),
        pytest.param(lambda: ec.generate_private_key(ec.SECP384R1()), id="P-384"),
        pytest.param(lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), id="RSA-2048"),
    ],
)
def test_bring_your_own_key(pki: dict, substantial_resident: User, key: object) -> None:
    private_key = key()
    record = certificate_issue_from_csr(user=substantial_resident, csr_data=_csr(private_key))
    certificate = parse_certificate(record.certificate_pem)
    assert certificate.public_key() == private_key.public_key()
    assert record.key_name == ""  # the resident's app holds the key, not the portal
    assert record.profile == Profile.RESIDENT_SIGNING
    assert _level(substantial_resident) == AssuranceLevel.HIGH


def test_a_csr_with_an_empty_subject_gets_the_portal_subject(pki: dict, substantial_resident: User) -> None:
    record = certificate_issue_from_csr(
        user=substantial_resident, csr_data=_csr(ec.generate_private_key(ec.SECP256R1()), common_name=None)
    )
    assert "CN=CHAN Tai Man" in record.subject


def _tampered_csr() -> bytes:
    der = bytearray(
        x509.load_pem_x509_csr(_csr(ec.generate_private_key(ec.SECP256R1()))).public_bytes(
            serialization.Encoding.DER
        )
    )
    der[-3] ^= 0x01  # inside the signature: still parses, no longer proves possession
    return bytes(der)


@pytest.mark.parametrize(
    ("make_csr", "code"),
    [
        pytest.param(
            lambda: b"-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n", "csr_malformed", id="garbage PEM"
        ),
        pytest.param(lambda: b"\x30\x03\x02\x01\x00", "csr_malformed", id="garbage DER"),
        pytest.param(lambda: b"", "csr_malformed", id="empty"),
        pytest.param(lambda: b"0" * 20000, "csr_too_large", id="oversized"),
        pytest.param(
            lambda: _csr(rsa.generate_private_key(public_exponent=65537, key_size=1024)),  # noqa: S505 - the weak key under test
            "csr_weak_key",
            id="RSA-1024",
        ),
        pytest.param(
            lambda: _csr(ec.generate_private_key(ec.SECP256K1())), "csr_unsupported_key", id="secp256k1"
        ),
        pytest.param(
            lambda: _csr(ec.generate_private_key(ec.SECP521R1())), "csr_unsupported_key", id="P-521"
        ),
        pytest.param(lambda: _csr(ed25519.Ed25519PrivateKey.generate()), "csr_unsupported_key", id="Ed25519"),
        pytest.param(_tampered_csr, "csr_bad_signature", id="no proof of possession"),
        pytest.param(
            lambda: _csr(ec.generate_private_key(ec.SECP256R1()), common_name="WONG Siu Ming"),
            "csr_other_subject",
            id="someone else's name",
        ),
        pytest.param(
            lambda: _csr(ec.generate_private_key(ec.SECP256R1()), SERIAL_NUMBER="EIDHK-SOMEONEELSE"),
            "csr_other_subject",
            id="someone else's serial",
        ),
    ],
)
def test_bad_csrs_are_refused_and_nothing_is_issued(
    pki: dict, substantial_resident: User, make_csr: object, code: str
) -> None:
    before = IssuedCertificate.objects.count()
    with pytest.raises(ApplicationError) as raised:
        certificate_issue_from_csr(user=substantial_resident, csr_data=make_csr())
    assert raised.value.code == code
    assert IssuedCertificate.objects.count() == before
    assert _level(substantial_resident) == AssuranceLevel.SUBSTANTIAL
    assert not AuditEvent.objects.filter(
        event_type="pki.certificate_issued", subject_id=substantial_resident.pk
    )


def test_the_resident_revokes_a_lost_device_and_drops_to_substantial(
    pki: dict, substantial_resident: User
) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    certificate_revoke(certificate=record, by=substantial_resident, reason=RevocationReason.KEY_COMPROMISE)
    record.refresh_from_db()
    assert record.status == Status.REVOKED and record.revoked_at is not None
    assert record.revocation_reason == RevocationReason.KEY_COMPROMISE
    assert _level(substantial_resident) == AssuranceLevel.SUBSTANTIAL
    event = AuditEvent.objects.get(event_type="pki.certificate_revoked", subject_id=substantial_resident.pk)
    assert event.actor_id == substantial_resident.pk and event.data["serial"] == record.serial
    with pytest.raises(ApplicationError):
        certificate_revoke(
            certificate=record, by=substantial_resident, reason=RevocationReason.KEY_COMPROMISE
        )


def test_a_resident_cannot_revoke_someone_elses_certificate(pki: dict, substantial_resident: User) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    stranger = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    with pytest.raises(PermissionDeniedError):
        certificate_revoke(certificate=record, by=stranger, reason=RevocationReason.KEY_COMPROMISE)
    # nor give an officer's reason for their own
    with pytest.raises(PermissionDeniedError):
        certificate_revoke(
            certificate=record, by=substantial_resident, reason=RevocationReason.PRIVILEGE_WITHDRAWN
        )
    record.refresh_from_db()
    assert record.status == Status.GOOD


def test_a_registration_officer_revokes(pki: dict, substantial_resident: User) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    membership = OfficerMembershipFactory(department=DepartmentFactory(code="immd", verifies_identity=True))
    certificate_revoke(certificate=record, by=membership.user, reason=RevocationReason.AFFILIATION_CHANGED)
    record.refresh_from_db()
    assert record.status == Status.REVOKED and record.revoked_by_id == membership.user.pk


def test_an_assurance_drop_revokes_every_certificate(pki: dict, substantial_resident: User) -> None:
    certificate_issue_for_resident(user=substantial_resident)
    certificate_issue_from_csr(
        user=substantial_resident, csr_data=_csr(ec.generate_private_key(ec.SECP256R1()))
    )
    assert certificates_revoke_for_user(user=substantial_resident, by=None) == 2
    assert not IssuedCertificate.objects.filter(user=substantial_resident, status=Status.GOOD).exists()
    assert set(
        IssuedCertificate.objects.filter(user=substantial_resident).values_list(
            "revocation_reason", flat=True
        )
    ) == {RevocationReason.PRIVILEGE_WITHDRAWN}


def test_issuing_without_pki_init_is_a_clear_error(substantial_resident: User) -> None:
    with pytest.raises(ApplicationError) as raised:
        certificate_issue_for_resident(user=substantial_resident)
    assert raised.value.code == "pki_missing"
