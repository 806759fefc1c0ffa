"""Department case handling in the back office (/back-office/applications/): thin views.

An officer sees only the cases of the departments they belong to; anything else — another
department's case, a resident, a submission still waiting for its fee — is the same 404.
"""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from eid.public import ApplicationError, OfficerRole, audit_log, officer_department_ids, officer_memberships
from services.eforms import case_selectors as selectors
from services.eforms import casework, webhooks
from services.eforms.casework_forms import (
    AssignForm,
    ExportForm,
    InboxFilterForm,
    MessageForm,
    StatusForm,
    WebhookForm,
)
from services.eforms.definition import localised, visible_fields, visible_pages
from services.eforms.fields import display_value
from services.eforms.models import Submission
from services.eforms.storage import attachment_response

PAGE_SIZE = 25


def _departments(request: HttpRequest) -> set[int]:
    department_ids = officer_department_ids(officer=request.user)
    if not department_ids:
        raise Http404
    return department_ids


def _form_choices(department_ids: set[int]) -> tuple[list[tuple[str, str]], dict[int, str]]:
    forms = selectors.inbox_forms(department_ids=department_ids)
    language = get_language()
    choices = [(str(form.public_id), selectors.form_title(form, language)) for form in forms]
    return choices, {form.pk: selectors.form_title(form, language) for form in forms}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    department_ids = _departments(request)
    form_choices, titles = _form_choices(department_ids)
    filter_form = InboxFilterForm(request.GET or None, form_choices=form_choices)
    status = 200
    if filter_form.is_bound and not filter_form.is_valid():
        status = 400
        cases = Submission.objects.none()
    else:
        filters = filter_form.to_filter() if filter_form.is_bound else selectors.InboxFilter()
        cases = selectors.inbox_queryset(officer=request.user, filters=filters, department_ids=department_ids)
    page = selectors.CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"case": case, "title": titles.get(case.form_id, case.form.slug)} for case in page]
    return render(
        request,
        "eforms/casework/inbox.html",
        {"filter_form": filter_form, "page": page, "rows": rows},
        status=status,
    )


def _answer_rows(case: Submission) -> list[dict[str, Any]]:
    """The answers as the applicant saw the questions, page by page; files become download links."""
    definition = case.version.definition
    answers = case.answers
    attachments = {str(attachment.public_id): attachment for attachment in case.attachments.all()}
    sections = []
    for page in visible_pages(definition, answers):
        rows = []
        for field in visible_fields(page, answers):
            value = answers.get(field["key"])
            row = {"label": localised(field["label"]), "prefilled": field["key"] in case.prefilled}
            if field["type"] == "file":
                row["attachment"] = attachments.get(value or "")
            else:
                row["value"] = display_value(field, value)
            rows.append(row)
        sections.append({"title": localised(page["title"]), "rows": rows})
    return sections


def _detail(request: HttpRequest, case: Submission, *, status: int = 200, **forms: Any) -> HttpResponse:
    officers = selectors.department_officers(department_id=case.department_id)
    context = {
        "case": case,
        "title": case.version.title(get_language()),
        "sections": _answer_rows(case),
        "attachments": [a for a in case.attachments.all() if a.field == casework.REPLY_FIELD],
        "events": selectors.case_events(submission=case, resident_view=False),
        "status_form": forms.get("status_form") or StatusForm(submission=case),
        "assign_form": forms.get("assign_form")
        or AssignForm(
            officers=officers,
            initial={"officer": str(case.assigned_to.public_id) if case.assigned_to else ""},
        ),
        "message_form": forms.get("message_form") or MessageForm(),
        "error": forms.get("error"),
    }
    return render(request, "eforms/casework/detail.html", context, status=status)


@login_required
def case_detail(request: HttpRequest, submission_id: Any) -> HttpResponse:
    case = selectors.access_case_for_officer(officer=request.user, public_id=submission_id)
    casework.case_opened(submission=case, officer=request.user, request=request)
    return _detail(request, case)


