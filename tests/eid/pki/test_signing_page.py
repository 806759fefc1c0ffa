"""The resident's signing page: certificate, sign with step-up (code shown), revoke."""

import base64
import re
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from eid.constants import AssuranceLevel
from eid.models import User
from eid.pki.constants import Status
from eid.pki.models import IssuedCertificate
from eid.pki.verification import pdf_verify, signature_verify_detached
from tests.eid.pki.conftest import strong_session
from tests.eid.pki.test_pades import one_page_pdf
from tests.factories import UserFactory

PAGE = "/en/eid/signing/"


def _download(html: str) -> bytes:
    match = re.search(r'href="data:[^;]+;base64,([^"]+)"', html)
    assert match, "no download link"
    return base64.b64decode(match.group(1))


def test_anonymous_visitors_are_sent_to_sign_in(pki: dict, client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_low_resident_is_told_to_get_verified(pki: dict, client: Client) -> None:
    client.force_login(UserFactory(assurance_level=AssuranceLevel.LOW))
    assert "Ask for identity verification" in client.get(PAGE).content.decode()


def test_issue_sign_and_revoke_from_the_page(pki: dict, client: Client, substantial_resident: User) -> None:
    # A second factor confirmed an hour ago is not fresh: the resident is asked to confirm again.
    strong_session(client, substantial_resident, mfa_at=time.time() - 3600)
    response = client.post(PAGE, {"action": "issue"})
    assert response.status_code == 302 and "/reauthenticate/" in response["Location"]
    assert not IssuedCertificate.objects.filter(user=substantial_resident).exists()

    strong_session(client, substantial_resident)
    assert client.post(PAGE, {"action": "issue"}).status_code == 302
    substantial_resident.refresh_from_db()
    assert substantial_resident.assurance_level == AssuranceLevel.HIGH
    assert "Sign a file" in client.get(PAGE).content.decode()

    data = b"application form"
    response = client.post(PAGE, {"action": "sign", "document": SimpleUploadedFile("form.txt", data)})
    assert response.status_code == 200
    html = response.content.decode()
    code = re.search(r"verification code is <strong>(\d{4})</strong>", html).group(1)
    report = signature_verify_detached(data=data, signature=_download(html))
    assert report.valid_now and report.code == code

    response = client.post(
        PAGE,
        {"action": "sign", "as_pdf": "on", "document": SimpleUploadedFile("a.pdf", one_page_pdf())},
    )
    assert pdf_verify(pdf=_download(response.content.decode())).valid_now

    response = client.post(
        PAGE, {"action": "sign", "as_pdf": "on", "document": SimpleUploadedFile("a.pdf", b"not a pdf")}
    )
    assert response.status_code == 400

    assert client.post(PAGE, {"action": "revoke"}).status_code == 302
    assert IssuedCertificate.objects.get(user=substantial_resident).status == Status.REVOKED
    substantial_resident.refresh_from_db()
    assert substantial_resident.assurance_level == AssuranceLevel.SUBSTANTIAL
