"""The resident's inbox (mounted behind the service guard) and the officers' sent-messages view."""

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eid.public import ApplicationError, audit_log, officer_department_ids
from services.notifications import actions, selectors
from services.notifications.forms import PreferencesForm
from services.notifications.models import Channel, Topic

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


# Preferences (behind the service guard) and unsubscribing (a signed link, no sign-in) ---------------


def preferences(request: HttpRequest) -> HttpResponse:
    current = selectors.preferences_for_citizen(citizen=request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            actions.preferences_update(
                citizen=request.user,
                opted_out=form.opted_out(),
                districts=form.cleaned_data["districts"],
                area_topics=form.cleaned_data["area_topics"],
            )
            django_messages.success(request, _("Your notification preferences have been saved."))
            return HttpResponseRedirect(reverse("inbox:preferences"))
    else:
        form = PreferencesForm(
            initial={
                "districts": sorted(current.districts),
                "area_topics": sorted(current.area_topics),
            }
        )
    rows = [
        {
            "topic": topic,
            "cells": [
                {
                    "channel": channel,
                    "value": f"{channel.value}:{topic.value}",
                    "checked": (channel.value, topic.value) not in current.opted_out,
                }
                for channel in Channel
            ],
        }
        for topic in Topic
    ]
    return render(
        request, "notifications/preferences.html", {"form": form, "rows": rows, "channels": list(Channel)}
    )


@csrf_exempt  # the signed token is the authority; RFC 8058 one-click POSTs carry no CSRF token
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        fields = actions.unsubscribe_read(token=token)
    except ApplicationError as error:
        return render(request, "notifications/unsubscribe.html", {"error": error.message}, status=400)
    context = {"token": token, "channel": Channel(fields["c"]).label, "topic": Topic(fields["t"]).label}
    if request.method == "POST":
        actions.unsubscribe_apply(token=token)
        return render(request, "notifications/unsubscribe.html", {**context, "done": True})
    # GET only asks: mail scanners follow links, and must not unsubscribe anyone.
    return render(request, "notifications/unsubscribe.html", context)
