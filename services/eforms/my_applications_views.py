"""The resident's "My applications": every submission with its status and history, replies to a
request for more information, and withdrawal (thin views over case_selectors and casework)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eid.public import ApplicationError
from services.eforms import case_selectors, casework
from services.eforms.casework_forms import ReplyForm
from services.eforms.selectors import access_submission_by_public_id


def my_applications(request: HttpRequest) -> HttpResponse:
    language = get_language()
    rows = [
        {
            "submission": submission,
            "title": case_selectors.title_of(submission, language),
            "can_reply": submission.status == casework.Status.MORE_INFO_REQUESTED,
            "can_withdraw": submission.status in casework.WITHDRAWABLE,
        }
        for submission in case_selectors.my_applications(citizen=request.user)
    ]
    return render(request, "eforms/casework/my_applications.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def reply(request: HttpRequest, submission_id: Any) -> HttpResponse:
    submission = access_submission_by_public_id(citizen=request.user, public_id=submission_id)
    if submission.status != casework.Status.MORE_INFO_REQUESTED:
        messages.info(request, _("The department has not asked for more information."))
        return redirect("eforms:confirmation", submission_id=submission.public_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            casework.case_reply(
                submission=submission,
                citizen=request.user,
                message=form.cleaned_data["message"],
                uploads=form.cleaned_data["files"],
                request=request,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your answer is sent to the department."))
            return redirect("eforms:confirmation", submission_id=submission.public_id)
    request_event = (
        case_selectors.case_events(submission=submission, resident_view=True)
        .filter(to_status=casework.Status.MORE_INFO_REQUESTED)
        .last()
    )
    return render(
        request,
        "eforms/casework/reply.html",
        {
            "submission": submission,
            "title": case_selectors.title_of(submission, get_language()),
            "form": form,
            "request_event": request_event,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, submission_id: Any) -> HttpResponse:
    submission = access_submission_by_public_id(citizen=request.user, public_id=submission_id)
    error = ""
    if request.method == "POST":
        try:
            casework.case_withdraw(submission=submission, citizen=request.user, request=request)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your application is withdrawn."))
            return redirect("eforms:my_applications")
    elif submission.status not in casework.WITHDRAWABLE:
        error = _("A decided or withdrawn application cannot be withdrawn.")
    return render(
        request,
        "eforms/casework/withdraw.html",
        {
            "submission": submission,
            "title": case_selectors.title_of(submission, get_language()),
            "error": error,
        },
        status=400 if error else 200,
    )
