"""Every artefact checked by an independent tool: the `openssl` command line."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from eid.audit.models import AuditEvent
from eid.models import User
from eid.pki.actions import (
    certificate_issue_for_resident,
    certificate_revoke,
    seal_document,
    sign_for_resident,
)
from eid.pki.builders import signature_code
from eid.pki.constants import RevocationReason
from tests.eid.pki.conftest import fetch_crls, openssl

DOCUMENT = b"%PDF-1.7 not really, but any bytes at all: \x00\x01\xff\r\n\r\nend\n"


def _verify(directory: Path, certificate: Path, *, check: bool = True) -> object:
    return openssl(
        "verify",
        "-CAfile",
        directory / "root.pem",
        "-untrusted",
        directory / "issuing.pem",
        "-crl_check_all",
        "-CRLfile",
        directory / "root.crl.pem",
        "-CRLfile",
        directory / "issuing.crl.pem",
        certificate,
        check=check,
    )


def test_openssl_verify_with_crl_check_good_then_revoked(
    pki_files: Path, client: Client, substantial_resident: User
) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    leaf = pki_files / "resident.pem"
    leaf.write_text(record.certificate_pem)
    fetch_crls(client, pki_files)
    assert _verify(pki_files, leaf).stdout.strip().endswith(": OK")
    # -crl_check (the leaf's CRL only) as well as -crl_check_all above
    openssl(
        "verify",
        "-CAfile",
        pki_files / "root.pem",
        "-untrusted",
        pki_files / "issuing.pem",
        "-crl_check",
        "-CRLfile",
        pki_files / "issuing.crl.pem",
        leaf,
    )

    certificate_revoke(certificate=record, by=substantial_resident, reason=RevocationReason.KEY_COMPROMISE)
    fetch_crls(client, pki_files)
    result = _verify(pki_files, leaf, check=False)
    assert result.returncode != 0
    assert "certificate revoked" in result.stdout + result.stderr


def test_openssl_parses_the_crl(pki_files: Path, client: Client, substantial_resident: User) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    certificate_revoke(certificate=record, by=substantial_resident, reason=RevocationReason.KEY_COMPROMISE)
    fetch_crls(client, pki_files)
    parsed = openssl("asn1parse", "-inform", "DER", "-in", pki_files / "issuing.crl").stdout
    assert "ecdsa-with-SHA256" in parsed
    assert "X509v3 CRL Number" in parsed
    assert "X509v3 CRL Reason Code" in parsed
    text = openssl("crl", "-inform", "DER", "-in", pki_files / "issuing.crl", "-noout", "-text").stdout
    assert "Next Update:" in text
    assert (
        f"Serial Number: {record.serial.upper().zfill(len(record.serial) + len(record.serial) % 2)}" in text
    )
    assert "Key Compromise" in text
    # and the CRL's signature checks against the issuing CA
    openssl(
        "crl",
        "-inform",
        "DER",
        "-in",
        pki_files / "issuing.crl",
        "-noout",
        "-CAfile",
        pki_files / "issuing.pem",
    )


def _cms_verify(directory: Path, signature: Path, content: Path, *, check: bool = True) -> object:
    return openssl(
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        signature,
        "-content",
        content,
        "-CAfile",
        directory / "root.pem",
        "-out",
        directory / "verified.out",
        check=check,
    )


def test_eid_cert_and_eid_sign_make_a_detached_cms_signature_openssl_verifies(
    pki_files: Path, substantial_resident: User, capsys: pytest.CaptureFixture
) -> None:
    cert = pki_files / "cert.pem"
    with pytest.raises(CommandError, match="no valid signing certificate"):
        call_command("eid_cert", "--user", substantial_resident.email, "--out", str(cert))
    call_command("eid_cert", "--user", substantial_resident.email, "--out", str(cert), "--issue")
    document = pki_files / "form.bin"
    document.write_bytes(DOCUMENT)
    signature = pki_files / "form.bin.p7s"
    capsys.readouterr()
    call_command(
        "eid_sign", "--user", substantial_resident.email, "--in", str(document), "--out", str(signature)
    )
    code = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert len(code) == 4 and code.isdigit()
    assert signature_code(signature.read_bytes()) == code

    result = _cms_verify(pki_files, signature, document)
    assert "Verification successful" in result.stderr
    assert (pki_files / "verified.out").read_bytes() == DOCUMENT
    # the signer is the resident's certificate
    signers = pki_files / "signers.pem"
    openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", document, "-noverify",
        "-signer", signers, "-out", "/dev/null",
    )  # fmt: skip
    assert cert.read_text().strip() in signers.read_text()

    tampered = pki_files / "tampered.bin"
    tampered.write_bytes(DOCUMENT.replace(b"any", b"all"))
    failed = _cms_verify(pki_files, signature, tampered, check=False)
    assert failed.returncode != 0
    assert "Verification failure" in failed.stderr

    event = AuditEvent.objects.get(event_type="signature.created")
    assert event.subject_id == substantial_resident.pk and event.data["code"] == code
    assert event.data["channel"] == "command line"


def test_a_revoked_certificate_no_longer_signs(pki: dict, substantial_resident: User) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    certificate_revoke(certificate=record, by=substantial_resident, reason=RevocationReason.KEY_COMPROMISE)
    with pytest.raises(CommandError, match="no valid signing certificate"):
        call_command("eid_sign", "--user", substantial_resident.email, "--in", __file__, "--out", "/dev/null")
    assert not AuditEvent.objects.filter(event_type="signature.created").exists()


def test_a_department_seal_openssl_verifies(pki_files: Path, department: object) -> None:
    result = seal_document(department=department, data=DOCUMENT)
    assert len(result.code) == 4
    (pki_files / "receipt.bin").write_bytes(DOCUMENT)
    (pki_files / "receipt.p7s").write_bytes(result.signature)
    assert (
        "Verification successful"
        in _cms_verify(pki_files, pki_files / "receipt.p7s", pki_files / "receipt.bin").stderr
    )
    assert AuditEvent.objects.get(event_type="seal.created").data["department"] == department.code


def test_web_signing_needs_a_fresh_second_factor(pki: dict, substantial_resident: User, rf: object) -> None:
    import time

    from allauth.account.internal.flows.login import record_authentication
    from django.contrib.sessions.backends.db import SessionStore

    from eid.errors import PermissionDeniedError

    certificate_issue_for_resident(user=substantial_resident)
    request = rf.post("/")
    request.session = SessionStore()
    request.user = substantial_resident
    record_authentication(request, substantial_resident, method="password")
    with pytest.raises(PermissionDeniedError):
        sign_for_resident(user=substantial_resident, data=DOCUMENT, request=request)
    record_authentication(request, substantial_resident, method="mfa", type="totp", id=1)
    request.session["account_authentication_methods"][-1]["at"] = time.time() - 3600  # an hour ago
    with pytest.raises(PermissionDeniedError):
        sign_for_resident(user=substantial_resident, data=DOCUMENT, request=request)
    record_authentication(request, substantial_resident, method="mfa", type="totp", id=1)
    result = sign_for_resident(user=substantial_resident, data=DOCUMENT, request=request)
    assert len(result.code) == 4
    assert AuditEvent.objects.get(event_type="signature.created").data["channel"] == "web"