@login_required
@require_POST
def case_status(request: HttpRequest, submission_id: Any) -> HttpResponse:
    case = selectors.access_case_for_officer(officer=request.user, public_id=submission_id)
    form = StatusForm(request.POST, submission=case)
    if form.is_valid():
        try:
            casework.case_transition(
                submission=case,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except ApplicationError as error:
            form.add_error("reason" if error.code == "reason_required" else None, error.message)
        else:
            messages.success(request, _("The status is changed and the applicant is told."))
            return redirect("eforms_cases:detail", submission_id=case.public_id)
    return _detail(request, case, status=400, status_form=form)


@login_required
@require_POST
def case_assign(request: HttpRequest, submission_id: Any) -> HttpResponse:
    case = selectors.access_case_for_officer(officer=request.user, public_id=submission_id)
    form = AssignForm(request.POST, officers=selectors.department_officers(department_id=case.department_id))
    if form.is_valid():
        officer = form.officers.get(form.cleaned_data["officer"])
        try:
            casework.case_assign(submission=case, officer=officer, by=request.user, request=request)
        except ApplicationError as error:
            form.add_error("officer", error.message)
        else:
            messages.success(request, _("The application is assigned."))
            return redirect("eforms_cases:detail", submission_id=case.public_id)
    return _detail(request, case, status=400, assign_form=form)


@login_required
@require_POST
def case_message(request: HttpRequest, submission_id: Any) -> HttpResponse:
    case = selectors.access_case_for_officer(officer=request.user, public_id=submission_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            casework.case_message(
                submission=case,
                by=request.user,
                message=form.cleaned_data["message"],
                internal=form.cleaned_data["internal"],
                request=request,
            )
        except ApplicationError as error:
            form.add_error("message", error.message)
        else:
            messages.success(
                request,
                _("The note is saved.") if form.cleaned_data["internal"] else _("The message is sent."),
            )
            return redirect("eforms_cases:detail", submission_id=case.public_id)
    return _detail(request, case, status=400, message_form=form)


@login_required
def case_attachment(request: HttpRequest, submission_id: Any, attachment_id: Any) -> HttpResponse:
    case = selectors.access_case_for_officer(officer=request.user, public_id=submission_id)
    attachment = selectors.access_case_attachment_for_officer(
        officer=request.user, case=case, attachment_id=attachment_id
    )
    audit_log(
        event_type="officer.record_opened",
        actor=request.user,
        subject=case.resident,
        request=request,
        data={
            "record": "eforms.attachment",
            "reference": case.reference,
            "attachment": str(attachment.public_id),
        },
    )
    return attachment_response(attachment)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The cases of a date range as CSV, streamed (every cell safe from spreadsheet formulas)."""
    department_ids = _departments(request)
    form_choices, _titles = _form_choices(department_ids)
    form = ExportForm(request.GET or None, form_choices=form_choices)
    if not form.is_bound or not form.is_valid():
        return render(
            request, "eforms/casework/export.html", {"form": form}, status=400 if form.is_bound else 200
        )
    data = form.cleaned_data
    date_from: date = data["date_from"]
    date_to: date = data["date_to"]
    audit_log(
        event_type="eforms.cases_exported",
        actor=request.user,
        request=request,
        data={"from": date_from.isoformat(), "to": date_to.isoformat(), "form": data["form"]},
    )
    cases = selectors.export_queryset(
        department_ids=department_ids, date_from=date_from, date_to=date_to, form=data["form"]
    )
    response = StreamingHttpResponse(
        selectors.export_rows(cases.iterator(chunk_size=500)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="applications-{date_from}-{date_to}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# The department's webhook ---------------------------------------------------------------------------


def _managed_department(request: HttpRequest, department_code: str) -> Any:
    """A department the officer manages (manager or department administrator); else 404."""
    for membership in officer_memberships(officer=request.user):
        if membership.department.code == department_code and membership.role in (
            OfficerRole.MANAGER,
            OfficerRole.DEPARTMENT_ADMIN,
        ):
            return membership.department
    raise Http404


@login_required
def webhook_settings(request: HttpRequest) -> HttpResponse:
    managed = [
        membership.department
        for membership in officer_memberships(officer=request.user)
        if membership.role in (OfficerRole.MANAGER, OfficerRole.DEPARTMENT_ADMIN)
    ]
    if not managed:
        raise Http404
    rows = [
        {"department": department, "webhook": webhooks.webhook_for(department=department)}
        for department in managed
    ]
    return render(request, "eforms/casework/webhooks.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, department_code: str) -> HttpResponse:
    department = _managed_department(request, department_code)
    current = webhooks.webhook_for(department=department)
    form = WebhookForm(request.POST or None, initial={"url": current.url if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.webhook_set(
                department=department,
                url=form.cleaned_data["url"],
                secret=form.cleaned_data["secret"],
                by=request.user,
                request=request,
            )
        except ApplicationError as error:
            form.add_error("secret" if "secret" in error.code else "url", error.message)
        else:
            messages.success(request, _("The webhook is saved."))
            return redirect("eforms_cases:webhooks")
    return render(
        request,
        "eforms/casework/webhook_edit.html",
        {"form": form, "department": department, "webhook": current},
        status=400 if form.is_bound and form.errors else 200,
    )
