"""Reads for department case handling: the inbox, one case, the CSV export, "My applications".

Officers reach a submission only through `access_case_for_officer`, which answers the same 404 for
"missing", "waiting for payment" and "another department's".
"""

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property

from eid.public import OfficerMembership, User, officer_department_ids
from services.eforms.casework import CASE_STATUSES
from services.eforms.definition import localised
from services.eforms.models import Attachment, Form, Submission, SubmissionEvent

OPEN_STATUSES = frozenset(
    {
        Submission.Status.PAYMENT_PENDING,
        Submission.Status.SUBMITTED,
        Submission.Status.IN_REVIEW,
        Submission.Status.MORE_INFO_REQUESTED,
    }
)


@dataclass(frozen=True)
class InboxFilter:
    form: str = ""  # a form's public id
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    assigned: str = ""  # "", "me" or "none"


# PPM-2026-000123: the shape of a reference number (services.eforms.actions._next_reference).
REFERENCE_SHAPE = re.compile(r"^[A-Za-z]{1,5}-\d{4}-\d{1,10}$")
# The inbox counts at most this many matches: an exact count of a big department's cases reads every
# row (bench/eforms_inbox.py); past it the officer narrows with filters.
INBOX_COUNT_CAP = 2_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at INBOX_COUNT_CAP (one index range scan of at most that many
    rows instead of all of them); `capped` says the true number is larger."""

    @cached_property
    def count(self) -> int:
        return self.object_list.values("pk")[: INBOX_COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > INBOX_COUNT_CAP

    @cached_property
    def num_pages(self) -> int:
        return max(1, -(-min(self.count, INBOX_COUNT_CAP) // self.per_page))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def inbox_queryset(
    *, officer: User, filters: InboxFilter, department_ids: set[int] | None = None
) -> QuerySet:
    """The officer's departments' cases, newest first, with what a list row shows (one query)."""
    if department_ids is None:
        department_ids = officer_department_ids(officer=officer)
    cases = Submission.objects.filter(department_id__in=department_ids, status__in=CASE_STATUSES)
    if filters.form:
        cases = cases.filter(form__public_id=filters.form)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.date_from:
        cases = cases.filter(submitted_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        cases = cases.filter(submitted_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.assigned == "me":
        cases = cases.filter(assigned_to=officer)
    elif filters.assigned == "none":
        cases = cases.filter(assigned_to__isnull=True)
    q = filters.q.strip()
    if REFERENCE_SHAPE.match(q):
        # References are stored upper case: an exact match uses the unique index.
        cases = cases.filter(reference=q.upper())
    elif q:
        cases = cases.filter(
            Q(resident__legal_name_en__icontains=q) | Q(resident__legal_name_zh__icontains=q)
        )
    return (
        cases.select_related("form", "resident", "assigned_to")
        .only(
            "public_id",
            "reference",
            "status",
            "submitted_at",
            "form__slug",
            "form__public_id",
            "resident__legal_name_en",
            "resident__legal_name_zh",
            "assigned_to__legal_name_en",
            "assigned_to__email",
        )
        .order_by("-submitted_at", "-id")
    )


def inbox_forms(*, department_ids: set[int]) -> list[Form]:
    """The departments' forms for the filter, with their titles (one query)."""
    return list(
        Form.objects.filter(department_id__in=department_ids)
        .select_related("published_version")
        .order_by("slug")
    )


def form_title(form: Form, language: str | None = None) -> str:
    version = form.published_version
    return version.title(language) if version is not None else form.slug


def access_case_for_officer(*, officer: User, public_id: Any) -> Submission:
    submission = (
        Submission.objects.filter(
            public_id=public_id,
            department_id__in=officer_department_ids(officer=officer),
            status__in=CASE_STATUSES,
        )
        .select_related("form", "department", "version", "resident", "assigned_to")
        .first()
    )
    if submission is None:
        raise Http404
    return submission


def access_case_attachment_for_officer(*, officer: User, case: Submission, attachment_id: Any) -> Attachment:
    attachment = case.attachments.filter(public_id=attachment_id).first()
    if attachment is None:
        raise Http404
    return attachment


def department_officers(*, department_id: int) -> list[User]:
    """Officers of the department, for the assignment choice."""
    return [
        membership.user
        for membership in OfficerMembership.objects.filter(department_id=department_id)
        .select_related("user")
        .order_by("user__legal_name_en", "user__email")
    ]


def case_events(*, submission: Submission, resident_view: bool) -> QuerySet[SubmissionEvent]:
    events = submission.events.select_related("actor").order_by("created_at", "id")
    if resident_view:
        events = events.filter(visible_to_resident=True)
    return events


# CSV export ---------------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_EXPORT_DAYS = 366


def csv_safe(value: Any) -> str:
    """The cell as text that a spreadsheet shows as text: a leading formula character gets a `'`."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_HEADER = [
    "reference",
    "form",
    "version",
    "status",
    "submitted_at",
    "applicant",
    "applicant_zh",
    "assigned_to",
    "payment_reference",
    "signature_code",
    "answers",
]


def export_queryset(*, department_ids: set[int], date_from: date, date_to: date, form: str = "") -> QuerySet:
    cases = Submission.objects.filter(
        department_id__in=department_ids,
        status__in=CASE_STATUSES,
        submitted_at__gte=_day_start(date_from),
        submitted_at__lt=_day_start(date_to + timedelta(days=1)),
    )
    if form:
        cases = cases.filter(form__public_id=form)
    return (
        cases.select_related("form", "version", "resident", "assigned_to")
        .defer("version__definition", "signed_payload", "signature", "signature_certificate_pem")
        .order_by("submitted_at", "id")
    )


def export_rows(cases: Iterable[Submission]) -> Iterator[str]:
    """CSV lines (header first) for a StreamingHttpResponse; every cell through csv_safe."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_HEADER)  # BOM: spreadsheets then read UTF-8 (Chinese)
    for case in cases:
        yield writer.writerow(
            [
                csv_safe(cell)
                for cell in (
                    case.reference,
                    case.form.slug,
                    case.version.number,
                    case.status,
                    case.submitted_at.isoformat() if case.submitted_at else "",
                    case.resident.legal_name_en,
                    case.resident.legal_name_zh,
                    case.assigned_to.email if case.assigned_to else "",
                    case.payment_reference,
                    case.signature_code,
                    case.answers,
                )
            ]
        )


# "My applications" --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationsSummary:
    open: int
    total: int
    latest_at: datetime | None


def applications_summary(*, citizen: User) -> ApplicationsSummary:
    row = Submission.objects.filter(resident=citizen).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        latest=Max("updated_at"),
    )
    return ApplicationsSummary(open=row["open"], total=row["total"], latest_at=row["latest"])


def my_applications(*, citizen: User) -> QuerySet[Submission]:
    """The resident's submissions with their form title source and visible history (3 queries)."""
    from django.db.models import Prefetch

    return (
        Submission.objects.filter(resident=citizen)
        .select_related("version", "department")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=SubmissionEvent.objects.filter(visible_to_resident=True).order_by(
                    "created_at", "id"
                ),
                to_attr="visible_events",
            )
        )
        .order_by("-created_at", "-id")
    )


def title_of(submission: Submission, language: str | None = None) -> str:
    return localised(submission.version.definition.get("title"), language)
