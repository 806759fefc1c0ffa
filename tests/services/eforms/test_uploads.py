"""Uploads: sniffed by their first bytes, size-limited, private, readable by the owner (and the
department from its audited case page)."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from eid.audit.models import AuditEvent
from eid.public import AssuranceLevel
from services.eforms.models import Attachment, Draft, FormVersion, Submission
from tests.factories import OfficerMembershipFactory, UserFactory
from tests.services.eforms.conftest import signed_in
from tests.services.eforms.test_journey import BASE, fill_to_check, page_url, start

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def at_upload_page(client: Client, version: FormVersion) -> Draft:
    draft = start(client, version)
    fill_to_check(client, draft, owner="company")
    return draft


def upload(client: Client, draft: Draft, name: str, content: bytes, content_type: str = "application/pdf"):
    return client.post(
        page_url(draft, "company_proof"),
        {"letter": SimpleUploadedFile(name, content, content_type=content_type), "action": "continue"},
    )


def test_a_pdf_is_stored_privately_with_its_hash(
    parking: FormVersion, applicant: object, _private_root: Path
) -> None:
    client = signed_in(applicant)
    draft = at_upload_page(client, parking)
    response = upload(client, draft, "letter.pdf", PDF)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest() and attachment.original_name == "letter.pdf"
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == PDF and _private_root in stored.parents
    assert Path(settings.MEDIA_ROOT) not in stored.parents and "letter" not in stored.name
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018  (no public URL exists)
    draft.refresh_from_db()
    assert draft.answers["letter"] == str(attachment.public_id)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("letter.pdf", PNG, "must be a PDF file"),  # a PNG with a lying extension
        ("letter.pdf", b"MZ\x90\x00 not a pdf at all", "must be a PDF file"),
        ("letter.pdf", PDF + b"x" * 3000, "larger than"),
    ],
)
def test_lying_or_large_files_are_refused_and_nothing_is_kept(
    parking: FormVersion, applicant: object, _private_root: Path, name: str, content: bytes, message: str
) -> None:
    client = signed_in(applicant)
    draft = at_upload_page(client, parking)
    response = upload(client, draft, name, content)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Attachment.objects.exists()
    assert not _private_root.exists() or not any(p.is_file() for p in _private_root.rglob("*"))


def test_a_second_upload_replaces_the_first_file(
    parking: FormVersion, applicant: object, _private_root: Path, django_capture_on_commit_callbacks: object
) -> None:
    client = signed_in(applicant)
    draft = at_upload_page(client, parking)
    upload(client, draft, "one.pdf", PDF)
    first = Attachment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, draft, "two.pdf", PDF + b"%two")
    assert Attachment.objects.get().original_name == "two.pdf"
    assert not Path(first.file.path).exists()


def test_files_are_served_to_the_owner_here_and_to_the_department_on_the_case_page(
    parking: FormVersion, applicant: object
) -> None:
    client = signed_in(applicant)
    draft = at_upload_page(client, parking)
    upload(client, draft, "letter.pdf", PDF)
    attachment = Attachment.objects.get()
    url = f"{BASE}/attachments/{attachment.public_id}/"
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    officer = OfficerMembershipFactory(department=parking.form.department).user
    stranger_officer = OfficerMembershipFactory().user
    other_resident = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    # On a draft the file is the resident's alone.
    for user in (officer, stranger_officer, other_resident):
        assert signed_in(user).get(url).status_code == 404
    client.post(page_url(draft, "declaration"), {"declare": "on", "action": "continue"})
    client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    submission = Submission.objects.get()
    attachment.refresh_from_db()
    assert attachment.submission == submission and attachment.draft is None
    # Officers read the file from the case page (audited), never from the resident's URL, which
    # would leave no trace in the resident's ledger.
    assert signed_in(officer).get(url).status_code == 404
    case_url = reverse(
        "eforms_cases:attachment",
        kwargs={"submission_id": submission.public_id, "attachment_id": attachment.public_id},
    )
    response = signed_in(officer).get(case_url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(event_type="officer.record_opened", actor=officer).count() == 1
    assert signed_in(stranger_officer).get(url).status_code == 404
    assert signed_in(stranger_officer).get(case_url).status_code == 404
    assert signed_in(other_resident).get(url).status_code == 404
    assert (
        client.get(f"{BASE}/applications/{submission.public_id}/").content.decode().count("letter.pdf") == 1
    )


def test_hiding_the_upload_question_removes_its_file(parking: FormVersion, applicant: object) -> None:
    client = signed_in(applicant)
    draft = at_upload_page(client, parking)
    upload(client, draft, "letter.pdf", PDF)
    client.post(page_url(draft, "vehicle"), {"owner": "me", "plate": "AB123", "action": "continue"})
    assert not Attachment.objects.exists()


def test_an_oversized_body_is_refused_before_it_is_read(parking: FormVersion, applicant: object) -> None:
    client = signed_in(applicant)
    draft = at_upload_page(client, parking)
    big = PDF + b"x" * (3 * 1024 * 1024)
    response = upload(client, draft, "huge.pdf", big)
    assert response.status_code == 413 and "too large" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_officer_cannot_read_the_file_of_an_application_still_waiting_for_its_fee(
    parking: FormVersion, applicant: object
) -> None:
    """Not yet a case: no officer sees it, through the case page or the resident's URL."""
    from tests.services.eforms.case_helpers import make_attachment, make_submission

    pending = make_submission(parking, applicant, status=Submission.Status.PAYMENT_PENDING, fee_cents=100)
    attachment = make_attachment(pending, resident=applicant, content=PDF)
    officer = OfficerMembershipFactory(
        department=parking.form.department,
        user=UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL),
    ).user
    assert signed_in(officer).get(f"{BASE}/attachments/{attachment.public_id}/").status_code == 404
    case_url = reverse(
        "eforms_cases:attachment",
        kwargs={"submission_id": pending.public_id, "attachment_id": attachment.public_id},
    )
    assert signed_in(officer).get(case_url).status_code == 404
    assert signed_in(applicant).get(f"{BASE}/attachments/{attachment.public_id}/").status_code == 200
