"""The resident's inbox (mounted behind the service guard) and the officers' sent-messages view."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from eid.public import audit_log, officer_department_ids
from services.notifications import actions, selectors

PAGE_SIZE = 20


def inbox(request: HttpRequest) -> HttpResponse:
    messages = selectors.message_list_for_citizen(citizen=request.user)
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    summary = selectors.inbox_summary(citizen=request.user)
    return render(request, "notifications/inbox.html", {"page": page, "summary": summary})


def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.access_message_by_id(citizen=request.user, message_id=message_id)
    actions.message_mark_read(message=message)
    return render(request, "notifications/message.html", {"message": message})


@require_POST
def message_mark(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.access_message_by_id(citizen=request.user, message_id=message_id)
    if request.POST.get("state") == "unread":
        actions.message_mark_unread(message=message)
    else:
        actions.message_mark_read(message=message)
    return HttpResponseRedirect(reverse("inbox:index"))


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    actions.inbox_mark_all_read(citizen=request.user)
    return HttpResponseRedirect(reverse("inbox:index"))


@login_required
def officer_sent_messages(request: HttpRequest) -> HttpResponse:
    department_ids = officer_department_ids(officer=request.user)
    if not department_ids:
        raise Http404
    messages = selectors.message_list_for_departments(department_ids=department_ids)
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/officer_sent.html", {"page": page})


@login_required
def officer_message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    department_ids = officer_department_ids(officer=request.user)
    message = selectors.access_message_for_officer(department_ids=department_ids, message_id=message_id)
    audit_log(
        event_type="officer.record_opened",
        actor=request.user,
        subject=message.recipient,
        request=request,
        data={"record": "notifications.message", "id": message.pk},
    )
    return render(request, "notifications/officer_message.html", {"message": message})
