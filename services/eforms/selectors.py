"""Reads for online forms. Residents reach their objects only through the access_* helpers."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils import timezone

from eid.public import User, officer_department_ids
from services.eforms.models import Attachment, Draft, Form, FormVersion, Submission


@dataclass(frozen=True)
class DashboardSummary:
    drafts: int
    latest_draft_at: datetime | None


def dashboard_summary(*, citizen: User) -> DashboardSummary:
    row = Draft.objects.filter(resident=citizen, expires_at__gt=timezone.now()).aggregate(
        count=Count("id"), latest=Max("updated_at")
    )
    return DashboardSummary(drafts=row["count"], latest_draft_at=row["latest"])


def resident_export(*, citizen: User) -> dict:
    return {
        "submissions": [
            {
                "reference": submission.reference,
                "form": submission.form.slug,
                "version": submission.version.number,
                "status": submission.status,
                "answers": submission.answers,
                "submitted_at": submission.submitted_at.isoformat() if submission.submitted_at else None,
            }
            for submission in Submission.objects.filter(resident=citizen).select_related("form", "version")
        ],
        "drafts": [
            {"form": draft.form.slug, "answers": draft.answers, "expires_at": draft.expires_at.isoformat()}
            for draft in Draft.objects.filter(resident=citizen).select_related("form")
        ],
    }


def published_forms() -> QuerySet[Form]:
    return (
        Form.objects.filter(status=Form.Status.PUBLISHED, published_version__isnull=False)
        .select_related("department", "published_version")
        .order_by("slug")
    )


def published_form_by_slug(*, slug: str) -> tuple[Form, FormVersion]:
    form = published_forms().filter(slug=slug).first()
    if form is None or form.published_version is None:
        raise Http404
    form.published_version.form = form  # the same row: no second read for version.form
    return form, form.published_version


def access_draft_by_public_id(*, citizen: User, public_id: object) -> Draft:
    """The resident's own draft; another resident's draft is the same 404 as a missing one."""
    draft = (
        Draft.objects.filter(public_id=public_id, resident=citizen)
        .select_related("form", "form__department", "version")
        .first()
    )
    if draft is None:
        raise Http404
    if draft.version.form_id == draft.form_id:
        draft.version.form = draft.form  # the same row: no second read for version.form
    return draft


def access_submission_by_public_id(*, citizen: User, public_id: object) -> Submission:
    submission = (
        Submission.objects.filter(public_id=public_id, resident=citizen)
        .select_related("form", "department", "version")
        .first()
    )
    if submission is None:
        raise Http404
    return submission


def drafts_for_resident(*, citizen: User) -> QuerySet[Draft]:
    return Draft.objects.filter(resident=citizen, expires_at__gt=timezone.now()).select_related(
        "form", "version"
    )


def submissions_for_resident(*, citizen: User) -> QuerySet[Submission]:
    return Submission.objects.filter(resident=citizen).select_related("form", "version", "department")


def user_may_read_attachment(*, user: User, attachment: Attachment) -> bool:
    """The resident who uploaded it, only. Officers download a case's files from the case page
    (eforms_cases:attachment), which writes `officer.record_opened` to the resident's ledger and
    never shows a submission still waiting for its fee; this URL would skip both."""
    return user.is_authenticated and attachment.resident_id == user.pk


def access_attachment_by_public_id(*, user: User, public_id: object) -> Attachment:
    """The attachment if `user` may read it; otherwise the same 404 as a missing one."""
    attachment = Attachment.objects.filter(public_id=public_id).first()
    if attachment is None or not user_may_read_attachment(user=user, attachment=attachment):
        raise Http404
    return attachment


def officer_form_queryset(*, officer: User) -> QuerySet[Form]:
    """Forms of the departments the officer belongs to (the builder's and F's inbox scope)."""
    return Form.objects.filter(department_id__in=officer_department_ids(officer=officer)).select_related(
        "department", "published_version"
    )


def access_form_for_officer(*, officer: User, public_id: object) -> Form:
    form = officer_form_queryset(officer=officer).filter(public_id=public_id).first()
    if form is None:
        raise Http404
    return form
