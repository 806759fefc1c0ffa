"""pki_init: the CA hierarchy, its extensions, and keys encrypted at rest."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.conf import settings
from django.core.management import call_command

from eid.audit.models import AuditEvent
from eid.pki.constants import (
    EKU_DOCUMENT_SIGNING,
    POLICY_DEPARTMENT_SEAL,
    POLICY_RESIDENT_SIGNING,
)
from eid.pki.keystore import KeyStoreError, ca_keystore, resident_keystore
from eid.pki.models import CertificateAuthority, IssuedCertificate, PrivateKeyRecord
from eid.pki.selectors import ocsp_signer_for, parse_certificate, seal_certificate_for
from tests.factories import DepartmentFactory


def _cert(ca: CertificateAuthority) -> x509.Certificate:
    return parse_certificate(ca.certificate_pem)


def _ext(certificate: x509.Certificate, kind: type) -> x509.Extension:
    return certificate.extensions.get_extension_for_class(kind)


def test_pki_init_creates_the_hierarchy_once(db: None, capsys: pytest.CaptureFixture) -> None:
    department = DepartmentFactory(code="imm")
    call_command("pki_init")
    counts = (CertificateAuthority.objects.count(), IssuedCertificate.objects.count())
    assert counts == (2, 5)  # the issuing CA's certificate, two OCSP responders, the TSA, one seal
    assert seal_certificate_for(department) is not None
    assert AuditEvent.objects.filter(event_type="pki.initialised").count() == 1

    call_command("pki_init")
    assert (CertificateAuthority.objects.count(), IssuedCertificate.objects.count()) == counts
    assert "nothing to do" in capsys.readouterr().out


def test_root_and_issuing_ca_extensions(pki: dict) -> None:
    root, issuing = _cert(pki["root"]), _cert(pki["issuing"])
    site = settings.SITE_URL

    constraints = _ext(root, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 1
    usage = _ext(root, x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert root.issuer == root.subject

    constraints = _ext(issuing, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert issuing.issuer == root.subject
    issuing.verify_directly_issued_by(root)
    assert (
        _ext(issuing, x509.AuthorityKeyIdentifier).value.key_identifier
        == _ext(root, x509.SubjectKeyIdentifier).value.digest
    )
    policies = {p.policy_identifier for p in _ext(issuing, x509.CertificatePolicies).value}
    assert policies == {POLICY_RESIDENT_SIGNING, POLICY_DEPARTMENT_SEAL}
    points = _ext(issuing, x509.CRLDistributionPoints).value
    assert [n.value for n in points[0].full_name] == [f"{site}/pki/crl/root.crl"]
    access = {
        (a.access_method, a.access_location.value)
        for a in _ext(issuing, x509.AuthorityInformationAccess).value
    }
    assert access == {
        (x509.AuthorityInformationAccessOID.OCSP, f"{site}/pki/ocsp"),
        (x509.AuthorityInformationAccessOID.CA_ISSUERS, f"{site}/pki/ca/root.cer"),
    }


def test_delegated_ocsp_certificates(pki: dict) -> None:
    for ca in pki.values():
        signer = parse_certificate(ocsp_signer_for(ca).certificate_pem)
        signer.verify_directly_issued_by(_cert(ca))
        assert list(_ext(signer, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.OCSP_SIGNING]
        assert _ext(signer, x509.OCSPNoCheck)
        assert not _ext(signer, x509.BasicConstraints).value.ca


def test_department_seal_profile(pki: dict, department: object) -> None:
    call_command("pki_init")
    seal = parse_certificate(seal_certificate_for(department).certificate_pem)
    assert {p.policy_identifier for p in _ext(seal, x509.CertificatePolicies).value} == {
        POLICY_DEPARTMENT_SEAL
    }
    assert set(_ext(seal, x509.ExtendedKeyUsage).value) == {
        EKU_DOCUMENT_SIGNING,
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
    }
    assert _ext(seal, x509.KeyUsage).value.content_commitment
    assert department.name_en in seal.subject.rfc4514_string()


def test_private_keys_are_encrypted_at_rest(pki: dict) -> None:
    records = list(PrivateKeyRecord.objects.all())
    assert len(records) == 5  # root, issuing, two OCSP responders, the TSA
    for record in records:
        assert record.encrypted_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises((TypeError, ValueError)):
            serialization.load_pem_private_key(record.encrypted_pem.encode(), password=None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(record.encrypted_pem.encode(), password=b"wrong")
    root = pki["root"]
    key = ca_keystore().load_private_key(root.key_name)
    assert key.public_key() == _cert(root).public_key()


def test_resident_keys_use_a_separate_key_encryption_key(pki: dict, substantial_resident: object) -> None:
    from eid.pki.actions import certificate_issue_for_resident

    record = certificate_issue_for_resident(user=substantial_resident)
    pem = PrivateKeyRecord.objects.get(name=record.key_name).encrypted_pem.encode()
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(pem, password=settings.PKI_KEY_PASSPHRASE.encode())
    assert (
        resident_keystore().load_private_key(record.key_name).public_key()
        == parse_certificate(record.certificate_pem).public_key()
    )


def test_the_key_store_never_overwrites_a_key(pki: dict) -> None:
    store = ca_keystore()
    with pytest.raises(KeyStoreError):
        store.store_private_key(pki["root"].key_name, store.load_private_key(pki["issuing"].key_name))
    with pytest.raises(KeyStoreError):
        store.load_private_key("no-such-key")


def test_production_settings_require_a_pki_passphrase() -> None:
    from tests.portal.test_settings import PRODUCTION_ENV, _manage

    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "PKI_KEY_PASSPHRASE"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "PKI_KEY_PASSPHRASE" in result.stderr
