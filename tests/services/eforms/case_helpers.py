"""Helpers for the case handling tests: submissions made directly (the journey has its own tests)."""

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eid.public import OfficerRole
from services.eforms.models import Attachment, Submission, SubmissionEvent
from tests.factories import OfficerMembershipFactory, UserFactory

_numbers = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def make_submission(
    version: object, resident: object, *, status: str = Submission.Status.SUBMITTED, **kwargs: object
):
    form = version.form
    submission = Submission.objects.create(
        reference=f"{form.reference_prefix}-2026-{next(_numbers):06d}",
        resident=resident,
        form=form,
        department=form.department,
        version=version,
        status=status,
        answers=kwargs.pop("answers", {"name": resident.legal_name_en, "plate": "AB1234", "owner": "me"}),
        submitted_at=kwargs.pop("submitted_at", timezone.now()),
        **kwargs,
    )
    SubmissionEvent.objects.create(submission=submission, kind=SubmissionEvent.Kind.CREATED, to_status=status)
    return submission


def make_officer(department: object, *, role: str = OfficerRole.OFFICER, **kwargs: object):
    user = UserFactory(**kwargs)
    OfficerMembershipFactory(user=user, department=department, role=role)
    return user


def make_attachment(
    submission: object, *, resident: object | None = None, content: bytes = PDF
) -> Attachment:
    """A PDF on the submission's `letter` question, uploaded by its resident (or `resident`)."""
    return Attachment.objects.create(
        resident=resident or submission.resident,
        submission=submission,
        field="letter",
        original_name="letter.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        file=SimpleUploadedFile("x", content),
    )
