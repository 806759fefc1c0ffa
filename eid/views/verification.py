"""Identity verification: the resident's request page and the registration officers' queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eid import verification as verification_service
from eid.audit.chain import audit_log
from eid.errors import ApplicationError
from eid.forms import VerificationApproveForm, VerificationRejectForm, VerificationRequestForm
from eid.models import VerificationRequest


@login_required
def verification_home(request: HttpRequest) -> HttpResponse:
    latest = verification_service.verification_latest(user=request.user)
    form = VerificationRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                verification_service.verification_request_submit(
                    user=request.user,
                    legal_name_en=form.cleaned_data["legal_name_en"],
                    legal_name_zh=form.cleaned_data["legal_name_zh"],
                    date_of_birth=form.cleaned_data["date_of_birth"],
                    raw_hkid=form.cleaned_data["hkid"],
                    request=request,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your request was sent. Bring your identity card to a counter."))
                return redirect("eid:verification")
        status = 400
    context = {
        "form": form,
        "latest": latest,
        "pending": latest is not None and latest.status == VerificationRequest.Status.PENDING,
    }
    return render(request, "eid/verification.html", context, status=status)


@login_required
@require_POST
def verification_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    latest = verification_service.verification_latest(user=request.user)
    if latest is None or latest.pk != request_id:
        from django.http import Http404

        raise Http404
    try:
        verification_service.verification_withdraw(verification=latest, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("eid:verification")


@login_required
def officer_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", VerificationRequest.Status.PENDING)
    if status not in VerificationRequest.Status.values:
        status = VerificationRequest.Status.PENDING
    queue = verification_service.verification_queue(officer=request.user, status=status)
    return render(
        request,
        "eid/officer_queue.html",
        {"queue": queue, "status": status, "statuses": VerificationRequest.Status.choices},
    )


@login_required
def officer_review(request: HttpRequest, request_id: int) -> HttpResponse:
    verification = verification_service.access_verification_for_officer(
        officer=request.user, request_id=request_id
    )
    action = request.POST.get("action") if request.method == "POST" else None
    approve_form = VerificationApproveForm(request.POST if action == "approve" else None)
    reject_form = VerificationRejectForm(request.POST if action == "reject" else None)
    status = 200
    if request.method == "GET":
        audit_log(
            event_type="officer.record_opened",
            actor=request.user,
            subject=verification.user,
            request=request,
            data={"record": "eid.verification_request", "id": verification.pk},
        )
    elif action in {"approve", "reject"}:
        form = approve_form if action == "approve" else reject_form
        if form.is_valid():
            try:
                if action == "approve":
                    verification_service.verification_approve(
                        verification=verification,
                        officer=request.user,
                        document_type=form.cleaned_data["document_type"],
                        raw_hkid_on_document=form.cleaned_data["hkid_on_document"],
                        name_matches=form.cleaned_data["name_matches"],
                        date_of_birth_on_document=form.cleaned_data["date_of_birth_on_document"],
                        request=request,
                    )
                    messages.success(request, _("The resident's identity is verified."))
                else:
                    verification_service.verification_reject(
                        verification=verification,
                        officer=request.user,
                        reason=form.cleaned_data["reason"],
                        request=request,
                    )
                    messages.success(request, _("The request was rejected and the resident told why."))
                return redirect("back_office_verification_queue")
            except ApplicationError as error:
                form.add_error(None, error.message)
        status = 400
    else:
        status = 400
    context = {"verification": verification, "approve_form": approve_form, "reject_form": reject_form}
    return render(request, "eid/officer_review.html", context, status=status)
