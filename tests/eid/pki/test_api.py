"""The signing and verification REST API: sign with a fresh second factor, verify publicly, 4xx."""

import base64
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from eid.audit.models import AuditEvent
from eid.models import User
from eid.pki.actions import certificate_issue_for_resident
from eid.pki.constants import SIGNING_STEP_UP_MAX_AGE
from eid.pki.selectors import certificate_current_for_user
from tests.eid.pki.conftest import openssl, strong_session
from tests.eid.pki.test_pades import one_page_pdf

SIGN = "/api/v1/signing/sign"
VERIFY = "/api/v1/signing/verify"
TEXT = b"I, CHAN Tai Man, apply for a permit.\n"


@pytest.fixture
def signer(pki: dict, substantial_resident: User) -> User:
    certificate_issue_for_resident(user=substantial_resident)
    return substantial_resident


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_sign_a_file_then_verify_it_publicly(signer: User, client: Client) -> None:
    strong_session(client, signer)
    response = client.post(SIGN, {"document": _file("form.txt", TEXT)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["filename"] == "form.txt.p7s" and body["media_type"] == "application/pkcs7-signature"
    signature = base64.b64decode(body["content"])
    assert AuditEvent.objects.filter(event_type="signature.created", data__code=body["code"]).exists()

    anonymous = Client()
    verdict = anonymous.post(
        VERIFY, {"document": _file("form.txt", TEXT), "signature": _file("s.p7s", signature)}
    )
    assert verdict.status_code == 200, verdict.content
    report = verdict.json()
    assert report["kind"] == "cms" and report["intact"] and report["valid_now"] and report["valid_at_signing"]
    assert report["code"] == body["code"] and report["serial"] == body["serial"]
    assert "CHAN Tai Man" in report["signer"] and report["signing_time"]
    assert report["certificate_status"] == "good"

    changed = anonymous.post(
        VERIFY, {"document": _file("form.txt", TEXT + b"!"), "signature": _file("s.p7s", signature)}
    ).json()
    assert not changed["intact"] and not changed["valid_now"]


def test_sign_a_pdf_and_verify_it(signer: User, client: Client) -> None:
    strong_session(client, signer)
    body = client.post(SIGN, {"document": _file("form.pdf", one_page_pdf()), "format": "pades"}).json()
    assert body["filename"] == "signed-form.pdf" and body["media_type"] == "application/pdf"
    report = (
        Client().post(VERIFY, {"document": _file("signed.pdf", base64.b64decode(body["content"]))}).json()
    )
    assert (
        report["kind"] == "pdf" and report["valid_now"] and report["ltv"] and report["code"] == body["code"]
    )


def test_signing_needs_a_recent_second_factor(signer: User, client: Client) -> None:
    assert client.post(SIGN, {"document": _file("form.txt", TEXT)}).status_code == 403  # anonymous
    client.force_login(signer)  # password only
    response = client.post(SIGN, {"document": _file("form.txt", TEXT)})
    assert response.status_code == 403 and response.json()["code"] == "step_up_required"
    stale = time.time() - SIGNING_STEP_UP_MAX_AGE.total_seconds() - 5
    strong_session(client, signer, mfa_at=stale)
    assert client.post(SIGN, {"document": _file("form.txt", TEXT)}).json()["code"] == "step_up_required"
    assert not AuditEvent.objects.filter(event_type="signature.created").exists()


def test_signing_without_a_certificate_is_400(pki: dict, substantial_resident: User, client: Client) -> None:
    strong_session(client, substantial_resident)
    response = client.post(SIGN, {"document": _file("form.txt", TEXT)})
    assert response.status_code == 400 and response.json()["code"] == "no_certificate"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, "invalid"),
        ({"document": _file("form.txt", TEXT), "format": "xml"}, "invalid"),
        ({"document": _file("fake.pdf", b"MZ\x90\x00 not a pdf"), "format": "pades"}, "not_pdf"),
    ],
)
def test_bad_sign_requests_are_400(signer: User, client: Client, data: dict, code: str) -> None:
    strong_session(client, signer)
    response = client.post(SIGN, data)
    assert response.status_code == 400 and response.json()["code"] == code and response.json()["error"]
    assert not AuditEvent.objects.filter(event_type="signature.created").exists()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, "invalid"),
        ({"document": _file("a.pdf", b"%PDF-1.7 garbage")}, "not_pdf"),
        ({"document": _file("a.txt", b"plain text")}, "not_pdf"),
        ({"document": _file("a.pdf", one_page_pdf())}, "no_signature"),
        (
            {"document": _file("a.txt", TEXT), "signature": _file("s.p7s", b"\x30\x03garbage")},
            "signature_malformed",
        ),
    ],
)
def test_bad_verify_requests_are_400(pki: dict, client: Client, data: dict, code: str) -> None:
    response = client.post(VERIFY, data)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and response.json()["error"]


def test_an_oversized_upload_is_413(pki: dict, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("eid.pki.api.MAX_VERIFY_BYTES", 10)
    response = client.post(VERIFY, {"document": _file("a.pdf", b"%PDF-" + b"x" * 100)})
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_the_endpoints_are_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["paths"]) >= {SIGN, VERIFY}
    assert "multipart/form-data" in schema["paths"][SIGN]["post"]["requestBody"]["content"]
    assert {"403", "413"} <= set(schema["paths"][SIGN]["post"]["responses"])
    assert schema["paths"][SIGN]["post"]["security"] == [{"cookieAuth": []}]
    assert "security" not in schema["paths"][VERIFY]["post"]  # public


def deeply_nested_pdf() -> bytes:
    """A real PDF plus an incremental update whose trailer nests arrays 50,000 deep: pyHanko's
    recursive parser overflows the Python stack on it (RecursionError)."""
    pdf = one_page_pdf()
    previous = int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0])
    depth = 50_000
    trailer = b"trailer\n<< /Size 10 /Root 1 0 R /Prev %d /X %s%s >>\n" % (
        previous,
        b"[" * depth,
        b"]" * depth,
    )
    return pdf + b"\nxref\n0 0\n" + trailer + b"startxref\n%d\n%%%%EOF\n" % (len(pdf) + 1)


def test_a_deeply_nested_pdf_is_400_not_500(signer: User, client: Client) -> None:
    response = Client().post(VERIFY, {"document": _file("deep.pdf", deeply_nested_pdf())})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "not_pdf"
    strong_session(client, signer)
    response = client.post(SIGN, {"document": _file("deep.pdf", deeply_nested_pdf()), "format": "pades"})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "not_pdf"


def test_a_forged_certificate_with_a_portal_serial_is_not_reported_valid(
    signer: User, tmp_path: Path
) -> None:
    """Serials are public: a look-alike CA's certificate reusing the resident's serial must not
    borrow the status of the portal's certificate."""
    genuine = certificate_current_for_user(signer)
    cnf = tmp_path / "ext.cnf"
    cnf.write_text("keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\n")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=tmp_path)
    openssl(
        "req", "-x509", "-new", "-key", "ca.key", "-subj", "/C=HK/O=eID Portal/CN=eID Portal Issuing CA",
        "-days", "30", "-out", "ca.pem", cwd=tmp_path,
    )  # fmt: skip
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "leaf.key", cwd=tmp_path)
    openssl(
        "req", "-new", "-key", "leaf.key", "-subj", "/C=HK/CN=CHAN Tai Man", "-out", "leaf.csr", cwd=tmp_path
    )
    openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
        f"0x{genuine.serial}", "-days", "30", "-extfile", cnf, "-out", "leaf.pem", cwd=tmp_path,
    )  # fmt: skip
    (tmp_path / "iou.txt").write_bytes(TEXT)
    openssl(
        "cms", "-sign", "-binary", "-in", "iou.txt", "-signer", "leaf.pem", "-inkey", "leaf.key",
        "-certfile", "ca.pem", "-outform", "DER", "-out", "iou.p7s", cwd=tmp_path,
    )  # fmt: skip
    response = Client().post(
        VERIFY,
        {
            "document": _file("iou.txt", TEXT),
            "signature": _file("iou.p7s", (tmp_path / "iou.p7s").read_bytes()),
        },
    )
    report = response.json()
    assert report["serial"] == genuine.serial and not report["valid_now"]
    assert report["certificate_status"] == "unknown", report
